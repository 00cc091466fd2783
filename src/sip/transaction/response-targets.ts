import type { SipRequest } from '../message/types'
import { getVias } from '../message/headers'
import type { MessageSource, SendTarget } from './sip-sender'

/**
 * RFC 3261 §18.2.2 (and RFC 3581 rport): over a reliable transport the response goes back on the connection the
 * request arrived on; if that connection is gone, open one to the "received" address and the sent-by (or rport) port.
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
    const transport = via.transport.toUpperCase() === 'TLS' ? 'tls' : source.transport
    const port = rport ? Number(rport) : (via.port ?? (transport === 'tls' ? 5061 : 5060))
    if (host && Number.isInteger(port) && port > 0) targets.push({ transport, host, port })
  } catch {
    // Malformed Via: only the connection is usable.
  }
  return targets
}
