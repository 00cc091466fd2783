// The UDP transport (RFC 3261 §18): one socket per listener, one message per datagram (§18.3: the datagram
// frames the message; Content-Length, when present, bounds the body). Unreliable, so the transaction layer
// retransmits (transport-kind.ts). Garbage never reaches the parser twice and never gets an answer when it is
// not a request: everything dropped is counted by reason. A lone CRLF (RFC 5626 §3.5.1 keep-alive sent by
// PBXs over UDP too) or a STUN binding request is a keep-alive, counted, not an error.
//
// The "connection" of a datagram is its flow, named by udpFlowId(): responses (RFC 3581 rport) and in-dialog
// requests of a UAS dialog go back to that flow, which is what keeps a NAT pinhole of the peer usable.

import dgram from 'node:dgram'
import { EventEmitter } from 'node:events'
import net from 'node:net'
import type { Logger } from '../../log'
import type { SipMessage } from '../message/types'
import { parseMessage } from '../parser/parser'
import { serializeMessage } from '../parser/serializer'
import { SipError } from '../sip-error'
import { normalizeAddress } from './connection'
import { buildErrorResponse, readRawMessageHead } from './error-response'
import { TransportError } from './transport-error'
import type { TransportLimits, TransportSource } from './transport-types'
import { stampTopVia } from './via-received'

/** Why a datagram was not passed up. */
export type DatagramDropReason = 'oversize' | 'unparseable' | 'broken_response' | 'broken_ack'

export interface UdpStats {
  received: number
  keepalives: number
  sent: number
  dropped: Record<DatagramDropReason, number>
}

export interface UdpTransportEvents {
  message: [msg: SipMessage, source: TransportSource]
  parseError: [err: SipError, source: TransportSource, rawStartLine?: string]
  dropped: [reason: DatagramDropReason, source: TransportSource]
}

const FLOW_PREFIX = 'udp|'

/** The connectionId of a UDP flow (a remote address and port). */
export function udpFlowId (host: string, port: number): string {
  return `${FLOW_PREFIX}${host}|${port}`
}

export function parseUdpFlowId (id: string): { host: string, port: number } | null {
  if (!id.startsWith(FLOW_PREFIX)) return null
  const rest = id.slice(FLOW_PREFIX.length)
  const bar = rest.lastIndexOf('|')
  if (bar < 0) return null
  const port = Number(rest.slice(bar + 1))
  return Number.isInteger(port) && port > 0 && port < 65536 ? { host: rest.slice(0, bar), port } : null
}

/** RFC 5389 §6: a STUN message starts with two zero bits and carries the magic cookie at offset 4. */
function isStun (buf: Buffer): boolean {
  return buf.length >= 20 && (buf[0] & 0xc0) === 0 && buf.readUInt32BE(4) === 0x2112a442
}

function isKeepAlive (buf: Buffer): boolean {
  for (const b of buf) if (b !== 0x0d && b !== 0x0a && b !== 0x00) return false
  return true
}

export class UdpTransport extends EventEmitter<UdpTransportEvents> {
  readonly stats: UdpStats = {
    received: 0, keepalives: 0, sent: 0, dropped: { oversize: 0, unparseable: 0, broken_response: 0, broken_ack: 0 }
  }

  private socket: dgram.Socket | null = null
  private bound: net.AddressInfo | null = null

  constructor (private readonly limits: TransportLimits, private readonly log: Logger) {
    super()
  }

  get address (): net.AddressInfo | null { return this.bound }

