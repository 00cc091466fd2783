import type { SipMessage } from '../message/types'
import type { TransportName } from '../transport/transport-kind'

export type { TransportName } from '../transport/transport-kind'
/** @deprecated the transport set is no longer stream-only; use TransportName. */
export type StreamTransport = TransportName

/**
 * Where a message goes: an existing connection (responses go back on the connection the request came in on,
 * RFC 3261 §18.2.2), or an address to connect to (§18.1.1). The transport layer accepts exactly these shapes.
 */
export type SendTarget =
  | { connectionId: string }
  | { transport: TransportName, host: string, port: number }

/** The part of the transport layer the transaction, dialog and UA layers need. TransportLayer satisfies it. */
export interface SipSender {
  send (msg: SipMessage, target: SendTarget): Promise<unknown>
  localAddressFor (transport: TransportName): { host: string, port: number }
}

/** Source of a received message (a subset of the transport layer's TransportSource). */
export interface MessageSource {
  transport: TransportName
  remoteAddress: string
  remotePort: number
  localAddress?: string
  localPort?: number
  connectionId: string
}

export function localHostPort (sender: SipSender, transport: TransportName): { host: string, port: number } {
  const a = sender.localAddressFor(transport)
  return { host: a.host, port: a.port }
}
