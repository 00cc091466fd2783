import type { SipRequest } from '../message/types'
import { getVias } from '../message/headers'
import type { MessageSource, SendTarget } from './sip-sender'
import { isReliable, parseTransportName, TRANSPORT_KINDS } from '../transport/transport-kind'

/**
 * RFC 3261 §18.2.2 (and RFC 3581 rport): over a reliable transport the response goes back on the connection the
 * request arrived on; if that connection is gone, open one to the "received" address and the sent-by (or rport) port.
 * Over UDP the "connection" is the flow the datagram came from (source address and port): RFC 3581 §4 sends the
 * response there when the request asked for rport (the NAT's public mapping); without rport §18.2.2 applies:
 * the received (source) address and the sent-by port.
 *
 * `retransmittedOn` is the source of a retransmission that came over another connection. A TCP client only
 * retransmits after it reconnected (§17.1.1.2: no Timer A on reliable transports), so its old connection is
 * gone: the new one is tried first, before the old one and long before connecting back to a Via port the
 * client may not even listen on.
 */
export function responseTargets (request: SipRequest, source: MessageSource, retransmittedOn?: MessageSource | null): SendTarget[] {
  const targets: SendTarget[] = [{ connectionId: source.connectionId }]
  if (retransmittedOn && retransmittedOn.connectionId !== source.connectionId) {
    targets.unshift({ connectionId: retransmittedOn.connectionId })
  }
  try {
    const via = getVias(request)[0]
    const received = via.params.get('received') ?? null
    const rport = via.params.get('rport')
    const host = received ?? source.remoteAddress ?? via.host
    if (!isReliable(source.transport)) {
      if (rport) return targets
      return [{ transport: source.transport, host, port: via.port ?? TRANSPORT_KINDS[source.transport].defaultPort }]
    }
    const transport = parseTransportName(via.transport) === 'tls' ? 'tls' : source.transport
    const port = rport ? Number(rport) : (via.port ?? TRANSPORT_KINDS[transport].defaultPort)
    if (host && Number.isInteger(port) && port > 0) targets.push({ transport, host, port })
  } catch {
    // Malformed Via: only the connection is usable.
  }
  return targets
}
