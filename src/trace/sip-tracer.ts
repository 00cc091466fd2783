// SIP tracing: every SIP message the transport layer sends or receives, as it is on the wire (after
// TLS decryption), to the log (log.sip_trace, or level trace) and to a HEPv3 collector (hep:), with
// each call's final media-quality report. Over TLS this is the only way to see the signalling.
import dgram from 'node:dgram'
import type { HepConfig } from '../config'
import type { Logger } from '../log'
import type { SipTraceEvent } from '../sip/transport/transport-types'
import { encodeHep3, HEP_PROTO } from './hep'

export type { SipTraceEvent }

/** A call's end-of-call quality, sent to the collector as an RTCP-JSON report correlated by Call-ID. */
export interface CallQualityReport {
  sipCallId: string
  conversationId: string
  status: string
  durationMs: number | null
  media: {
    packetsReceived: number, packetsSent: number, packetsLost: number, lossPercent: number,
    jitterMs: number, rttMs: number | null, mos: number | null
  } | null
}

/** Largest HEP packet: its length field is 16 bits; ~100 octets of chunk headers and addresses. */
const MAX_HEP_PAYLOAD = 65535 - 128

export class SipTracer {
  private readonly socket: dgram.Socket | null = null
  private readonly hepTarget: { host: string, port: number } | null = null
  private readonly log: Logger
  private dropped = 0

  constructor (private readonly opts: { logger: Logger, sipTrace: boolean, hep?: HepConfig }) {
    this.log = opts.logger.child({ component: 'sip-trace' })
    if (opts.hep) {
      this.hepTarget = parseHostPort(opts.hep.address)
      this.socket = dgram.createSocket(this.hepTarget.host.includes(':') ? 'udp6' : 'udp4')
      // A collector that is down must never disturb calls: errors are counted and logged once.
      this.socket.on('error', err => this.hepFailed(err))
      this.socket.unref()
    }
  }

  /** True when any output is on: the transport layer skips building events otherwise. */
  get enabled (): boolean {
    return this.opts.sipTrace || this.socket !== null || this.log.isLevelEnabled('trace')
  }

  message (ev: SipTraceEvent): void {
    const callId = headerValue(ev.data, 'call-id', 'i')
    if (this.opts.sipTrace || this.log.isLevelEnabled('trace')) {
      const entry = {
        callId,
        transport: ev.transport,
        peer: `${ev.remote.address}:${ev.remote.port}`,
        connectionId: ev.connectionId,
        bytes: ev.data.length,
        sip: ev.data.toString('utf8')
      }
      const summary = `${ev.direction === 'in' ? 'received from' : 'sent to'} ${ev.transport.toUpperCase()} ${entry.peer}: ${firstLine(ev.data)}`
      if (this.opts.sipTrace) this.log.info(entry, summary)
      else this.log.trace(entry, summary)
    }
    if (this.socket) {
      const [src, dst] = ev.direction === 'in' ? [ev.remote, ev.local] : [ev.local, ev.remote]
      this.sendHep({
        transport: 'tcp',
        srcAddress: src.address,
        srcPort: src.port,
        dstAddress: dst.address,
        dstPort: dst.port,
        timeMs: Date.now(),
        protocolType: HEP_PROTO.SIP,
        correlationId: callId ?? undefined,
        payload: ev.data
      })
    }
  }

  /** The final quality report of a call (RTCP-JSON, correlation id = the SIP Call-ID). */
  qualityReport (r: CallQualityReport): void {
    if (!this.socket || !this.hepTarget) return
    const payload = Buffer.from(JSON.stringify({
      type: 'call_quality',
      call_id: r.sipCallId,
      conversation_id: r.conversationId,
      status: r.status,
      duration_ms: r.durationMs,
      packets_received: r.media?.packetsReceived ?? null,
      packets_sent: r.media?.packetsSent ?? null,
      packets_lost: r.media?.packetsLost ?? null,
      loss_percent: r.media?.lossPercent ?? null,
      jitter_ms: r.media?.jitterMs ?? null,
      rtt_ms: r.media?.rttMs ?? null,
      mos: r.media?.mos ?? null
    }))
    this.sendHep({
      transport: 'udp',
      srcAddress: '127.0.0.1',
      srcPort: 0,
      dstAddress: this.hepTarget.host.includes(':') ? '::1' : '127.0.0.1',
      dstPort: 0,
      timeMs: Date.now(),
      protocolType: HEP_PROTO.RTCP_JSON,
      correlationId: r.sipCallId,
      payload
    })
  }

  /** A final call record: its quality report goes to the collector when the call had a SIP Call-ID. */
  callEnded (rec: { sipCallId: string | null, conversationId: string, status: string, durationMs: number | null, media: CallQualityReport['media'] }): void {
    if (rec.sipCallId === null) return
    this.qualityReport({ sipCallId: rec.sipCallId, conversationId: rec.conversationId, status: rec.status, durationMs: rec.durationMs, media: rec.media })
  }

  close (): void {
    try { this.socket?.close() } catch { /* already closed */ }
  }

  private sendHep (p: Omit<Parameters<typeof encodeHep3>[0], 'captureId' | 'password'>): void {
    if (!this.socket || !this.hepTarget || !this.opts.hep) return
    const payload = p.payload.length > MAX_HEP_PAYLOAD ? p.payload.subarray(0, MAX_HEP_PAYLOAD) : p.payload
    const packet = encodeHep3({ ...p, payload, captureId: this.opts.hep.id, password: this.opts.hep.password })
    this.socket.send(packet, this.hepTarget.port, this.hepTarget.host, err => { if (err) this.hepFailed(err) })
  }

  private hepFailed (err: Error): void {
    if (this.dropped++ === 0) this.log.warn({ err: err.message, collector: this.opts.hep?.address }, 'HEP export failing: packets are dropped (logged once)')
  }
}

function parseHostPort (address: string): { host: string, port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(address)
  if (!m) throw new Error(`hep.address ${JSON.stringify(address)} is not host:port`)
  return { host: m[1] ?? m[2], port: Number(m[3]) }
}

function firstLine (data: Buffer): string {
  const end = data.indexOf('\r\n')
  return data.toString('utf8', 0, end < 0 ? Math.min(data.length, 200) : Math.min(end, 200))
}

/** A header's value from raw octets (long or compact name), without a full parse. */
function headerValue (data: Buffer, long: string, compact: string): string | null {
  const headEnd = data.indexOf('\r\n\r\n')
  const head = data.toString('utf8', 0, headEnd < 0 ? data.length : headEnd)
  const m = new RegExp(`\\r\\n(?:${long}|${compact})[ \\t]*:[ \\t]*([^\\r\\n]*)`, 'i').exec(head)
  return m ? m[1].trim() : null
}
