// The carrier behind a SIP proxy (issue 15): a dispatcher in front of the nodes (docker/kamailio.cfg)
// relays every request from its own address, so ACLs, digest failure blocking and logs would all see
// the proxy. The proxy therefore states where the request really came from, in one header:
//   X-Trunkgate-Source: proto=udp;ip=203.0.113.7;port=5060
// The header is believed only when the request arrives from an address in sip.trusted_proxies; from
// anyone else it is ignored (a carrier cannot claim another carrier's address). The proxy removes any
// copy a carrier sent before adding its own; should several still arrive, the last one (the proxy's
// append) counts.
import net from 'node:net'
import { cidrContains, normalizeAddress, parseCidr, type Cidr } from './cidr'
import type { SipRequest } from '../message/types'
import { SipError } from '../sip-error'

export const SOURCE_HEADER = 'X-Trunkgate-Source'

export type SourceTransport = 'udp' | 'tcp' | 'tls'

/** Where a request comes from for the policy: the carrier's address, and the proxy it came through. */
export interface CarrierSource {
  transport: SourceTransport
  remoteAddress: string
  remotePort: number | null
  /** The trusted proxy's address when the source was taken from its header. */
  viaProxy: string | null
}

export class TrustedProxies {
  private readonly nets: Cidr[]

  constructor (cidrs: readonly string[]) {
    this.nets = cidrs.map(c => {
      const n = parseCidr(c)
      if (!n) throw new RangeError(`not an address or CIDR: ${c}`)
      return n
    })
  }

  get any (): boolean { return this.nets.length > 0 }

  trusts (address: string): boolean {
    if (this.nets.length === 0) return false
    const a = normalizeAddress(address)
    return a !== null && this.nets.some(n => cidrContains(n, a))
  }

  /**
   * The carrier's source for a request received from `remote` over `transport`. A request from a
   * trusted proxy without the header is the proxy's own (its OPTIONS probes). A malformed header from
   * a trusted proxy is a 400: the proxy is misconfigured, and guessing would apply the wrong ACL.
   */
  resolve (req: SipRequest, transport: SourceTransport, remote: string): CarrierSource {
    const own: CarrierSource = { transport, remoteAddress: remote, remotePort: null, viaProxy: null }
    if (!this.trusts(remote)) return own
    let value: string | undefined
    for (const h of req.headers) if (h.name.toLowerCase() === 'x-trunkgate-source') value = h.value
    if (value === undefined) return own
    const parsed = parseSourceHeader(value)
    if (!parsed) {
      throw new SipError(400, 'Bad Request', 'SIP_ERR_BAD_SOURCE_HEADER', { detail: `${SOURCE_HEADER}: cannot read "${value.slice(0, 100)}" (want proto=udp|tcp|tls;ip=ADDRESS;port=N)` })
    }
    return { ...parsed, viaProxy: remote }
  }
}

/** proto=udp;ip=203.0.113.7;port=5060 (parameters in any order, case-insensitive names; IPv6 bare or in brackets). */
export function parseSourceHeader (value: string): Omit<CarrierSource, 'viaProxy'> | null {
  const params = new Map<string, string>()
  for (const part of value.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) return null
    params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim())
  }
  const proto = params.get('proto')?.toLowerCase()
  let ip = params.get('ip') ?? ''
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1)
  const portText = params.get('port')
  if (proto !== 'udp' && proto !== 'tcp' && proto !== 'tls') return null
  if (net.isIP(ip) === 0) return null
  let port: number | null = null
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null
    port = Number(portText)
  }
  return { transport: proto, remoteAddress: ip, remotePort: port }
}
