// Rational resampler 8/16/24/48 kHz (the 24 kHz engine audio and Opus' 48 kHz): passband flat, stopband
// attenuated (no aliasing, no images), lengths exact, and seamless across chunks of any size (bit-exact with
// the one-shot output, the same style as the half-band resampler's tests).
import t from 'tap'
import { convertRate, type AudioRate } from '../../../src/media/dsp'
import { tone, rms, db } from './helpers'

const RATES: AudioRate[] = [8000, 16000, 24000, 48000]
const PAIRS: Array<[AudioRate, AudioRate]> = []
for (const a of RATES) for (const b of RATES) if (a !== b) PAIRS.push([a, b])

t.test('every pair: exact length and a 1 kHz tone within 0.5 dB', async t => {
  for (const [from, to] of PAIRS) {
    const out = convertRate(from, to, tone(1000, from, from, 20000))
    t.equal(out.length, to, `${from}->${to}: one second in, one second out`)
    const ref = tone(1000, to, to, 20000)
    const skip = to / 20  // filter start-up
    const gain = db(rms(out, skip, to - skip) / rms(ref, skip, to - skip))
    t.ok(Math.abs(gain) < 0.5, `${from}->${to}: gain ${gain.toFixed(3)} dB`)
  }
})

t.test('telephone band edge (3.4 kHz) passes every pair within 0.5 dB; 7 kHz passes the wideband ones', async t => {
  for (const [from, to] of PAIRS) {
    for (const f of Math.min(from, to) >= 16000 ? [3400, 7000] : [3400]) {
      const out = convertRate(from, to, tone(f, from, from, 20000))
      const gain = db(rms(out, to / 20, to - to / 20) / (20000 / Math.SQRT2))
      t.ok(Math.abs(gain) < 0.5, `${from}->${to} ${f} Hz: ${gain.toFixed(3)} dB`)
    }
  }
})

t.test('downsampling attenuates what would alias by at least 60 dB', async t => {
  for (const [from, to] of PAIRS.filter(([a, b]) => b < a)) {
    // A tone just above the new Nyquist (aliases into the band) and one well above it.
    for (const f of [to / 2 + to * 0.06, Math.min(from / 2 - 1000, to)]) {
      const out = convertRate(from, to, tone(f, from, from, 30000))
      const att = db(rms(out, to / 20, to - to / 20) / (30000 / Math.SQRT2))
      t.ok(att <= -60 || !Number.isFinite(att), `${from}->${to} ${f} Hz: ${att.toFixed(1)} dB`)
    }
  }
  // Plain decimation keeps an aliasing tone at full level: the test can fail.
  const naive = tone(9000, 24000, 24000, 30000).filter((_, i) => i % 3 === 0)
  t.ok(db(rms(naive) / (30000 / Math.SQRT2)) > -1, 'plain 24k->8k decimation would alias at full level')
})

t.test('upsampling suppresses images by at least 60 dB', async t => {
  for (const [from, to] of PAIRS.filter(([a, b]) => b > a)) {
    const f = 1000
    const out = convertRate(from, to, tone(f, from, from, 20000))
    // Remove the tone by correlation; what is left is images and noise.
    let c = 0; let s = 0
    const a0 = to / 10; const a1 = to - to / 10; const n = a1 - a0
    for (let i = a0; i < a1; i++) { c += out[i] * Math.cos(2 * Math.PI * f * i / to); s += out[i] * Math.sin(2 * Math.PI * f * i / to) }
    const a = 2 * c / n; const b = 2 * s / n
    let res = 0
    for (let i = a0; i < a1; i++) { const e = out[i] - a * Math.cos(2 * Math.PI * f * i / to) - b * Math.sin(2 * Math.PI * f * i / to); res += e * e }
    const image = db(Math.sqrt(res / n) / rms(out, a0, a1))
    t.ok(image < -60, `${from}->${to}: residual ${image.toFixed(1)} dB`)
  }
})

t.test('streaming: chunks of any size give exactly the one-shot output', async t => {
  for (const [from, to] of PAIRS) {
    const x = tone(440, from, Math.round(from * 0.3) + 1, 15000)
    const one = Array.from(convertRate(from, to, x))
    for (const chunk of [1, 2, 3, 7, 160, 161, 479, 481, 1000]) {
      t.same(Array.from(convertRate(from, to, x, chunk)), one, `${from}->${to}, chunk ${chunk}`)
    }
  }
})

t.test('argument checks', async t => {
  t.throws(() => convertRate(16000, 16000, new Int16Array(2)), new RangeError('rates must be two different of 8000, 16000, 24000, 48000'))
  t.throws(() => convertRate(44100 as AudioRate, 16000, new Int16Array(2)), new RangeError('rates must be two different of 8000, 16000, 24000, 48000'))
  t.throws(() => convertRate(16000, 24000, [1, 2] as unknown as Int16Array), new TypeError('pcm must be an Int16Array'))
  t.throws(() => convertRate(16000, 24000, new Int16Array(2), 0), new RangeError('chunk must be an integer 1..16777216'))
})
