// What the layers above the transport need to know about one: its name (Via token, URI transport= parameter),
// whether it is reliable (RFC 3261 §17: retransmission timers only on unreliable transports), whether it is
// secure, and its default port (§19.1.2). The layers ask this table instead of switching on names (sipgo's
// Transport.IsReliable), so a new transport (WebSocket, RFC 7118) is one entry here plus one listener.

export type TransportName = 'udp' | 'tcp' | 'tls'

export interface TransportKind {
  readonly name: TransportName
  /** §17.1.1.2 / §17.1.2.2 / §17.2.1: timers A, E, G retransmit and D, I, J, K linger only when false. */
  readonly reliable: boolean
  /** §26.2.2: a sips: URI needs TLS on every hop. */
  readonly secure: boolean
  /** §19.1.2: the port when a URI or sent-by has none. */
  readonly defaultPort: number
  /** The sent-protocol transport token in Via (§20.42): "UDP", "TCP", "TLS". */
  readonly viaToken: string
}

export const TRANSPORT_KINDS: Readonly<Record<TransportName, TransportKind>> = Object.freeze({
  udp: { name: 'udp', reliable: false, secure: false, defaultPort: 5060, viaToken: 'UDP' },
  tcp: { name: 'tcp', reliable: true, secure: false, defaultPort: 5060, viaToken: 'TCP' },
  tls: { name: 'tls', reliable: true, secure: true, defaultPort: 5061, viaToken: 'TLS' }
})

export const TRANSPORT_NAMES: readonly TransportName[] = Object.freeze(['udp', 'tcp', 'tls'])

export function transportKind (name: TransportName): TransportKind {
  return TRANSPORT_KINDS[name]
}

export function isReliable (name: TransportName): boolean {
  return TRANSPORT_KINDS[name].reliable
}

/** A Via sent-protocol token or a URI transport= value → the transport, or null for one we do not speak (ws, sctp). */
export function parseTransportName (token: string | null | undefined): TransportName | null {
  const t = (token ?? '').toLowerCase()
  return t === 'udp' || t === 'tcp' || t === 'tls' ? t : null
}
