// Configuration sections for issue 5: a trunk's outbound settings (seed "Configure outbound settings",
// "Add custom headers", "Configure authentication"), the control API and the call records store.
// Field meanings are documented in config/default.yaml.
import { isIP } from 'node:net'
import { bool, ConfigError, int, list, obj, oneOf, optional, refine, str } from './schema-builder'

const mediaEncryption = ['disabled', 'allowed', 'required'] as const

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/

export interface TrunkAddress { host: string, port: number | null }

/**
 * "host", "host:port", "192.0.2.1", "192.0.2.1:5061", "2001:db8::1", "[2001:db8::1]:5061". A sip:/sips:/tel:
 * URI is refused with a message that says so: the seed's outbound Address is "a hostname or IP address
 * only, not a full SIP URI".
 */
export function parseTrunkAddress (value: string, path: string): TrunkAddress {
  const v = value.trim()
  if (/^(sips?|tel):/i.test(v) || /^[a-z][a-z0-9+.-]*:\/\//i.test(v) || v.includes('@')) {
    throw new ConfigError(path, `${JSON.stringify(value)} is a URI; the outbound address is a hostname or IP address only (e.g. "sip.example-carrier.net" or "203.0.113.10:5061"), not a sip: URI — set transport and port separately`)
  }
  if (v.includes(';') || v.includes('/') || /\s/.test(v)) {
    throw new ConfigError(path, `${JSON.stringify(value)} is not a hostname or IP address (no parameters, paths or spaces)`)
  }
  let host = v
  let port: number | null = null
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(v)
  if (bracketed) {
    host = bracketed[1]
    if (isIP(host) !== 6) throw new ConfigError(path, `${JSON.stringify(value)}: only IPv6 addresses go in brackets`)
    if (bracketed[2] !== undefined) port = Number(bracketed[2])
  } else if (isIP(v) === 6) {
    host = v
  } else {
    const m = /^([^:]+)(?::(\d+))?$/.exec(v)
    if (!m) throw new ConfigError(path, `${JSON.stringify(value)} is not a hostname or IP address (an IPv6 address with a port is written "[2001:db8::1]:5061")`)
    host = m[1]
    if (m[2] !== undefined) port = Number(m[2])
    if (isIP(host) === 0 && !HOSTNAME.test(host)) throw new ConfigError(path, `${JSON.stringify(value)} is not a valid hostname or IP address`)
  }
  if (port !== null && (port < 1 || port > 65535)) throw new ConfigError(path, `port ${port} out of range 1-65535`)
  return { host: host.replace(/\.$/, ''), port }
}

const trunkAddress = refine(str({ minLength: 1 }), (v, path) => { parseTrunkAddress(v, path) })

/** Headers the SIP layer writes itself: a custom header may not replace them (RFC 3261 §8.1.1). */
export const RESERVED_OUTBOUND_HEADERS = new Set([
  'via', 'v', 'from', 'f', 'to', 't', 'call-id', 'i', 'cseq', 'contact', 'm', 'max-forwards', 'content-length', 'l',
  'content-type', 'c', 'authorization', 'proxy-authorization', 'route', 'record-route', 'session-expires', 'x', 'min-se',
  'supported', 'k', 'require', 'allow', 'user-agent'
])

const outboundHeaderName = refine(str({ pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, patternName: 'a SIP header name (RFC 3261 §25.1 token)' }), (v, path) => {
  if (RESERVED_OUTBOUND_HEADERS.has(v.toLowerCase())) throw new ConfigError(path, `"${v}" is written by the SIP layer and cannot be a custom header`)
})

