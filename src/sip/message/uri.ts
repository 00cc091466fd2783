// SIP, SIPS and tel URIs: parsing (RFC 3261 §19.1.1, §25.1; RFC 3966), formatting and the equality
// rules of RFC 3261 §19.1.4. Any other scheme still parses (scheme + opaque rest) because the UAS must
// be able to answer it with 416 Unsupported URI Scheme (RFC 3261 §8.2.2.1, RFC 4475 §3.3.2).

import type { SipUri } from './types'
import { badHeader, isDigit, parseBoundedUint } from './lexer'
import { HEADER_CHARS, PARAM_CHARS, PASSWORD_CHARS, USER_CHARS, escapeComponent, unescapeComponent } from './uri-escape'

function badUri (detail: string): Error {
  return badHeader('SIP_ERR_BAD_URI', detail)
}

function isAlpha (c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
}

/**
 * Characters no URI may contain unescaped in any scheme (RFC 3986 §2 / RFC 3261 §25.1): controls,
 * space, '"', '<', '>' and DEL. Rejecting them up front is what turns RFC 4475 §3.1.2.7 (<> around the
 * Request-URI) and §3.1.2.14 (spaces inside an addr-spec) into a clean 400.
 */
const NOT_IN_URI = new Uint8Array(128)
for (let c = 0; c <= 0x20; c++) NOT_IN_URI[c] = 1
for (const c of [0x22, 0x3c, 0x3e, 0x7f]) NOT_IN_URI[c] = 1

function checkVisible (s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 128 && NOT_IN_URI[c] === 1) {
      throw badUri(`illegal character 0x${c.toString(16).padStart(2, '0')} in URI`)
    }
  }
}

export function parseUri (s: string): SipUri {
  checkVisible(s)
  // Fast path for the lower-case schemes nearly every message carries.
  if (s.startsWith('sip:')) return parseSipUri(s, 4, 'sip')
  if (s.startsWith('sips:')) return parseSipUri(s, 5, 'sips')
  const colon = s.indexOf(':')
  if (colon <= 0 || !isAlpha(s.charCodeAt(0))) throw badUri('URI has no scheme')
  for (let i = 1; i < colon; i++) {
    const c = s.charCodeAt(i)
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    if (!isAlpha(c) && !isDigit(c) && c !== 0x2b && c !== 0x2d && c !== 0x2e) throw badUri('bad URI scheme')
  }
  const scheme = s.slice(0, colon).toLowerCase()
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, colon + 1, scheme)
  if (scheme === 'tel') return parseTelUri(s, colon + 1)
  if (colon + 1 === s.length) throw badUri('empty URI after scheme')
  return { scheme, user: null, password: null, host: '', port: null, params: new Map(), headers: new Map(), opaque: s.slice(colon + 1) }
}

