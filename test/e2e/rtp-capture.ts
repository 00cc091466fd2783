// Captures the RTP the gateway sends to a peer's media port with tshark on loopback, and measures
// it: packet count by payload type and the energy of the decoded G.711 A-law audio.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface RtpSummary {
  packets: number
  byPayloadType: Map<number, number>
  /** Packets of PT 8 whose decoded audio RMS exceeds 300 (not silence/comfort noise). */
  loudPcmaPackets: number
  /** RFC 4733 events (PT 101) in arrival order, one entry per key press (end packet, retransmissions folded). */
  digits: string
}

const EVENT_DIGITS = '0123456789*#ABCD'

/** ITU-T G.711 A-law decode (the reference expansion, written out independently of the media core). */
export function alawToLinear (a: number): number {
  a ^= 0x55
  let t = (a & 0x0f) << 4
  const seg = (a & 0x70) >> 4
  if (seg === 0) t += 8
  else if (seg === 1) t += 0x108
  else { t += 0x108; t <<= seg - 1 }
  return (a & 0x80) ? t : -t
}

export class RtpCapture {
  private readonly child: ChildProcess
  private readonly file: string
  private readonly dir: string
  readonly port: number
  private readonly ready: Promise<void>

  constructor (dstPort: number) {
    this.port = dstPort
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-rtpcap-'))
    this.file = path.join(this.dir, 'rtp.pcap')
    this.child = spawn('tshark', ['-i', 'lo', '-q', '-f', `udp dst port ${dstPort}`, '-w', this.file, '-a', 'duration:60'],
      { stdio: ['ignore', 'ignore', 'pipe'] })
    this.ready = new Promise((resolve, reject) => {
      let err = ''
      const timer = setTimeout(() => reject(new Error(`tshark did not start capturing: ${err}`)), 10000)
      this.child.stderr?.on('data', (d: Buffer) => {
        err += d.toString()
        if (err.includes('Capturing on')) { clearTimeout(timer); resolve() }
      })
      this.child.once('exit', () => { clearTimeout(timer); reject(new Error(`tshark exited: ${err}`)) })
    })
  }

  started (): Promise<void> { return this.ready }

  /** Stops the capture (SIGINT to our own tshark) and summarises what it saw. */
  async stop (): Promise<RtpSummary> {
    const exited = new Promise<void>(resolve => {
      if (this.child.exitCode !== null) { resolve(); return }
      this.child.once('exit', () => resolve())
    })
    this.child.kill('SIGINT')
    await exited
    try {
      const out = spawnSync('tshark', ['-r', this.file, '-d', `udp.port==${this.port},rtp`, '-o', 'rtpevent.event_payload_type_value:101',
        '-T', 'fields', '-e', 'rtp.p_type', '-e', 'rtp.payload', '-e', 'rtpevent.event_id', '-e', 'rtpevent.end_of_event', '-e', 'rtp.timestamp'],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      const summary: RtpSummary = { packets: 0, byPayloadType: new Map(), loudPcmaPackets: 0, digits: '' }
      const endedEvents = new Set<string>()
      for (const line of out.stdout.split('\n')) {
        const [ptText, payload, eventId, endOfEvent, timestamp] = line.replace(/\n$/, '').split('\t')
        if (!ptText) continue
        const pt = Number(ptText)
        summary.packets++
        summary.byPayloadType.set(pt, (summary.byPayloadType.get(pt) ?? 0) + 1)
        // RFC 4733 §2.5.1.4: the end packet is sent three times with the same timestamp: one press.
        if (pt === 101 && eventId && endOfEvent === '1' && !endedEvents.has(timestamp)) {
          endedEvents.add(timestamp)
          summary.digits += EVENT_DIGITS[Number(eventId)] ?? '?'
        }
        if (pt === 8 && payload) {
          const bytes = Buffer.from(payload.replace(/:/g, ''), 'hex')
          let sum = 0
          for (const b of bytes) { const s = alawToLinear(b); sum += s * s }
          if (bytes.length > 0 && Math.sqrt(sum / bytes.length) > 300) summary.loudPcmaPackets++
        }
      }
      return summary
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true })
    }
  }
}
