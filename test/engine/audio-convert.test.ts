// The connectors' own audio conversions (src/engine/audio-convert.ts): μ-law bit-exact against the ITU-T
// G.191 STL reference sweep, and the rational resampler's passband, stopband and chunk independence.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import {
  audioPath, fromPcm16k, mulawDecodeSample, mulawEncodeSample, RationalResampler, toPcm16k, wireMs
} from '../../src/engine/audio-convert'
import { MULAW8K, PCM16K, PCM24K } from '../../src/engine/engine-session'

const stl = (f: string): Int16Array => {
  const b = fs.readFileSync(path.join(__dirname, '..', 'vectors', 'codec', 'g711-stl', f))
  return new Int16Array(b.buffer, b.byteOffset, b.length / 2)
}

t.test('μ-law encode and decode are bit-exact with the ITU-T G.191 STL sweep (all 65,536 inputs)', async t => {
  const src = stl('sweep.src')
  const codes = stl('sweep-r.u')
  const decoded = stl('sweep-r.u-u')
  let encBad = -1
  let decBad = -1
  for (let i = 0; i < src.length; i++) {
    const c = mulawEncodeSample(src[i])
    if (encBad < 0 && c !== (codes[i] & 0xff)) encBad = i
    if (decBad < 0 && mulawDecodeSample(c) !== decoded[i]) decBad = i
  }
  t.equal(encBad, -1, 'first input whose code differs from STL')
  t.equal(decBad, -1, 'first input whose decoded value differs from STL')
})

function tone (hz: number, rate: number, n: number, amp = 10000): Int16Array {
  const out = new Int16Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate))
  return out
}

function rms (s: Int16Array, from = 0): number {
  let acc = 0
  for (let i = from; i < s.length; i++) acc += s[i] * s[i]
  return Math.sqrt(acc / (s.length - from))
}

function run (rs: RationalResampler, input: Int16Array, block: number): Int16Array {
  const parts: number[] = []
  for (let off = 0; off < input.length; off += block) parts.push(...rs.process(input.subarray(off, off + block)))
  return Int16Array.from(parts)
}

t.test('resampler: a 1 kHz tone keeps its level, content above the new Nyquist is removed, block size does not matter', async t => {
  // 16 → 24 kHz: 1 kHz passes.
  const up = run(new RationalResampler(3, 2), tone(1000, 16000, 16000), 320)
  t.equal(up.length, 24000, 'one second in, one second out')
  t.ok(Math.abs(rms(up, 480) / (10000 / Math.SQRT2) - 1) < 0.03, `1 kHz level kept 16k→24k (rms ${rms(up, 480).toFixed(0)})`)
  // 24 → 16 kHz: 1 kHz passes, 10 kHz (above 8 kHz) is stopped.
  const pass = run(new RationalResampler(2, 3), tone(1000, 24000, 24000), 480)
  t.equal(pass.length, 16000)
  t.ok(Math.abs(rms(pass, 320) / (10000 / Math.SQRT2) - 1) < 0.03, '1 kHz level kept 24k→16k')
  const alias = run(new RationalResampler(2, 3), tone(10000, 24000, 24000), 480)
  const db = 20 * Math.log10(rms(alias, 320) / (10000 / Math.SQRT2))
  t.ok(db < -30, `10 kHz folded back at ${db.toFixed(1)} dB (below -30 dB)`)
  // Same signal in 20 ms blocks or in odd blocks: same samples.
  const a = run(new RationalResampler(2, 3), tone(440, 24000, 4800), 480)
  const b = run(new RationalResampler(2, 3), tone(440, 24000, 4800), 333)
  t.same(Array.from(a), Array.from(b), 'filter state carries across blocks')
})

t.test('paths: the wire format itself when the core offers it, else PCM 16 kHz converted', async t => {
  t.same(audioPath({ encoding: 'mulaw', sampleRate: 8000 }, [MULAW8K, PCM16K], 'in'), { callFormat: MULAW8K, convert: null })
  t.same(audioPath({ encoding: 'pcm_s16le', sampleRate: 24000 }, [PCM24K, PCM16K], 'out'), { callFormat: PCM24K, convert: null })
  const conv = audioPath({ encoding: 'pcm_s16le', sampleRate: 24000 }, [PCM16K], 'in')
  t.same(conv?.callFormat, PCM16K)
  t.equal(conv?.convert?.(new Uint8Array(640)).length, 960, '20 ms at 16 kHz → 20 ms at 24 kHz')
  t.equal(audioPath({ encoding: 'pcm_s16le', sampleRate: 44100 }, [PCM16K], 'in'), null, '44.1 kHz is not carried')
  t.equal(fromPcm16k({ encoding: 'mulaw', sampleRate: 8000 })(new Uint8Array(640)).length, 160)
  t.equal(toPcm16k({ encoding: 'pcm_s16le', sampleRate: 8000 })(new Uint8Array(320)).length, 640)
  t.equal(wireMs({ encoding: 'pcm_s16le', sampleRate: 24000 }, 4800), 100)
  t.throws(() => toPcm16k({ encoding: 'pcm_s16le', sampleRate: 22050 }), RangeError)
})
