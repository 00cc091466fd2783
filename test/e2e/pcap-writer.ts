// Writes a libpcap file of G.711 A-law RTP packets (Ethernet/IPv4/UDP), the input SIPp's
// play_pcap_audio replays. Used to make in-band DTMF test audio: sox/espeak give WAV, SIPp wants
// pcap. The A-law encoder is the ITU-T G.711 segment encoder written out here, independent of the
// media core under test.
import fs from 'node:fs'

/** ITU-T G.711 A-law encode of one 16-bit linear sample. */
export function linearToAlaw (sample: number): number {
  let pcm = sample >> 3   // 13-bit magnitude domain
  let mask: number
  if (pcm >= 0) mask = 0xd5
  else { mask = 0x55; pcm = -pcm - 1 }
  const segEnds = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff]
  let seg = 0
  while (seg < 8 && pcm > segEnds[seg]) seg++
  if (seg >= 8) return 0x7f ^ mask
  let aval = seg << 4
  aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f
  return aval ^ mask
}

/** 8 kHz samples → pcap of 20 ms PCMA packets (PT 8) from 127.0.0.1:6000 to 127.0.0.1:6002. */
export function writePcmaPcap (file: string, samples8k: Int16Array): void {
  const packets: Buffer[] = []
  const global = Buffer.alloc(24)
  global.writeUInt32LE(0xa1b2c3d4, 0); global.writeUInt16LE(2, 4); global.writeUInt16LE(4, 6)
  global.writeUInt32LE(65535, 16); global.writeUInt32LE(1, 20)
  packets.push(global)
  const ssrc = 0x1234abcd
  for (let i = 0, n = 0; i + 160 <= samples8k.length; i += 160, n++) {
    const rtp = Buffer.alloc(12 + 160)
    rtp[0] = 0x80; rtp[1] = 8 | (n === 0 ? 0x80 : 0)
    rtp.writeUInt16BE(n & 0xffff, 2); rtp.writeUInt32BE(n * 160, 4); rtp.writeUInt32BE(ssrc, 8)
    for (let k = 0; k < 160; k++) rtp[12 + k] = linearToAlaw(samples8k[i + k])
    const udp = Buffer.alloc(8)
    udp.writeUInt16BE(6000, 0); udp.writeUInt16BE(6002, 2); udp.writeUInt16BE(8 + rtp.length, 4)
    const ip = Buffer.alloc(20)
    ip[0] = 0x45; ip.writeUInt16BE(20 + 8 + rtp.length, 2); ip[8] = 64; ip[9] = 17
    ip.set([127, 0, 0, 1], 12); ip.set([127, 0, 0, 1], 16)
    let sum = 0
    for (let k = 0; k < 20; k += 2) sum += ip.readUInt16BE(k)
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16)
    ip.writeUInt16BE(~sum & 0xffff, 10)
    const eth = Buffer.alloc(14)
    eth.writeUInt16BE(0x0800, 12)
    const frame = Buffer.concat([eth, ip, udp, rtp])
    const rec = Buffer.alloc(16)
    const us = n * 20000
    rec.writeUInt32LE(Math.floor(us / 1e6), 0); rec.writeUInt32LE(us % 1e6, 4)
    rec.writeUInt32LE(frame.length, 8); rec.writeUInt32LE(frame.length, 12)
    packets.push(rec, frame)
  }
  fs.writeFileSync(file, Buffer.concat(packets))
}

/** DTMF key tone pair (ITU-T Q.23) for `ms` at 8 kHz, each tone at `amplitude`. */
export function dtmfTone8k (digit: string, ms: number, amplitude = 6000): Int16Array {
  const rows = [697, 770, 852, 941]
  const cols = [1209, 1336, 1477, 1633]
  const keys = ['123A', '456B', '789C', '*0#D']
  const r = keys.findIndex(k => k.includes(digit))
  const c = keys[r].indexOf(digit)
  const n = 8 * ms
  const out = new Int16Array(n)
  for (let i = 0; i < n; i++) {
    out[i] = Math.round(amplitude * (Math.sin(2 * Math.PI * rows[r] * i / 8000) + Math.sin(2 * Math.PI * cols[c] * i / 8000)))
  }
  return out
}
