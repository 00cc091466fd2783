// A real UDP RTP peer on loopback for the media tests: sends G.711 RTP (encoded with the npm `g711`
// package, an implementation independent of ours) on a 20 ms timer and records what comes back,
// parsed with the npm `rtp-parser` package.
import dgram from 'node:dgram'
import { once } from 'node:events'
import { ulawFromPCM, ulawToPCM, alawFromPCM, alawToPCM } from 'g711'

// npm `rtp-parser` ships no types; this is the shape of what parseRtpPacket returns.
interface ParsedRtp {
  version: number, padding: number, extension: number, csrcCount: number, marker: number
  payloadType: number, sequenceNumber: number, timestamp: number, ssrc: number, csrc: number[], payload: Buffer
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { parseRtpPacket } = require('rtp-parser') as { parseRtpPacket: (buf: Buffer) => ParsedRtp }

export interface ReceivedRtp {
  at: bigint                  // process.hrtime.bigint() at arrival
  payloadType: number
  marker: number
  sequenceNumber: number
  timestamp: number
  ssrc: number
  payload: Buffer
  raw: Buffer
  from: dgram.RemoteInfo
}

export class RtpPeer {
  readonly socket: dgram.Socket
  readonly received: ReceivedRtp[] = []
  readonly rtcp: Buffer[] = []
  /** process.hrtime.bigint() at the arrival of each rtcp[i]: a report's hold time (DLSR) is measured, not assumed. */
  readonly rtcpAt: bigint[] = []
  seq = Math.floor(Math.random() * 65536)
  ts = Math.floor(Math.random() * 2 ** 32)
  ssrc = Math.floor(Math.random() * 2 ** 32)
  private timer: NodeJS.Timeout | null = null
  private target: { address: string, port: number } | null = null

  private constructor (socket: dgram.Socket) {
    this.socket = socket
    socket.on('message', (msg, from) => {
      // RFC 5761 §4: RTCP packet types 200-204 in the second octet
      if (msg.length >= 2 && msg[1] >= 200 && msg[1] <= 204) { this.rtcp.push(msg); this.rtcpAt.push(process.hrtime.bigint()); return }
      try {
        const p = parseRtpPacket(msg)
        this.received.push({ at: process.hrtime.bigint(), payloadType: p.payloadType, marker: p.marker, sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, ssrc: p.ssrc, payload: Buffer.from(p.payload), raw: msg, from })
      } catch { /* not RTP: ignore */ }
    })
  }

  static async create (port = 0): Promise<RtpPeer> {
    const s = dgram.createSocket('udp4')
    s.bind(port, '127.0.0.1')
    await once(s, 'listening')
    return new RtpPeer(s)
  }

  get port (): number { return this.socket.address().port }

  sendTo (address: string, port: number): void { this.target = { address, port } }

  packet (pt: number, payload: Buffer, opts: { marker?: boolean, seq?: number, ts?: number, ssrc?: number } = {}): Buffer {
    const b = Buffer.alloc(12 + payload.length)
    b[0] = 0x80
    b[1] = (opts.marker === true ? 0x80 : 0) | pt
    b.writeUInt16BE((opts.seq ?? this.seq) & 0xffff, 2)
    b.writeUInt32BE((opts.ts ?? this.ts) >>> 0, 4)
    b.writeUInt32BE((opts.ssrc ?? this.ssrc) >>> 0, 8)
    payload.copy(b, 12)
    return b
  }

  sendRaw (buf: Buffer): void {
    if (this.target === null) throw new Error('no target')
    this.socket.send(buf, this.target.port, this.target.address)
  }

  // Sends one 20 ms G.711 packet of pcm8k (160 samples) and advances seq/ts.
  sendG711 (pcm8k: Int16Array, law: 'PCMU' | 'PCMA' = 'PCMU', marker = false): Buffer {
    const payload = Buffer.from(law === 'PCMU' ? ulawFromPCM(pcm8k) : alawFromPCM(pcm8k))
    const pkt = this.packet(law === 'PCMU' ? 0 : 8, payload, { marker })
    this.sendRaw(pkt)
    this.seq = (this.seq + 1) & 0xffff
    this.ts = (this.ts + pcm8k.length) >>> 0
    return pkt
  }

  // Streams an 8 kHz signal as 20 ms PCMU packets on a timer until stop().
  stream (source: (frameIndex: number) => Int16Array, law: 'PCMU' | 'PCMA' = 'PCMU', transform?: (pkt: Buffer) => Buffer): void {
    let i = 0
    const tick = (): void => {
      const pcm = source(i)
      const payload = Buffer.from(law === 'PCMU' ? ulawFromPCM(pcm) : alawFromPCM(pcm))
      let pkt = this.packet(law === 'PCMU' ? 0 : 8, payload, { marker: i === 0 })
      if (transform !== undefined) pkt = transform(pkt)
      this.sendRaw(pkt)
      this.seq = (this.seq + 1) & 0xffff
      this.ts = (this.ts + 160) >>> 0
      i++
    }
    tick()
    this.timer = setInterval(tick, 20)
  }

  stop (): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  async close (): Promise<void> {
    this.stop()
    await new Promise<void>(resolve => this.socket.close(() => resolve()))
  }

  // Decodes the G.711 payloads received (in arrival order) to 8 kHz PCM.
  decodedG711 (from = 0): Int16Array {
    const parts: Int16Array[] = []
    for (const r of this.received.slice(from)) {
      if (r.payloadType === 0) parts.push(Int16Array.from(ulawToPCM(new Uint8Array(r.payload), 16)))
      else if (r.payloadType === 8) parts.push(Int16Array.from(alawToPCM(new Uint8Array(r.payload), 16)))
    }
    let len = 0
    for (const p of parts) len += p.length
    const out = new Int16Array(len)
    let at = 0
    for (const p of parts) { out.set(p, at); at += p.length }
    return out
  }
}

// Resolves when cond() holds, polling on a short timer; rejects after timeoutMs with the label.
export async function waitFor (cond: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${label}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