function parseSipUri (s: string, pos: number, scheme: string): SipUri {
  const end = s.length
  let user: string | null = null
  let password: string | null = null
  // user-unreserved includes ';' and '?' (RFC 4475 §3.1.1.9 semiuri, §3.1.1.2 intmeth) while neither
  // uri-parameters nor headers may contain an unescaped '@', so the first '@' ends the userinfo.
  const at = s.indexOf('@', pos)
  if (at >= 0) {
    const pc = s.indexOf(':', pos)
    if (pc >= 0 && pc < at) {
      user = unescapeComponent(s, pos, pc)
      password = unescapeComponent(s, pc + 1, at)
    } else {
      user = unescapeComponent(s, pos, at)
    }
    if (at === pos) throw badUri('empty user part before @')
    pos = at + 1
  }

  let host: string
  if (s.charCodeAt(pos) === 0x5b) {
    // IPv6reference = "[" IPv6address "]" (RFC 3261 §25.1, RFC 5118): stored without the brackets.
    const close = s.indexOf(']', pos)
    if (close < 0) throw badUri('unterminated IPv6 reference')
    host = s.slice(pos + 1, close).toLowerCase()
    if (host.length === 0 || !isIpv6Text(host)) throw badUri('bad IPv6 reference')
    pos = close + 1
  } else {
    const hostStart = pos
    let upper = false
    for (; pos < end; pos++) {
      const c = s.charCodeAt(pos)
      // hostname / IPv4address; '_' is not in the grammar but common in internal DNS names.
      if (c >= 128 || HOST_CHARS[c] === 0) break
      if (c <= 0x5a && c >= 0x41) upper = true
    }
    if (pos === hostStart) throw badUri('URI has no host')
    host = s.slice(hostStart, pos)
    if (upper) host = host.toLowerCase()
  }

  let port: number | null = null
  if (s.charCodeAt(pos) === 0x3a) {
    const portStart = ++pos
    while (pos < end && isDigit(s.charCodeAt(pos))) pos++
    port = parseBoundedUint(s, portStart, pos, 65535)
    if (port < 0) throw badUri('bad port in URI')
  }

  const params = new Map<string, string | null>()
  pos = parseUriParams(s, pos, params)
  const headers = new Map<string, string>()
  if (pos < end && s.charCodeAt(pos) === 0x3f) pos = parseUriHeaders(s, pos + 1, headers)
  if (pos !== end) throw badUri(`unexpected '${s[pos] ?? ''}' in URI`)
  return { scheme, user, password, host, port, params, headers }
}

const HOST_CHARS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  if (isAlpha(c) || isDigit(c) || c === 0x2d || c === 0x2e || c === 0x5f) HOST_CHARS[c] = 1
}

function isIpv6Text (h: string): boolean {
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i)
    if (!isDigit(c) && !(c >= 0x61 && c <= 0x66) && c !== 0x3a && c !== 0x2e) return false
  }
  return h.indexOf(':') >= 0
}

/** *( ";" pname [ "=" pvalue ] ) — stops at '?' or the end; names lower-cased, both sides unescaped. */
function parseUriParams (s: string, pos: number, params: Map<string, string | null>): number {
  const end = s.length
  while (pos < end && s.charCodeAt(pos) === 0x3b) {
    const nameStart = ++pos
    while (pos < end) {
      const c = s.charCodeAt(pos)
      if (c === 0x3b || c === 0x3f || c === 0x3d) break
      pos++
    }
    if (pos === nameStart) throw badUri('empty URI parameter')
    const name = lowerAscii(unescapeComponent(s, nameStart, pos))
    let value: string | null = null
    if (s.charCodeAt(pos) === 0x3d) {
      const valueStart = ++pos
      while (pos < end) {
        const c = s.charCodeAt(pos)
        if (c === 0x3b || c === 0x3f) break
        pos++
      }
      value = unescapeComponent(s, valueStart, pos)
    }
    params.set(name, value)
  }
  return pos
}

/** toLowerCase without the copy when there is nothing to lower (the usual case for parameter names). */
function lowerAscii (s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c >= 0x41 && c <= 0x5a) || c >= 128) return s.toLowerCase()
  }
  return s
}

/** headers = "?" header *( "&" header ); header = hname "=" hvalue (RFC 3261 §25.1). */
function parseUriHeaders (s: string, pos: number, headers: Map<string, string>): number {
  const end = s.length
  while (pos <= end) {
    let amp = s.indexOf('&', pos)
    if (amp < 0) amp = end
    const eq = s.indexOf('=', pos)
    if (eq < 0 || eq > amp || eq === pos) throw badUri('bad URI header')
    headers.set(unescapeComponent(s, pos, eq), unescapeComponent(s, eq + 1, amp))
    pos = amp + 1
  }
  return end
}

/** RFC 3966: tel:number *( ";" par ). The number is kept in `user`; host stays empty. */
function parseTelUri (s: string, pos: number): SipUri {
  let semi = s.indexOf(';', pos)
  if (semi < 0) semi = s.length
  if (semi === pos) throw badUri('tel URI has no number')
  const user = unescapeComponent(s, pos, semi)
  const params = new Map<string, string | null>()
  const end = parseUriParams(s, semi, params)
  if (end !== s.length) throw badUri(`unexpected '${s[end] ?? ''}' in tel URI`)
  return { scheme: 'tel', user, password: null, host: '', port: null, params, headers: new Map() }
}

