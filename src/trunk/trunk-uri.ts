// The one place a SIP URI for a party behind a trunk is written: the Request-URI of an outbound call,
// of a conference transfer's human leg, and the Refer-To of a REFER transfer.
//
//   +15550199 via trunk "carrier" (outbound.address carrier.example, tcp) →
//     sip:+15550199@carrier.example;user=phone;transport=tcp
//
// The host is the trunk's configured name, never a resolved address (RFC 3263 §4: the URI keeps the
// domain, DNS only picks where the request is sent). A telephone number carries user=phone (RFC 3261
// §19.1.6). The transport parameter names the trunk's transport, so a party that routes the URI
// itself (a Refer-To the trunk dials) reaches the trunk the way it is configured.
import { isIP } from 'node:net'
import type { TrunkConfig } from '../config'
import { parseTrunkAddress } from '../config'
import { parseUri } from '../sip/message/uri'

/** A user part that is a telephone number (E.164 or national digits; visual separators not allowed). */
export function isPhoneNumber (user: string): boolean {
  return /^\+?[0-9*#]+$/.test(user)
}

export function hostWithPort (host: string, port: number | null): string {
  const h = isIP(host) === 6 ? `[${host}]` : host
  return port !== null && port !== 0 ? `${h}:${port}` : h
}

/** Where the trunk's outbound side is: host as configured, port when given, transport. */
export function trunkAddress (trunk: TrunkConfig): { host: string, port: number | null, transport: 'udp' | 'tcp' | 'tls' } | null {
  const out = trunk.outbound
  if (!out) return null
  const addr = parseTrunkAddress(out.address, `trunks.${trunk.name}.outbound.address`)
  return { host: addr.host, port: addr.port ?? out.port ?? null, transport: out.transport }
}

function uriAt (user: string, scheme: 'sip' | 'sips', hostPort: string, transport: string | null): string {
  return `${scheme}:${user}@${hostPort}${isPhoneNumber(user) ? ';user=phone' : ''}${transport !== null ? `;transport=${transport}` : ''}`
}

/**
 * `user` at the trunk's outbound address. Without outbound settings, at the host a dialog with the trunk
 * talks to (its remote target: scheme, host, port and transport kept), when one is given; else null.
 */
export function trunkUri (user: string, trunk: TrunkConfig, remoteTarget?: string): string | null {
  const addr = trunkAddress(trunk)
  if (addr !== null) return uriAt(user, 'sip', hostWithPort(addr.host, addr.port), addr.transport)
  if (remoteTarget === undefined) return null
  const u = parseUri(remoteTarget)
  return uriAt(user, u.scheme === 'sips' ? 'sips' : 'sip', hostWithPort(u.host, u.port), u.params.get('transport') ?? null)
}

export class TrunkUriError extends Error {
  readonly code = 'TRUNK_ERR_INVALID_URI'
}

/** A destination as an API or a transfer rule gives it: a SIP URI as given (checked), else a number at the trunk. */
export function destinationUri (to: string, trunk: TrunkConfig): string {
  if (/^sips?:/i.test(to)) {
    try {
      parseUri(to)
    } catch (err) {
      throw new TrunkUriError(`not a valid SIP URI (${(err as Error).message})`)
    }
    return to
  }
  const uri = trunkUri(to, trunk)
  if (uri === null) throw new TrunkUriError(`trunk ${trunk.name} has no outbound settings to call ${to} through`)
  return uri
}
