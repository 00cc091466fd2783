// The SIP transport layer (RFC 3261 §18): UDP, TCP and TLS listeners, connection reuse, parsing of framed
// messages and datagrams, answers to unparseable requests, and send() for the transaction layer.
//
// Events:
//   'message'          (msg, source)               a parsed request or response
//   'parseError'       (err, source, rawStartLine)  informational: the transport has ALREADY answered a
//                                                   broken request (do not answer again); broken responses
//                                                   are dropped (RFC 3261 §18.1.2)
//   'connectionOpened' (source)
//   'connectionClosed' (connectionId, reason)
//   'tlsClientError'   (err, {remoteAddress, remotePort})  failed inbound handshake (old TLS, bad client cert)
//   'datagramDropped'  (reason, source)             a UDP datagram counted and dropped (udpStats())

import { EventEmitter } from 'node:events'
import type net from 'node:net'
import os from 'node:os'
import type { Logger } from '../../log'
import { getVias } from '../message/headers'
import type { SipMessage } from '../message/types'
import { parseMessage } from '../parser/parser'
import { serializeMessage } from '../parser/serializer'
import { ListenError } from '../../listen-error'
import { SipError } from '../sip-error'
import { SipConnection } from './connection'
import { ConnectionTable, SourceAdmission } from './connection-table'
import { buildErrorResponse, canBeAnswered, readRawMessageHead } from './error-response'
import { connectStream, describeTarget, type ConnectTarget, type TlsClientSettings } from './outbound-connector'
import { TcpListener } from './tcp-listener'
import { loadTlsMaterial, tlsMinVersion, TlsListener, type TlsMaterial } from './tls-listener'
import { TransportError } from './transport-error'
import {
  DEFAULT_LIMITS, DEFAULT_PORT, type LocalAddress, type TransportName, type TransportLimits,
  type TransportOptions, type TransportSource, type TransportTimers
} from './transport-types'
import { stampTopVia } from './via-received'
import { parseUdpFlowId, UdpTransport, type DatagramDropReason, type UdpStats } from './udp-transport'
import { parseTransportName, TRANSPORT_KINDS } from './transport-kind'

/**
 * RFC 3261 §18.1.1: "If a request is within 200 bytes of the path MTU, or if it is larger than 1300 bytes and
 * the path MTU is unknown, the request MUST be sent using an RFC 2914 congestion controlled transport protocol,
 * such as TCP."
 */
export const UDP_REQUEST_LIMIT = 1300

export interface TransportLayerEvents {
  message: [msg: SipMessage, source: TransportSource]
  parseError: [err: SipError, source: TransportSource, rawStartLine?: string]
  connectionOpened: [source: TransportSource]
  connectionClosed: [connectionId: string, reason: string]
  tlsClientError: [err: Error, remote: { remoteAddress: string, remotePort: number }]
  datagramDropped: [reason: DatagramDropReason, source: TransportSource]
}

/** Accepts the transaction layer's shape too (connectionId may be a number there). */
export type SendTargetInput =
  | string
  | { connectionId: string | number }
  | { transport: TransportName, host: string, port: number }

const defaultTimers: TransportTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout)
}

let connectionSeq = 0

export class TransportLayer extends EventEmitter<TransportLayerEvents> {
  readonly limits: TransportLimits
  private readonly timers: TransportTimers
  private readonly log: Logger
  private readonly table = new ConnectionTable()
  private readonly admission: SourceAdmission
  private readonly connecting = new Map<string, Promise<SipConnection>>()
  private tcpListener: TcpListener | null = null
  private tlsListener: TlsListener | null = null
  private tlsMaterial: TlsMaterial | null = null
  private udp: UdpTransport | null = null
  private readonly bound = new Map<TransportName, net.AddressInfo>()
  private closed = false

  constructor (private readonly opts: TransportOptions, logger: Logger) {
    super()
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
    this.timers = opts.timers ?? defaultTimers
    this.log = logger.child({ layer: 'transport' })
    this.admission = new SourceAdmission(this.limits.maxConnectionsPerSource, this.limits.maxConnections)
    if (opts.tls) tlsMinVersion(opts.tls) // refuse TLS < 1.2 at construction, not at first handshake
  }