export function formatUri (u: SipUri): string {
  if (u.opaque !== undefined) return `${u.scheme}:${u.opaque}`
  let out = u.scheme + ':'
  if (u.scheme === 'tel') return out + escapeComponent(u.user ?? '', USER_CHARS) + formatUriParams(u.params)
  if (u.user !== null) {
    out += escapeComponent(u.user, USER_CHARS)
    if (u.password !== null) out += ':' + escapeComponent(u.password, PASSWORD_CHARS)
    out += '@'
  }
  out += u.host.indexOf(':') >= 0 ? `[${u.host}]` : u.host
  if (u.port !== null) out += ':' + String(u.port)
  out += formatUriParams(u.params)
  let sep = '?'
  for (const [name, value] of u.headers) {
    out += sep + escapeComponent(name, HEADER_CHARS) + '=' + escapeComponent(value, HEADER_CHARS)
    sep = '&'
  }
  return out
}

function formatUriParams (params: Map<string, string | null>): string {
  let out = ''
  for (const [name, value] of params) {
    out += ';' + escapeComponent(name, PARAM_CHARS)
    if (value !== null) out += '=' + escapeComponent(value, PARAM_CHARS)
  }
  return out
}

/**
 * RFC 3261 §19.1.4: a uri-parameter present in only one URI is ignored, except these — user, ttl and
 * method never match their absence, nor does maddr; transport is in the same position because the
 * RFC's own not-equal examples include "sip:bob@biloxi.com" vs "sip:bob@biloxi.com;transport=udp".
 */
const PARAMS_THAT_MUST_MATCH = new Set(['user', 'ttl', 'method', 'maddr', 'transport'])

function lowerOrNull (v: string | null | undefined): string | null {
  return v === null || v === undefined ? null : v.toLowerCase()
}

/** RFC 3261 §19.1.4 URI comparison (tel URIs per RFC 3966 §4, other schemes by exact text). */
export function uriEquals (a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false
  if (a.opaque !== undefined || b.opaque !== undefined) return a.opaque === b.opaque
  if (a.scheme === 'tel') return telEquals(a, b)
  // userinfo is compared case-sensitively, after unescaping (parseUri stored it unescaped).
  if (a.user !== b.user || a.password !== b.password) return false
  if (a.host !== b.host || a.port !== b.port) return false
  for (const [name, value] of a.params) {
    if (b.params.has(name)) {
      if (lowerOrNull(value) !== lowerOrNull(b.params.get(name))) return false
    } else if (PARAMS_THAT_MUST_MATCH.has(name)) {
      return false
    }
  }
  for (const name of b.params.keys()) {
    if (!a.params.has(name) && PARAMS_THAT_MUST_MATCH.has(name)) return false
  }
  // "URI header components are never ignored": the same set, in any order.
  return headersEqual(a.headers, b.headers)
}

function headersEqual (a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false
  if (a.size === 0) return true
  const lowered = new Map<string, string>()
  for (const [name, value] of b) lowered.set(name.toLowerCase(), value)
  for (const [name, value] of a) {
    if (lowered.get(name.toLowerCase()) !== value) return false
  }
  return true
}

/** RFC 3966 §4: numbers compare without visual separators; every parameter must be in both. */
function telEquals (a: SipUri, b: SipUri): boolean {
  const strip = (n: string | null): string => (n ?? '').replace(/[-.()]/g, '').toLowerCase()
  if (strip(a.user) !== strip(b.user)) return false
  if (a.params.size !== b.params.size) return false
  for (const [name, value] of a.params) {
    if (!b.params.has(name) || lowerOrNull(value) !== lowerOrNull(b.params.get(name))) return false
  }
  return true
}
