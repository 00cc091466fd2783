// One SIP stream connection (TCP or TLS), either direction.
//
// Owns the octet-level concerns of RFC 3261 §18.3 framing (through StreamFramer), the RFC 5626 §4.4.1
// CRLF keep-alive, the slowloris read timer, the idle timer and backpressure-aware writes. It never
// parses SIP: complete frames go up as 'frame' events and the transport layer parses them, so a parse
// failure on one connection can only ever affect that connection.

import { EventEmitter } from 'node:events'
import type net from 'node:net'
import type tls from 'node:tls'
import type { Logger } from '../../log'
import { SipError } from '../sip-error'
import { StreamFramer } from './stream-framer'
import { TransportError } from './transport-error'
import type { TransportName, TransportLimits, TransportSource, TransportTimers } from './transport-types'

/**
 * open: reading and writing; closing: FIN sent after queued writes, waiting for the socket to close
 * (destroyed after LINGER_MS if the peer never answers); closed: gone, removed from the table.
 */
export type ConnectionState = 'open' | 'closing' | 'closed'

/** After our FIN, how long the peer gets to close its side before the socket is destroyed. */
const LINGER_MS = 2000
const PONG = Buffer.from('\r\n')

export interface ConnectionInit {
  id: string
  transport: TransportName
  direction: 'inbound' | 'outbound'
  limits: TransportLimits
  timers: TransportTimers
  logger: Logger
}

export interface SipConnectionEvents {
  frame: [buffer: Buffer, headerLength: number]
  framingError: [err: SipError, headerBlock: Buffer]
  closed: [reason: string]
}

export class SipConnection extends EventEmitter<SipConnectionEvents> {
  readonly id: string
  readonly transport: TransportName
  readonly direction: 'inbound' | 'outbound'
  readonly remoteAddress: string
  readonly remotePort: number
  readonly localAddress: string
  readonly localPort: number
  private _state: ConnectionState = 'open'
  private closeReason = ''
  private readonly framer: StreamFramer
  private readTimer: unknown = null
  /**
   * False on an inbound connection until its first octet: a peer that connects and never speaks gets
   * the read timeout, not the idle timeout (minutes), so silent sockets cannot pile up.
   */
  private heardFrom: boolean
  private lingerTimer: unknown = null
  private readonly log: Logger
  private readonly sourceInfo: TransportSource

  constructor (private readonly socket: net.Socket | tls.TLSSocket, private readonly init: ConnectionInit) {
    super()
    this.id = init.id
    this.transport = init.transport
    this.direction = init.direction
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '')
    this.remotePort = socket.remotePort ?? 0
    this.localAddress = normalizeAddress(socket.localAddress ?? '')
    this.localPort = socket.localPort ?? 0
    this.framer = new StreamFramer({ maxMessageBytes: init.limits.maxMessageBytes })
    this.log = init.logger.child({ connectionId: this.id, remote: `${this.remoteAddress}:${this.remotePort}` })
    this.sourceInfo = this.buildSource()
    this.heardFrom = init.direction === 'outbound'

