import { parseUri } from '../message/uri'
import { parseNameAddr } from '../message/name-addr'
import type { SendTarget, StreamTransport } from '../transaction/sip-sender'

/**
 * RFC 3263 without DNS (trunks are configured by address): where a request for `uri` goes.
 * transport=tls or a sips: URI selects TLS (§26.2.2), transport=tcp TCP; otherwise the dialog's transport.
 * Default ports per §19.1.2.
 */
export function targetForUri (uriText: string, fallback: StreamTransport): SendTarget {
  const uri = parseUri(uriText)
  const tp = (uri.params.get('transport') ?? '').toLowerCase()
  const transport: StreamTransport = uri.scheme === 'sips' || tp === 'tls' ? 'tls' : tp === 'tcp' ? 'tcp' : fallback
  const maddr = uri.params.get('maddr')
  return { transport, host: maddr ?? uri.host, port: uri.port ?? (transport === 'tls' ? 5061 : 5060) }
}

/** A Route / Record-Route value (name-addr) → its URI as text, and whether it is a loose router (;lr). */
export function routeUri (route: string): { uri: string, loose: boolean } {
  const na = parseNameAddr(route)
  const m = /<([^>]*)>/.exec(route)
  return { uri: m ? m[1] : route.trim(), loose: na.uri.params.has('lr') }
}

/** The URI inside a Contact/To/From value (between < > when present, else up to the first ';'). */
export function uriOfNameAddr (value: string): string {
  const m = /<([^>]*)>/.exec(value)
  if (m) return m[1]
  return value.split(';')[0].trim()
}