/** {{variable}} placeholders are filled from the call's dynamic variables (secret__ ones included). */
const outboundHeaderValue = refine(str({ minLength: 1 }), (v, path) => {
  if (/[\r\n\0]/.test(v)) throw new ConfigError(path, 'header values cannot contain line breaks or NUL')
  const open = (v.match(/\{\{/g) ?? []).length
  const close = (v.match(/\}\}/g) ?? []).length
  const names = [...v.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map(m => m[1])
  if (open !== close || names.length !== open) throw new ConfigError(path, `unbalanced {{ }} in ${JSON.stringify(v)}`)
  for (const n of names) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(n)) throw new ConfigError(path, `{{${n}}} is not a variable name (letters, digits, ".", "_", "-")`)
  }
})

export const outboundTrunkSchema = refine(obj({
  address: trunkAddress,
  port: optional(int({ min: 1, max: 65535 })),
  transport: optional(oneOf(['udp', 'tcp', 'tls'] as const), () => 'tcp' as const),
  media_encryption: optional(oneOf(mediaEncryption), () => 'allowed' as const),
  auth: optional(obj({ username: str({ minLength: 1 }), password: str({ minLength: 1 }) })),
  headers: optional(list(obj({ name: outboundHeaderName, value: outboundHeaderValue })), () => []),
  ring_timeout_secs: optional(int({ min: 1, max: 600 }), () => 60),
  /** Host of the From URI; default the gateway's own address. */
  from_domain: optional(refine(str({ minLength: 1 }), (v, path) => { parseTrunkAddress(v, path) })),
  /** Most DNS targets (RFC 3263 SRV/A records) tried for one call before it fails. */
  max_targets: optional(int({ min: 1, max: 16 }), () => 4)
}), (v, path) => {
  const inline = parseTrunkAddress(v.address, `${path}.address`)
  if (inline.port !== null && v.port !== undefined && inline.port !== v.port) {
    throw new ConfigError(`${path}.port`, `conflicts with the port in address (${inline.port})`)
  }
})

export const apiSchema = obj({
  listen: optional(obj({
    host: optional(str({ minLength: 1 }), () => '127.0.0.1'),
    port: optional(int({ min: 0, max: 65535 }), () => 8080)
  }), () => ({ host: '127.0.0.1', port: 8080 })),
  /** Plus TRUNKGATE_API_KEY from the environment. At least one key must exist when the API runs. */
  keys: optional(list(str({ minLength: 16, patternName: 'a key of at least 16 characters' }), { unique: true }), () => []),
  public_metrics: optional(bool(), () => false)
})

export const recordsSchema = refine(obj({
  /** sqlite: one node, embedded file; postgres: shared by the nodes of a cluster (issue 15). */
  type: optional(oneOf(['sqlite', 'postgres'] as const)),
  /** SQLite file (relative to the configuration file); ":memory:" keeps records only while running. */
  path: optional(str({ minLength: 1 })),
  /** postgres: the environment variable holding the connection URL (default TRUNKGATE_RECORDS_URL; credentials stay out of the file). */
  url_env: optional(str({ pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, patternName: 'an environment variable name' })),
  /** postgres: this node's name in the rows it owns; default the host name. Unique per node. */
  node_id: optional(str({ pattern: /^[A-Za-z0-9._:-]{1,64}$/, patternName: 'a node name of 1-64 letters, digits, ".", "_", ":" or "-"' })),
  /** postgres: this node's control API base URL as the other nodes reach it (default http://<api.listen>). */
  node_api_url: optional(str({ minLength: 1 })),
  post_call_webhook: optional(obj({
    url: refine(str({ minLength: 1 }), (v, path) => {
      let u: URL
      try { u = new URL(v) } catch { throw new ConfigError(path, `${JSON.stringify(v)} is not a URL`) }
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(path, 'must be an http(s) URL')
    }),
    secret: optional(str({ minLength: 16 })),
    timeout_ms: optional(int({ min: 100, max: 60000 }), () => 5000),
    max_attempts: optional(int({ min: 1, max: 20 }), () => 6),
    base_delay_ms: optional(int({ min: 10, max: 600000 }), () => 1000)
  }))
}), (v, path) => {
  if (v.type !== 'postgres' && v.path === undefined) throw new ConfigError(`${path}.path`, 'is required with type sqlite')
})
