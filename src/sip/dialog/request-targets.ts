import { parseUri } from '../message/uri'
import { parseNameAddr } from '../message/name-addr'
import type { SendTarget } from '../transaction/sip-sender'
import { parseTransportName, TRANSPORT_KINDS, type TransportName } from '../transport/transport-kind'

/**
 * RFC 3263 without DNS (trunks are configured by address): where a request for `uri` goes.
 * A sips: URI selects TLS (§26.2.2), a transport= parameter the transport it names; otherwise the dialog's
 * transport (or the trunk's). Default ports per §19.1.2.
 */
export function targetForUri (uriText: string, fallback: TransportName): SendTarget {
  const uri = parseUri(uriText)
  const named = parseTransportName(uri.params.get('transport'))
  const transport: TransportName = uri.scheme === 'sips' ? 'tls' : (named ?? fallback)
  const maddr = uri.params.get('maddr')
  return { transport, host: maddr ?? uri.host, port: uri.port ?? TRANSPORT_KINDS[transport].defaultPort }
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