  async listen (host: string, port: number): Promise<net.AddressInfo> {
    const type = net.isIPv6(host) ? 'udp6' : 'udp4'
    // A larger receive buffer absorbs bursts (call storms, retransmission waves) instead of dropping in the kernel.
    const socket = dgram.createSocket({ type, reuseAddr: false, recvBufferSize: 4 * 1024 * 1024 })
    socket.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo))
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, host, () => { socket.off('error', reject); resolve() })
    })
    // ICMP errors surface as socket errors on some platforms; a datagram transport keeps running.
    socket.on('error', (err) => this.log.warn({ err }, 'UDP socket error'))
    this.socket = socket
    this.bound = socket.address()
    return this.bound
  }

  async close (): Promise<void> {
    const s = this.socket
    this.socket = null
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()))
  }

  /** One datagram to host:port. Rejects with TransportError when there is no socket or the send fails. */
  async send (data: Buffer, host: string, port: number): Promise<void> {
    const s = this.socket
    if (!s) throw new TransportError('SIP_ERR_UNSUPPORTED_TRANSPORT', 'udp', 'no UDP listener')
    const addr = host.replace(/^\[(.*)\]$/, '$1')
    await new Promise<void>((resolve, reject) => {
      s.send(data, port, addr, (err) => {
        if (err) reject(new TransportError('SIP_ERR_SEND_FAILED', `udp:${addr}:${port}`, err.message, err))
        else { this.stats.sent++; resolve() }
      })
    })
  }

  private source (rinfo: dgram.RemoteInfo): TransportSource {
    const remoteAddress = normalizeAddress(rinfo.address)
    return {
      transport: 'udp',
      remoteAddress,
      remotePort: rinfo.port,
      localAddress: normalizeAddress(this.bound?.address ?? ''),
      localPort: this.bound?.port ?? 0,
      connectionId: udpFlowId(remoteAddress, rinfo.port)
    }
  }

  private onDatagram (buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.received++
    if (isKeepAlive(buf) || isStun(buf)) {
      this.stats.keepalives++
      return
    }
    const source = this.source(rinfo)
    if (buf.length > this.limits.maxMessageBytes) {
      this.drop('oversize', source, { bytes: buf.length })
      return
    }
    let msg: SipMessage
    try {
      msg = parseMessage(buf, { maxMessageBytes: this.limits.maxMessageBytes, maxHeaders: this.limits.maxHeaders })
    } catch (e) {
      const err = e instanceof SipError
        ? e
        : new SipError(400, 'Bad Request', 'SIP_ERR_PARSE', { detail: e instanceof Error ? e.message : String(e) })
      this.answerBroken(buf, err, source)
      return
    }
    if (msg.kind === 'request') stampTopVia(msg, source.remoteAddress, source.remotePort)
    this.emit('message', msg, source)
  }

  /**
   * A request the parser refused gets err.status (§8.2.6.2 fields copied from the raw head) sent back to the
   * datagram's source (as over TCP, where it goes back on the connection); a broken response or ACK is dropped
   * (§18.1.2, §17.1.1.3).
   */
  private answerBroken (buf: Buffer, err: SipError, source: TransportSource): void {
    const end = buf.indexOf('\r\n\r\n')
    const head = readRawMessageHead(end < 0 ? buf : buf.subarray(0, end + 4))
    if (!head.isRequest || /^ACK /i.test(head.startLine)) {
      this.drop(head.isRequest ? 'broken_ack' : 'broken_response', source, { startLine: head.startLine.slice(0, 80), code: err.code })
      return
    }
    this.emit('parseError', err, source, head.startLine || undefined)
    this.drop('unparseable', source, { startLine: head.startLine.slice(0, 80), code: err.code, answered: err.status })
    let response: Buffer
    try {
      response = serializeMessage(buildErrorResponse(head, err))
    } catch (e) {
      this.log.debug({ err: e }, 'could not build the error response')
      return
    }
    this.send(response, source.remoteAddress, source.remotePort).catch((e) => this.log.debug({ err: e }, 'error response not delivered'))
  }

  private drop (reason: DatagramDropReason, source: TransportSource, detail: Record<string, unknown>): void {
    this.stats.dropped[reason]++
    this.log.info({ remote: `${source.remoteAddress}:${source.remotePort}`, reason, ...detail }, 'UDP datagram dropped')
    this.emit('dropped', reason, source)
  }
}
