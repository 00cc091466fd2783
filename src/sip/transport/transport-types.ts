// Public types of the SIP transport layer (RFC 3261 §18): UDP datagrams and TCP/TLS streams.

import type { PeerCertificate } from 'node:tls'
import { TRANSPORT_KINDS, type TransportName } from './transport-kind'

export type { TransportName } from './transport-kind'
/** @deprecated the transport set is no longer stream-only; use TransportName. */
export type StreamTransport = TransportName

export interface TransportLimits {
  /** Largest message (header section + body) accepted; beyond it 513/413 and close. Default 65536. */
  maxMessageBytes: number
  /** Passed to the parser: most header fields in one message. Default 256. */
  maxHeaders: number
  /**
   * Slowloris guard: time allowed from the first octet of a message until the message (header block
   * and Content-Length octets of body) is complete. Default 10 s. Then the connection is closed.
   */
  headerReadTimeoutMs: number
  /** A connection with no traffic in either direction for this long is closed. Default 5 min. */
  idleTimeoutMs: number
  /** Simultaneous inbound connections (including TLS handshakes) per remote IP. Default 64. */
  maxConnectionsPerSource: number
  /** Simultaneous inbound connections (including TLS handshakes) from all sources together. Default 4096. */
  maxConnections: number
  /** Octets allowed to sit unsent on one connection (slow reader); beyond it send() rejects. Default 4 MiB. */
  maxPendingWriteBytes: number
  /** Outbound TCP connect + TLS handshake limit. Default 10 s (well inside Timer B = 64*T1). */
  connectTimeoutMs: number
}

export interface TlsOptions {
  host?: string
  port?: number
  /** PEM files. Without certFile/keyFile a self-signed development certificate is generated (logged loudly). */
  certFile?: string
  keyFile?: string
  /** PEM trust anchors: verify client certificates (server side) and servers we connect to (client side). */
  caFile?: string
  /** 'TLSv1.2' (default) or 'TLSv1.3'. Anything older is refused (RFC 8996 deprecates TLS 1.0/1.1). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3'
  /** Ask inbound clients for a certificate (mutual TLS, per-trunk identity). Default false. */
  requestCert?: boolean
  /** With requestCert: refuse clients whose certificate does not chain to caFile. Default true. */
  rejectUnauthorized?: boolean
  /** Outbound: verify the server certificate against caFile (or the system store) and the SNI name. Default true. */
  verifyServer?: boolean
}

export interface TransportTimers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export interface TransportOptions {
  /** UDP listener (RFC 3261 §18). Omitted: no UDP. */
  udp?: { host?: string, port?: number }
  /** TCP listener. Default 0.0.0.0:5060 when none of udp, tcp, tls is given; omitted otherwise. */
  tcp?: { host?: string, port?: number }
  /** TLS listener, default port 5061. */
  tls?: TlsOptions
  /**
   * Address written into Via/Contact when it differs from the bind address (NAT, containers):
   * port for TCP (and UDP unless udpPort is given), tlsPort for TLS (each defaults to the bound port).
   */
  advertise?: { host: string, port?: number, tlsPort?: number, udpPort?: number }
  limits?: Partial<TransportLimits>
  /** Injected so tests can control time (STYLE.md). */
  timers?: TransportTimers
  /** SIP tracing (log, HEP): called with every message sent and received, as framed on the wire. */
  trace?: SipTraceSink
}

/** One SIP message on a connection, for tracing (src/trace). */
export interface SipTraceEvent {
  direction: 'in' | 'out'
  transport: StreamTransport
  local: { address: string, port: number }
  remote: { address: string, port: number }
  connectionId: string
  /** The message octets exactly as framed (start line, headers, body); after TLS decryption. */
  data: Buffer
}

export interface SipTraceSink {
  /** Checked per message: nothing is built while tracing is off. */
  readonly enabled: boolean
  message: (ev: SipTraceEvent) => void
}

export interface TransportSource {
  transport: TransportName
  remoteAddress: string
  remotePort: number
  localAddress: string
  localPort: number
  connectionId: string
  /** TLS only, when the peer presented a certificate. */
  tlsPeerCertificate?: PeerCertificate
  /** TLS only: whether that certificate chains to the configured CA (per-trunk policy decides). */
  tlsAuthorized?: boolean
}

export interface LocalAddress {
  host: string
  port: number
  transport: TransportName
}

/** Where send() puts a message: the connection a request came on, or a peer address. */
export type SendTarget =
  | { connectionId: string }
  | { transport: TransportName, host: string, port: number }

export const DEFAULT_LIMITS: TransportLimits = {
  maxMessageBytes: 65536,
  maxHeaders: 256,
  headerReadTimeoutMs: 10_000,
  idleTimeoutMs: 5 * 60_000,
  maxConnectionsPerSource: 64,
  maxConnections: 4096,
  maxPendingWriteBytes: 4 * 1024 * 1024,
  connectTimeoutMs: 10_000
}

/** RFC 3261 §18.2.2 / §19.1.2: default ports when a sent-by or URI carries none. */
export const DEFAULT_PORT: Record<TransportName, number> = {
  udp: TRANSPORT_KINDS.udp.defaultPort, tcp: TRANSPORT_KINDS.tcp.defaultPort, tls: TRANSPORT_KINDS.tls.defaultPort
}