  /** Starts the listeners. TCP runs when `tcp` is configured or when none of udp, tcp, tls is. */
  async listen (): Promise<void> {
    try {
      if (this.opts.udp) {
        const udp = new UdpTransport(this.limits, this.log)
        udp.on('message', (msg, source) => this.safeEmit('message', msg, source))
        udp.on('parseError', (err, source, line) => this.safeEmit('parseError', err, source, line))
        udp.on('dropped', (reason, source) => this.safeEmit('datagramDropped', reason, source))
        const addr = await udp.listen(this.opts.udp.host ?? '0.0.0.0', this.opts.udp.port ?? DEFAULT_PORT.udp)
        this.udp = udp
        this.bound.set('udp', addr)
        this.log.info({ host: addr.address, port: addr.port }, 'SIP UDP listening')
      }
      if (this.opts.tcp || (!this.opts.tls && !this.opts.udp)) {
        const host = this.opts.tcp?.host ?? '0.0.0.0'
        this.tcpListener = new TcpListener(this.admission, this.log)
        this.tcpListener.on('socket', s => this.adopt(s, 'tcp', 'inbound'))
        const port = this.opts.tcp?.port ?? DEFAULT_PORT.tcp
        const addr = await this.tcpListener.listen(host, port).catch(err => { throw new ListenError('SIP TCP (sip.listen.tcp)', `${host}:${port}`, err) })
        this.bound.set('tcp', addr)
        this.log.info({ host: addr.address, port: addr.port }, 'SIP TCP listening')
      }
      if (this.opts.tls) {
        this.tlsMaterial = await loadTlsMaterial(this.opts.tls, this.log)
        this.tlsListener = new TlsListener(this.tlsMaterial, this.opts.tls, this.limits.headerReadTimeoutMs,
          this.admission, this.log)
        this.tlsListener.on('socket', s => this.adopt(s, 'tls', 'inbound'))
        this.tlsListener.on('tlsClientError', (err, remote) => this.safeEmit('tlsClientError', err, remote))
        const host = this.opts.tls.host ?? '0.0.0.0'
        const port = this.opts.tls.port ?? DEFAULT_PORT.tls
        const addr = await this.tlsListener.listen(host, port).catch(err => { throw new ListenError('SIP TLS (sip.listen.tls)', `${host}:${port}`, err) })
        this.bound.set('tls', addr)
        this.log.info({ host: addr.address, port: addr.port, selfSigned: this.tlsMaterial.selfSigned }, 'SIP TLS listening')
      }
    } catch (err) {
      await this.close()
      throw err
    }
  }

  /** Stops listening and drops every connection. */
  async close (): Promise<void> {
    this.closed = true
    for (const conn of this.table.all()) conn.destroy('transport closed')
    await Promise.all([this.tcpListener?.close(), this.tlsListener?.close(), this.udp?.close()])
  }

  /** Whether a listener of that transport is running (UDP may be turned off, TCP/TLS too). */
  has (transport: TransportName): boolean {
    return this.bound.has(transport)
  }

  /** Datagram counters (received, keep-alives, sent, dropped by reason); null without a UDP listener. */
  udpStats (): UdpStats | null {
    return this.udp?.stats ?? null
  }

  /**
   * The host/port to write into Via sent-by and Contact for a transport: the advertised address if
   * configured (NAT), else the bound address (a wildcard bind is replaced by the first external IPv4).
   */
  localAddressFor (transport: TransportName): LocalAddress {
    const addr = this.bound.get(transport)
    if (!addr) throw new Error(`transport ${transport} is not listening`)
    const adv = this.opts.advertise
    const advertisedPort = transport === 'tls' ? adv?.tlsPort : transport === 'udp' ? (adv?.udpPort ?? adv?.port) : adv?.port
    let host = adv?.host ?? addr.address
    if (!adv?.host && (host === '0.0.0.0' || host === '::')) host = firstExternalAddress()
    return { host, port: advertisedPort ?? addr.port, transport }
  }

