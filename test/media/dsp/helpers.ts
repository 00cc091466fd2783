// Shared helpers for the DSP tests: testdata paths, PCM file reading, tone generation, level measurement,
// and a minimal pcap reader (global header 24 octets, record header 16, Ethernet/IPv4/UDP) for SIPp's pcaps.
import fs from 'node:fs'
import path from 'node:path'

export const TESTDATA = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors')

export function td (...parts: string[]): string { return path.join(TESTDATA, ...parts) }

/** 16-bit little-endian words of a file (the ITU STL files are LE, see each codec folder README.md). */
export function readInt16LE (file: string): Int16Array {
  const b = fs.readFileSync(file)
  const out = new Int16Array(b.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i)
  return out
}

export function tone (freq: number, rate: number, samples: number, amplitude = 10000): Int16Array {
  const out = new Int16Array(samples)
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin(2 * Math.PI * freq * i / rate))
  return out
}

export function rms (x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0
  for (let i = from; i < to; i++) s += x[i] * x[i]
  return Math.sqrt(s / Math.max(1, to - from))
}

export function db (ratio: number): number { return 20 * Math.log10(ratio) }

/** SNR in dB of `test` against `ref` over the common length. */
export function snrDb (ref: ArrayLike<number>, test: ArrayLike<number>): number {
  let sig = 0; let err = 0
  const n = Math.min(ref.length, test.length)
  for (let i = 0; i < n; i++) { sig += ref[i] * ref[i]; const e = ref[i] - test[i]; err += e * e }
  return err === 0 ? Infinity : 10 * Math.log10(sig / err)
}

export interface PcapUdp { tsUs: number, srcPort: number, dstPort: number, payload: Buffer }

/** UDP datagrams of a classic little-endian or big-endian pcap with Ethernet (linktype 1) framing. */
export function readPcapUdp (file: string): PcapUdp[] {
  const b = fs.readFileSync(file)
  const magic = b.readUInt32LE(0)
  const le = magic === 0xa1b2c3d4
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a pcap file`)
  const u32 = (o: number): number => le ? b.readUInt32LE(o) : b.readUInt32BE(o)
  const linkType = u32(20)
  if (linkType !== 1) throw new Error(`${file}: linktype ${linkType} is not Ethernet`)
  const out: PcapUdp[] = []
  let off = 24
  while (off + 16 <= b.length) {
    const tsSec = u32(off); const tsUsec = u32(off + 4); const incl = u32(off + 8)
    const frame = b.subarray(off + 16, off + 16 + incl)
    off += 16 + incl
    let p = 14
    let etherType = frame.readUInt16BE(12)
    if (etherType === 0x8100) { etherType = frame.readUInt16BE(16); p = 18 } // 802.1Q tag
    if (etherType !== 0x0800) continue
    const ihl = (frame[p] & 0x0f) * 4
    if (frame[p + 9] !== 17) continue // not UDP
    const totalLen = frame.readUInt16BE(p + 2)
    const udp = p + ihl
    const udpLen = frame.readUInt16BE(udp + 4)
    const end = Math.min(frame.length, p + totalLen, udp + udpLen)
    out.push({ tsUs: tsSec * 1e6 + tsUsec, srcPort: frame.readUInt16BE(udp), dstPort: frame.readUInt16BE(udp + 2), payload: Buffer.from(frame.subarray(udp + 8, end)) })
  }
  return out
}

/** Index of the first differing sample (-1 if equal and the same length): cheap to assert on long signals. */
export function firstDiff (a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return a.length === b.length ? -1 : n
}