    socket.setNoDelay(true)
    // Node resets this timer on every read and write, which is exactly "no traffic" (RFC 5626 §4.4.1
    // keep-alives count as traffic, so a client that pings keeps its flow).
    socket.setTimeout(init.limits.idleTimeoutMs)
    socket.on('timeout', () => this.close('idle timeout'))
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    // ECONNRESET and friends are normal on the Internet: log, and let 'close' clean up.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.log.debug({ err: { code: err.code, message: err.message } }, 'connection error')
      if (!this.closeReason) this.closeReason = err.code ?? 'socket error'
    })
    socket.on('close', () => this.onClose())
    this.log.debug({ direction: this.direction, transport: this.transport }, 'connection open')
    this.updateReadTimer()
  }

  get state (): ConnectionState { return this._state }

  /** The TransportSource carried by every message received on this connection. */
  source (): TransportSource { return this.sourceInfo }

  /**
   * Queues octets on the socket. Resolves when the kernel accepted them. Rejects instead of buffering
   * without bound when the peer stops reading (maxPendingWriteBytes).
   */
  write (data: Buffer): Promise<void> {
    const target = `${this.transport}:${this.remoteAddress}:${this.remotePort}`
    if (this._state !== 'open' || this.socket.destroyed || !this.socket.writable) {
      return Promise.reject(new TransportError('SIP_ERR_CONNECTION_CLOSED', target, `connection ${this.id} is closed`))
    }
    if (this.socket.writableLength + data.length > this.init.limits.maxPendingWriteBytes) {
      this.log.warn({ pending: this.socket.writableLength }, 'peer is not reading: send refused')
      return Promise.reject(new TransportError('SIP_ERR_SEND_QUEUE_FULL', target,
        `${this.socket.writableLength} octets already waiting on connection ${this.id}`))
    }
    return new Promise((resolve, reject) => {
      this.socket.write(data, err => {
        if (err) reject(TransportError.from(err, target, 'write failed'))
        else resolve()
      })
    })
  }

  /** Writes the last octets (an error response) and then closes, after they are flushed. */
  writeAndClose (data: Buffer | null, reason: string): void {
    if (this._state === 'open' && data && this.socket.writable) this.socket.write(data)
    this.close(reason)
  }

  /** Graceful close: FIN after pending writes; destroy if the peer does not close within LINGER_MS. */
  close (reason: string): void {
    if (!this.transition('closing')) return
    this.closeReason = reason
    this.clearReadTimer()
    this.log.info({ reason }, 'closing connection')
    this.socket.end()
    this.lingerTimer = this.init.timers.setTimeout(() => this.socket.destroy(), LINGER_MS)
  }

  /** Immediate close (shutdown, refused admission). */
  destroy (reason: string): void {
    if (this._state === 'closed') return
    if (!this.closeReason) this.closeReason = reason
    this.socket.destroy()
  }

  /** The only place the state changes: open → closing → closed, or open → closed (reset, destroy). */
  private transition (next: ConnectionState): boolean {
    const legal = (this._state === 'open' && next !== 'open') || (this._state === 'closing' && next === 'closed')
    if (legal) this._state = next
    return legal
  }

  private onData (chunk: Buffer): void {
    if (this._state !== 'open') return
    this.heardFrom = true
    const events = this.framer.push(chunk)
    for (const ev of events) {
      if (this._state !== 'open') return
      switch (ev.kind) {
        case 'ping':
          // RFC 5626 §4.4.1: answer the double-CRLF ping with a single CRLF pong.
          this.socket.write(PONG)
          break
        case 'message':
          this.emit('frame', ev.buffer, ev.headerLength)
          break
        case 'error':
          this.clearReadTimer()
          this.log.warn({ code: ev.error.code, status: ev.error.status, detail: ev.error.message }, 'stream framing lost')
          this.emit('framingError', ev.error, ev.headerBlock)
          // The listener answers if it can; the connection cannot continue either way (§18.3).
          this.close(ev.error.code)
          return
      }
    }
    this.updateReadTimer()
  }

  /**
   * Slowloris guard: the timer starts with the first octet of a message (or at accept, for a peer
   * that has not sent anything yet) and is not extended by more octets, only cleared when the message
   * is complete. It also covers a body shorter than its
   * Content-Length (RFC 4475 §3.1.2.2 clerr: over TCP, wait for more data, close at the timeout).
   */
  private updateReadTimer (): void {
    if (this.framer.midMessage || !this.heardFrom) {
      if (this.readTimer === null) {
        this.readTimer = this.init.timers.setTimeout(() => {
          this.readTimer = null
          this.log.warn({ buffered: this.framer.bufferedBytes, timeoutMs: this.init.limits.headerReadTimeoutMs },
            'message not complete within the read timeout')
          this.close('read timeout')
        }, this.init.limits.headerReadTimeoutMs)
      }
    } else {
      this.clearReadTimer()
    }
  }

  private clearReadTimer (): void {
    if (this.readTimer !== null) {
      this.init.timers.clearTimeout(this.readTimer)
      this.readTimer = null
    }
  }

  private onClose (): void {
    if (!this.transition('closed')) return
    this.clearReadTimer()
    if (this.lingerTimer !== null) this.init.timers.clearTimeout(this.lingerTimer)
    const reason = this.closeReason || 'closed by peer'
    this.log.debug({ reason }, 'connection closed')
    this.emit('closed', reason)
  }

  private buildSource (): TransportSource {
    const source: TransportSource = {
      transport: this.transport,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      localAddress: this.localAddress,
      localPort: this.localPort,
      connectionId: this.id
    }
    if (this.transport === 'tls' && 'getPeerCertificate' in this.socket) {
      const tlsSocket = this.socket as tls.TLSSocket
      const cert = tlsSocket.getPeerCertificate()
      if (cert && Object.keys(cert).length > 0) source.tlsPeerCertificate = cert
      source.tlsAuthorized = tlsSocket.authorized
    }
    return source
  }
}

/** '::ffff:192.0.2.1' (IPv4-mapped, dual-stack sockets) → '192.0.2.1', so peers compare equal. */
export function normalizeAddress (addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr
}