  /** The source description of a live connection (e.g. for a registrar binding). */
  connectionSource (connectionId: string): TransportSource | undefined {
    return this.table.get(connectionId)?.source()
  }

  /** Lets requests to host:port use an existing connection (RFC 5923 alias, RFC 5626 flow). */
  addAlias (connectionId: string, host: string, port: number): boolean {
    return this.table.addAlias(connectionId, host, port)
  }

  /**
   * Sends a message. {connectionId}: over that connection; a response whose connection is gone falls
   * back to RFC 3261 §18.2.2 (received address, sent-by port). {transport, host, port}: over a live
   * connection to that peer (whichever side opened it), else a new one. Rejects with TransportError.
   */
  async send (msg: SipMessage, target: SendTargetInput): Promise<void> {
    if (this.closed) throw new TransportError('SIP_ERR_TRANSPORT_CLOSED', 'any', 'transport layer is closed')
    const data = serializeMessage(msg)
    const t = typeof target === 'string' ? { connectionId: target } : target
    if ('connectionId' in t) {
      const flow = parseUdpFlowId(String(t.connectionId))
      if (flow) return await this.sendDatagram(msg, data, flow.host, flow.port)

      const conn = this.table.get(String(t.connectionId))
      if (conn) return await this.write(conn, data)
      if (msg.kind !== 'response') {
        throw new TransportError('SIP_ERR_CONNECTION_CLOSED', `connection ${t.connectionId}`, 'connection is gone')
      }
      const fallback = responseFallback(msg)
      this.log.info({ connectionId: t.connectionId, target: describeTarget(fallback) },
        'response connection gone: reconnecting to Via sent-by (RFC 3261 §18.2.2)')
      return await this.write(await this.connectionTo(fallback), data)
    }
    if (t.transport === 'udp') return await this.sendDatagram(msg, data, t.host, t.port)
    return await this.write(await this.connectionTo(t), data)
  }

  private write (conn: SipConnection, data: Buffer): Promise<void> {
    this.trace('out', conn, data)
    return conn.write(data)
  }

  private trace (direction: 'in' | 'out', conn: SipConnection, data: Buffer): void {
    const sink = this.opts.trace
    if (!sink?.enabled) return
    try {
      sink.message({
        direction,
        transport: conn.transport,
        local: { address: conn.localAddress, port: conn.localPort },
        remote: { address: conn.remoteAddress, port: conn.remotePort },
        connectionId: conn.id,
        data
      })
    } catch (err) {
      this.log.error({ err }, 'SIP trace sink threw')
    }
  }

  /**
   * A message over UDP. A request above the §18.1.1 size limit goes over TCP to the same address instead (its
   * top Via rewritten to TCP and our TCP port), and back to UDP if no TCP connection can be made ("it SHOULD
   * retry the request, using UDP"). Without a TCP listener the datagram is sent as it is.
   */
  private async sendDatagram (msg: SipMessage, data: Buffer, host: string, port: number): Promise<void> {
    if (!this.udp) throw new TransportError('SIP_ERR_UNSUPPORTED_TRANSPORT', 'udp', 'UDP listener is turned off')
    if (msg.kind === 'request' && data.length > UDP_REQUEST_LIMIT && this.bound.has('tcp')) {
      const viaTcp = withTopViaTransport(msg, 'TCP', this.localAddressFor('tcp').port)
      if (viaTcp) {
        try {
          return await (await this.connectionTo({ transport: 'tcp', host, port })).write(serializeMessage(viaTcp))
        } catch (err) {
          this.log.info({ err, host, port, bytes: data.length }, 'large request: TCP failed, sending over UDP (RFC 3261 §18.1.1)')
        }
      }
    }
    return await this.udp.send(data, host, port)
  }

