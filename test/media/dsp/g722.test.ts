// G.722 at 64 kbit/s (RTP PT 9, 16 kHz audio / 8000 RTP clock, RFC 3551 §4.5.2) through spandsp, checked
// against the ITU-T G.191 STL full-codec run (QMF included) and the libg722 regression checksums.
import crypto from 'node:crypto'
import fs from 'node:fs'
import t from 'tap'
import { encode, decode } from '../../../src/media/dsp'
import { td, readInt16LE, snrDb } from './helpers'

const stl = (f: string): string => td('codec', 'g722-stl', f)
const lib = (f: string): string => td('codec', 'g722-libg722', f)
const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex')
const pcmBytes = (s: Int16Array): Buffer => Buffer.from(s.buffer, s.byteOffset, s.byteLength)
const libChecksums = new Map(fs.readFileSync(lib('test.checksum'), 'utf8').trim().split('\n').map(l => {
  const [hash, name] = l.split(/\s+\*?/)
  return [name, hash] as const
}))

t.test('STL: encoding inpsp.bin gives exactly the reference octet stream (codsp.bytes-in-order.cod)', async t => {
  const input = readInt16LE(stl('inpsp.bin'))
  const ref = fs.readFileSync(stl('codsp.bytes-in-order.cod'))
  t.equal(input.length, 97536)
  const ours = encode('G722', input, 320)
  t.equal(ours.length, ref.length, '64 kbit/s: one octet per two 16 kHz samples')
  let diff = 0
  for (let i = 0; i < ref.length; i++) if (ours[i] !== ref[i]) diff++
  t.equal(diff, 0, 'bit-exact with the ITU reference encoder')
  // codspw.cod holds the same octets in the low byte of 16-bit words (README).
  const words = fs.readFileSync(stl('codspw.cod'))
  t.same(Array.from(ours.subarray(0, 64)), Array.from({ length: 64 }, (_, i) => words[2 * i]))
})

t.test('STL: decoding the reference stream gives outsp1.bin (mode 1, 64 kbit/s)', async t => {
  const cod = fs.readFileSync(stl('codsp.bytes-in-order.cod'))
  const ref = readInt16LE(stl('outsp1.bin'))
  const ours = decode('G722', cod, 160)
  t.equal(ours.length, ref.length)
  let diff = 0
  let maxAbs = 0
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i])
    if (d !== 0) diff++
    maxAbs = Math.max(maxAbs, d)
  }
  // Measured: spandsp 0.0.6 is bit-exact with the STL including the QMF, so no SNR tolerance is needed.
  t.equal(diff, 0, `bit-exact (max |diff| ${maxAbs}, SNR ${snrDb(ref, ours)} dB)`)
  // Packetisation must not matter: 20 ms (160 octets) vs 30 ms (240 octets) packets decode identically.
  t.same(pcmBytes(decode('G722', cod, 240)), pcmBytes(ours))
})

t.test('libg722 regression data: 16 kHz decode and big-endian encode checksums', async t => {
  const testG722 = fs.readFileSync(lib('test.g722'))
  t.equal(sha256(pcmBytes(decode('G722', testG722, 160))), libChecksums.get('test.raw.16k.out'), 'test.g722 -> 16 kHz PCM')
  const full = fs.readFileSync(lib('fullscale.g722'))
  // spandsp 0.0.6 alone wraps around here (no saturation in its QMF); our decoder saturates like libg722.
  const fullPcm = decode('G722', full, 160)
  t.equal(sha256(pcmBytes(fullPcm)), libChecksums.get('fullscale.raw.out'), 'full-scale stream saturates like libg722')
  let flips = 0
  for (let i = 1; i < fullPcm.length; i++) if (Math.abs(fullPcm[i] - fullPcm[i - 1]) > 40000) flips++
  t.equal(flips, 0, 'no wrap-around jumps in the full-scale decode')
  // pcminb.dat is big-endian 16 kHz PCM (README: --bend).
  const be = fs.readFileSync(lib('pcminb.dat'))
  const pcm = new Int16Array(be.length / 2)
  for (let i = 0; i < pcm.length; i++) pcm[i] = be.readInt16BE(2 * i)
  const enc = encode('G722', pcm, 320)
  t.equal(sha256(enc), libChecksums.get('pcminb.g722.out'), 'encode of pcminb.dat')
  // do-test.sh decodes it with --bend too, so that output file is big-endian.
  const dec = Buffer.from(pcmBytes(decode('G722', enc, 160)))
  t.equal(sha256(dec.swap16()), libChecksums.get('pcminb.raw.16k.out'), 'and its decode (big-endian)')
})

t.test('STL speech round trip through our encoder and decoder keeps a high SNR', async t => {
  const input = readInt16LE(stl('inpsp.bin'))
  const out = decode('G722', encode('G722', input), 160)
  // G.722's QMF pair delays by 22 samples; the SNR threshold is what 64 kbit/s SB-ADPCM achieves on speech.
  let best = -Infinity
  for (let d = 0; d < 40; d++) best = Math.max(best, snrDb(input.subarray(1000, 90000), out.subarray(1000 + d, 90000 + d)))
  t.ok(best > 15, `SNR ${best.toFixed(1)} dB`)
})
