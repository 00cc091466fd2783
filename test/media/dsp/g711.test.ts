// G.711 (ITU-T G.711, RTP PT 0/8 per RFC 3551 §4.5.14): bit-exact against the ITU-T G.191 STL sweep, cross-checked
// with the independent npm `g711` package, and the 16 kHz codec path (with its resampler) round-trips cleanly.
import fs from 'node:fs'
import t from 'tap'
import { alawFromPCM, alawToPCM, ulawFromPCM, ulawToPCM } from 'g711'
import { g711Encode, g711Decode, encode, decode, codecInfo } from '../../../src/media/dsp'
import { td, readInt16LE, tone, snrDb, rms, db, firstDiff } from './helpers'

const dir = (f: string): string => td('codec', 'g711-stl', f)
const sweep = readInt16LE(dir('sweep.src'))
const lowBytes = (f: string): Uint8Array => { const b = fs.readFileSync(dir(f)); return Uint8Array.from({ length: b.length / 2 }, (_, i) => b[2 * i]) }

for (const [law, codeFile, decFile] of [['alaw', 'sweep-r.a', 'sweep-r.a-a'], ['ulaw', 'sweep-r.u', 'sweep-r.u-u']] as const) {
  t.test(`${law}: encoding every 16-bit input equals the STL sweep byte for byte`, async t => {
    t.equal(sweep.length, 65536)
    const ours = g711Encode(law, sweep)
    const ref = lowBytes(codeFile)
    let diff = 0
    for (let i = 0; i < 65536; i++) if (ours[i] !== ref[i]) diff++
    t.equal(diff, 0, 'no input differs from the ITU reference encoder')
  })
  t.test(`${law}: decoding equals the STL expansion for every code`, async t => {
    const codes = lowBytes(codeFile)
    const ref = readInt16LE(td('codec', 'g711-stl', decFile))
    const ours = g711Decode(law, codes)
    t.equal(firstDiff(ours, ref), -1, 'every code decodes to the STL value')
    const all = g711Decode(law, Uint8Array.from({ length: 256 }, (_, i) => i))
    t.equal(new Set(all).size, law === 'alaw' ? 256 : 255, 'A-law has 256 distinct levels, u-law 255 (two zeros)')
    t.equal(firstDiff(readInt16LE(td('codec', 'g711-stl', law === 'alaw' ? 'sweep-r.rea' : 'sweep-r.reu')), g711Decode(law, g711Encode(law, sweep))), -1, 'encode+decode = STL one-step file')
  })
  t.test(`${law}: cross-check with the npm g711 package`, async t => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const theirsDec = law === 'alaw' ? alawToPCM(codes, 16) : ulawToPCM(codes, 16)
    t.same(Array.from(g711Decode(law, codes)), Array.from(theirsDec), 'decoders identical on all 256 codes')
    // The package's encoder (Sun g711.c lineage) rounds differently at decision boundaries: where the two
    // disagree, both codes must be adjacent quantisation levels that bracket the input.
    const theirs = law === 'alaw' ? alawFromPCM(sweep) : ulawFromPCM(sweep)
    const ours = g711Encode(law, sweep)
    const levels = g711Decode(law, Uint8Array.from({ length: 256 }, (_, i) => i))
    const sorted = Array.from(new Set(levels)).sort((a, b) => a - b)
    let diff = 0
    const bad: number[] = []
    for (let i = 0; i < 65536; i++) {
      if (ours[i] === theirs[i]) continue
      diff++
      const a = levels[ours[i]]; const b = levels[theirs[i]]
      const gap = Math.abs(sorted.indexOf(a) - sorted.indexOf(b))
      if (gap !== 1 || sweep[i] < Math.min(a, b) - 16 || sweep[i] > Math.max(a, b) + 16) bad.push(sweep[i])
    }
    t.ok(diff < 65536 * 0.02, `disagreements are rare (${diff} of 65536)`)
    // Measured: g711@1.0.1 A-law-encodes the inputs -7..-1 as 0x5A (-248 after decoding) instead of 0x55 (-8),
    // a defect in that package's handling of small negatives; the STL (ITU reference) is authoritative and
    // our encoder matches it. Every other disagreement is a one-level decision at a segment boundary.
    t.same(bad, law === 'alaw' ? [-7, -6, -5, -4, -3, -2, -1] : [], 'only the known package defect is not a boundary decision')
    if (law === 'alaw') t.same(Array.from(g711Encode('alaw', Int16Array.from([-7, -1]))), [0x55, 0x55], 'STL: -7..-1 -> 0x55')
  })
}

t.test('codec registry facts (RFC 3551 table 4, §4.5.2)', async t => {
  t.match(codecInfo('PCMU'), { name: 'PCMU', payloadType: 0, sampleRate: 8000, rtpClock: 8000, bytesPer10ms: 80 })
  t.match(codecInfo('PCMA'), { name: 'PCMA', payloadType: 8, sampleRate: 8000, rtpClock: 8000 })
  t.match(codecInfo('G722'), { name: 'G722', payloadType: 9, sampleRate: 16000, rtpClock: 8000, bytesPer10ms: 80 })
  t.match(codecInfo('telephone-event'), { payloadType: -1, rtpClock: 8000, isAudio: false })
  t.equal(codecInfo('PCMU').decodeChain, 'PCMU(decode) -> resample(8k->16k)')
  t.equal(codecInfo('PCMA').encodeChain, 'resample(16k->8k) -> PCMA(encode)')
})

t.test('16 kHz codec path: 20 ms frames of 160 octets, speech-band tone survives encode+decode', async t => {
  const input = tone(1000, 16000, 16000, 12000)
  for (const codec of ['PCMU', 'PCMA'] as const) {
    const payload = encode(codec, input)
    t.equal(payload.length, 8000, `${codec}: 1 s = 8000 octets`)
    const out = decode(codec, payload, 160)
    t.equal(out.length, 16000)
    // The two half-band passes (down in the encoder, up in the decoder) delay by 45 samples at 16 kHz.
    const d = 45
    const snr = snrDb(input.subarray(100, 15000), out.subarray(100 + d, 15000 + d))
    t.ok(snr > 30, `${codec}: SNR ${snr.toFixed(1)} dB after G.711 + resampling`)
    t.ok(Math.abs(db(rms(out, 200) / rms(input, 200))) < 0.5, `${codec}: level within 0.5 dB`)
  }
})

t.test('facade argument checks', async t => {
  t.throws(() => g711Encode('mulaw' as 'ulaw', new Int16Array(2)), new TypeError("law must be 'ulaw' or 'alaw'"))
  t.throws(() => g711Encode('ulaw', [1, 2] as unknown as Int16Array), new TypeError('pcm8k must be an Int16Array'))
  t.throws(() => g711Decode('alaw', 'x' as unknown as Uint8Array), new TypeError('codes must be a Buffer or Uint8Array'))
  t.throws(() => encode('G729' as 'PCMU', new Int16Array(2)), new TypeError('codec must be one of PCMU, PCMA, G722, opus'))
  t.throws(() => encode('PCMU', new Int16Array(4), 3), new RangeError('frameSamples must be a positive even integer'))
  t.throws(() => encode('PCMU', new Int16Array(3)), new RangeError('pcm16k must hold an even number of samples'))
  t.throws(() => decode('PCMU', Buffer.alloc(4), 0), new RangeError('packetBytes must be an integer 1..65535'))
})