  private async connectionTo (target: ConnectTarget): Promise<SipConnection> {
    // Untyped callers (a Via or URI transport=udp/ws) must get a clear refusal, not a TCP attempt.
    if (target.transport !== 'tcp' && target.transport !== 'tls') {
      throw new TransportError('SIP_ERR_UNSUPPORTED_TRANSPORT', String(target.transport), 'not a stream transport')
    }
    const existing = this.table.findByPeer(target.transport, target.host, target.port)
    if (existing) return existing
    // Concurrent sends to one peer share one connect attempt instead of opening several connections.
    const key = describeTarget(target)
    const pending = this.connecting.get(key)
    if (pending) return await pending
    const attempt = (async () => {
      const socket = await connectStream(target, this.limits.connectTimeoutMs, this.timers, this.tlsClientSettings(target))
      if (this.closed) {
        socket.destroy()
        throw new TransportError('SIP_ERR_TRANSPORT_CLOSED', key, 'transport layer is closed')
      }
      return this.adopt(socket, target.transport, 'outbound', target)
    })()
    this.connecting.set(key, attempt)
    try {
      return await attempt
    } finally {
      this.connecting.delete(key)
    }
  }

  private tlsClientSettings (target: ConnectTarget): TlsClientSettings | null {
    if (target.transport !== 'tls') return null
    const tlsOpts = this.opts.tls ?? {}
    return {
      key: this.tlsMaterial?.key,
      cert: this.tlsMaterial?.cert,
      ca: this.tlsMaterial?.ca,
      verifyServer: tlsOpts.verifyServer ?? true,
      minVersion: tlsMinVersion(tlsOpts)
    }
  }

  /** Wraps a connected socket, registers it, and wires its frames to the parser. */
  private adopt (socket: net.Socket, transport: TransportName, direction: 'inbound' | 'outbound',
    dialled?: ConnectTarget): SipConnection {
    const id = `${transport}-${++connectionSeq}`
    const conn = new SipConnection(socket, { id, transport, direction, limits: this.limits, timers: this.timers, logger: this.log })
    // An outbound connection is also found under the name it was dialled by (a DNS name, a bracketed v6).
    this.table.add(conn, dialled ? [{ host: dialled.host, port: dialled.port }] : [])
    conn.on('frame', (buf, headerLength) => this.onFrame(conn, buf, headerLength))
    conn.on('framingError', (err, headerBlock) => this.answerBrokenMessage(conn, err, headerBlock))
    conn.on('closed', reason => {
      this.table.remove(conn)
      this.safeEmit('connectionClosed', conn.id, reason)
    })
    if (this.closed) conn.destroy('transport closed')
    else this.safeEmit('connectionOpened', conn.source())
    return conn
  }

  private onFrame (conn: SipConnection, buf: Buffer, headerLength: number): void {
    this.trace('in', conn, buf)
    let msg: SipMessage
    try {
      msg = parseMessage(buf, { maxMessageBytes: this.limits.maxMessageBytes, maxHeaders: this.limits.maxHeaders })
    } catch (e) {
      const err = e instanceof SipError
        ? e
        : new SipError(400, 'Bad Request', 'SIP_ERR_PARSE', { detail: e instanceof Error ? e.message : String(e) })
      if (!(e instanceof SipError)) this.log.error({ err: e }, 'parser threw a non-SipError')
      this.answerBrokenMessage(conn, err, buf.subarray(0, headerLength))
      return
    }
    if (msg.kind === 'request') {
      const via = stampTopVia(msg, conn.remoteAddress, conn.remotePort)
      // RFC 5923 §5: "alias" asks us to reuse this connection for requests to the sent-by. Only accepted
      // for the peer's own IP, so nobody can claim another host's address.
      if (via && via.params.has('alias') && via.host.replace(/^\[(.*)\]$/, '$1') === conn.remoteAddress) {
        this.table.addAlias(conn.id, via.host, via.port ?? DEFAULT_PORT[conn.transport])
      }
    }
    this.safeEmit('message', msg, conn.source())
  }

  /**
   * A message that could not be framed or parsed. Requests get err.status as a best-effort response built
   * from the raw header block (RFC 3261 §8.2.6.2 fields copied); responses and ACKs are never answered
   * (§17.1.1.3 / §18.1.2). Every rejected request ends in a response or a closed connection, never
   * neither: when no response can be built (no Via to copy, or it does not serialize) the connection
   * closes, as it does after the write when framing is lost (err.closeConnection).
   */
  private answerBrokenMessage (conn: SipConnection, err: SipError, headerBlock: Buffer): void {
    const head = readRawMessageHead(headerBlock)
    this.safeEmit('parseError', err, conn.source(), head.startLine || undefined)
    const isAck = /^ACK /i.test(head.startLine)
    if (!head.isRequest || isAck) {
      this.log.warn({ connectionId: conn.id, startLine: head.startLine.slice(0, 120), code: err.code, detail: err.message },
        head.isRequest ? 'broken ACK dropped' : 'broken response dropped')
      if (err.closeConnection) conn.close(err.code)
      return
    }
    let response: Buffer | null = null
    if (canBeAnswered(head)) {
      try {
        response = serializeMessage(buildErrorResponse(head, err))
      } catch (e) {
        this.log.error({ err: e }, 'could not serialize the error response')
      }
    }
    if (response === null) {
      this.log.warn({ connectionId: conn.id, status: err.status, code: err.code, detail: err.message,
        startLine: head.startLine.slice(0, 120) }, 'unanswerable request: closing the connection')
      conn.close(err.code)
      return
    }
    this.log.info({ connectionId: conn.id, status: err.status, code: err.code, detail: err.message,
      startLine: head.startLine.slice(0, 120) }, 'answering unparseable request')
    if (response) this.trace('out', conn, response)
    if (err.closeConnection) {
      conn.writeAndClose(response, err.code)
    } else {
      conn.write(response).catch(e => this.log.debug({ err: e }, 'error response not delivered'))
    }
  }

  /** A throwing listener must not take the socket handler (and with it the process) down. */
  private safeEmit<K extends keyof TransportLayerEvents> (event: K, ...args: TransportLayerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: TransportLayerEvents[K]) => boolean)(event, ...args)
    } catch (err) {
      this.log.error({ err, event }, 'transport event listener threw')
    }
  }
}

/** RFC 3261 §18.2.2: received address (else sent-by host), sent-by port (else the transport default). */
function responseFallback (msg: SipMessage): ConnectTarget {
  let via
  try {
    via = getVias(msg)[0]
  } catch (err) {
    throw new TransportError('SIP_ERR_CONNECTION_CLOSED', 'Via', 'connection is gone and the Via does not parse', err)
  }
  if (!via) throw new TransportError('SIP_ERR_CONNECTION_CLOSED', 'Via', 'connection is gone and the response has no Via')
  const transport = parseTransportName(via.transport)
  if (transport === null || TRANSPORT_KINDS[transport].reliable === false) {
    throw new TransportError('SIP_ERR_UNSUPPORTED_TRANSPORT', via.transport, 'Via transport is not TCP or TLS')
  }
  const host = via.params.get('received') || via.host
  return { transport, host, port: via.port ?? DEFAULT_PORT[transport] }
}

/** A copy of `msg` whose top Via says `token` with sent-by port `port` (the §18.1.1 switch to TCP). */
function withTopViaTransport (msg: SipMessage, token: string, port: number): SipMessage | null {
  const i = msg.headers.findIndex(h => h.name === 'Via')
  if (i < 0) return null
  const value = msg.headers[i].value
  const m = /^\s*SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z]+\s+(\[[^\]]+\]|[^\s:;,]+)(?::\d+)?/.exec(value)
  if (!m) return null
  const headers = msg.headers.slice()
  headers[i] = { name: 'Via', value: `SIP/2.0/${token} ${m[1]}:${port}${value.slice(m[0].length)}` }
  return { ...msg, headers }
}

function firstExternalAddress (): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address
    }
  }
  return '127.0.0.1'
}
