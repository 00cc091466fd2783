// Half-band anti-aliasing resampler 8k<->16k: passband flat, stopband attenuated, seamless across chunks.
import t from 'tap'
import { resample } from '../../../src/media/dsp'
import { tone, rms, db, readInt16LE, td } from './helpers'

t.test('a 1 kHz tone passes both directions with < 0.5 dB level change', async t => {
  const up = resample('8k->16k', tone(1000, 8000, 8000, 20000))
  t.equal(up.length, 16000)
  const upGain = db(rms(up, 400, 15600) / rms(tone(1000, 16000, 16000, 20000), 400, 15600))
  t.ok(Math.abs(upGain) < 0.5, `8k->16k gain ${upGain.toFixed(3)} dB`)
  const down = resample('16k->8k', tone(1000, 16000, 16000, 20000))
  t.equal(down.length, 8000)
  const downGain = db(rms(down, 200, 7800) / rms(tone(1000, 8000, 8000, 20000), 200, 7800))
  t.ok(Math.abs(downGain) < 0.5, `16k->8k gain ${downGain.toFixed(3)} dB`)
  // Telephone band edge: 3.4 kHz still within 0.5 dB.
  const edge = resample('16k->8k', tone(3400, 16000, 16000, 20000))
  t.ok(Math.abs(db(rms(edge, 200, 7800) / (20000 / Math.SQRT2))) < 0.5, '3.4 kHz within 0.5 dB')
})

t.test('16k->8k attenuates a 6 kHz tone (would alias to 2 kHz) by at least 40 dB', async t => {
  for (const f of [5000, 6000, 7000]) {
    const out = resample('16k->8k', tone(f, 16000, 16000, 30000))
    const att = db(rms(out, 200, 7800) / rms(tone(f, 16000, 16000, 30000)))
    t.ok(att <= -40 || !Number.isFinite(att), `${f} Hz: ${att.toFixed(1)} dB`)
  }
  // Without anti-aliasing (plain decimation) the same tone keeps its full level: the test can fail.
  const naive = tone(6000, 16000, 16000, 30000).filter((_, i) => i % 2 === 0)
  t.ok(db(rms(naive) / rms(tone(6000, 16000, 16000, 30000))) > -1, 'plain decimation would alias at full level')
})

t.test('8k->16k suppresses the image of a 3 kHz tone (at 5 kHz) by at least 40 dB', async t => {
  const up = resample('8k->16k', tone(3000, 8000, 8000, 20000))
  // Remove the 3 kHz component by correlating, then measure what is left (the image).
  let c = 0; let s = 0
  for (let i = 400; i < 15600; i++) { c += up[i] * Math.cos(2 * Math.PI * 3000 * i / 16000); s += up[i] * Math.sin(2 * Math.PI * 3000 * i / 16000) }
  const n = 15200; const a = 2 * c / n; const b = 2 * s / n
  let res = 0
  for (let i = 400; i < 15600; i++) { const e = up[i] - a * Math.cos(2 * Math.PI * 3000 * i / 16000) - b * Math.sin(2 * Math.PI * 3000 * i / 16000); res += e * e }
  const image = db(Math.sqrt(res / n) / rms(up, 400, 15600))
  t.ok(image < -40, `image at ${image.toFixed(1)} dB`)
})

t.test('streaming: chunks of odd sizes give exactly the one-shot output (history carried, no discontinuity)', async t => {
  const x8 = tone(440, 8000, 4001, 15000)
  const x16 = tone(440, 16000, 8001, 15000)
  const up1 = resample('8k->16k', x8)
  const down1 = resample('16k->8k', x16)
  t.equal(down1.length, 4000, 'an odd leftover sample waits for its partner')
  for (const chunk of [1, 3, 7, 13, 159, 161, 321]) {
    t.same(Array.from(resample('8k->16k', x8, chunk)), Array.from(up1), `up, chunk ${chunk}`)
    t.same(Array.from(resample('16k->8k', x16, chunk)), Array.from(down1), `down, chunk ${chunk}`)
  }
  // And the output itself is smooth (after the filter start-up): no jump larger than a 440 Hz sine makes.
  let maxStep = 0
  for (let i = 60; i < up1.length; i++) maxStep = Math.max(maxStep, Math.abs(up1[i] - up1[i - 1]))
  t.ok(maxStep < 15000 * 2 * Math.PI * 440 / 16000 * 1.1, `max step ${maxStep}`)
})

t.test('argument checks', async t => {
  t.throws(() => resample('8k-16k' as '8k->16k', new Int16Array(2)), new TypeError("direction must be '8k->16k' or '16k->8k'"))
  t.throws(() => resample('8k->16k', new Float32Array(2) as unknown as Int16Array), new TypeError('pcm must be an Int16Array'))
  t.throws(() => resample('8k->16k', new Int16Array(2), 0), new RangeError('chunk must be an integer 1..16777216'))
})

// The block-wise native resampler against an independent float32 model of the per-sample algorithm it
// replaced (Math.fround after every operation = the C++ float arithmetic without FMA). The taps are
// rebuilt here from the same design (Kaiser beta 6, normalised to DC gain 1, half-band zeros forced), so
// a last-bit difference of a tap between V8's and glibc's sin is possible: the contract is +-1 LSB.
const TAPS = 47
const CENTRE = (TAPS - 1) / 2
const f32 = Math.fround

function besselI0 (x: number): number {
  let sum = 1; let term = 1
  for (let k = 1; k < 40; k++) { term *= (x / (2 * k)) * (x / (2 * k)); sum += term }
  return sum
}

function designTaps (): Float32Array {
  const h: number[] = []
  let sum = 0
  for (let k = 0; k < TAPS; k++) {
    const m = k - CENTRE
    const ideal = m === 0 ? 0.5 : Math.sin(Math.PI * m / 2) / (Math.PI * m)
    const r = m / CENTRE
    h.push(ideal * besselI0(6 * Math.sqrt(1 - r * r)) / besselI0(6))
    sum += h[k]
  }
  const taps = new Float32Array(TAPS)
  for (let k = 0; k < TAPS; k++) taps[k] = (k !== CENTRE && (k - CENTRE) % 2 === 0) ? 0 : f32(h[k] / sum)
  return taps
}

function sat16 (v: number): number {
  const r = v >= 0 ? f32(v + 0.5) : f32(v - 0.5)
  return r > 32767 ? 32767 : r < -32768 ? -32768 : Math.trunc(r)
}

function referenceResample (direction: '8k->16k' | '16k->8k', x: Int16Array): Int16Array {
  const h = designTaps()
  const at = (i: number): number => i >= 0 ? x[i] : 0 // zero history before the first sample
  if (direction === '8k->16k') {
    const out = new Int16Array(2 * x.length)
    const centreUp = f32(2 * h[CENTRE])
    for (let n = 0; n < x.length; n++) {
      let acc = 0
      for (let j = 0; j < (CENTRE + 1) / 2; j++) acc = f32(acc + f32(h[2 * j] * f32(at(n - j) + at(n - (CENTRE - j)))))
      out[2 * n] = sat16(f32(2 * acc))
      out[2 * n + 1] = sat16(f32(centreUp * at(n - (CENTRE - 1) / 2)))
    }
    return out
  }
  const out = new Int16Array(x.length >> 1)
  for (let k = 0; k < out.length; k++) {
    const p = 2 * k + 1 // the second sample of pair k completes output k
    let acc = f32(h[CENTRE] * at(p - CENTRE))
    for (let j = 0; j < (CENTRE + 1) / 2; j++) acc = f32(acc + f32(h[2 * j] * f32(at(p - 2 * j) + at(p - (2 * CENTRE - 2 * j)))))
    out[k] = sat16(acc)
  }
  return out
}

t.test('matches the per-sample float reference within 1 LSB on speech and full-scale material, in any chunking', async t => {
  let seed = 0x2545f491
  const noise = new Int16Array(24001).map(() => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) & 0xffff })
  const square = new Int16Array(12007).map((_, i) => Math.floor(i / 37) % 2 === 1 ? 32767 : -32768)
  const signals: Array<[string, Int16Array]> = [
    ['ITU STL speech (inpsp.bin)', readInt16LE(td('codec', 'g722-stl', 'inpsp.bin'))],
    ['full-scale 300 Hz', tone(300, 8000, 16001, 32767)],
    ['full-scale 3.9 kHz (near 8 kHz Nyquist)', tone(3900, 8000, 16001, 32767)],
    ['full-scale 7.9 kHz (near 16 kHz Nyquist)', tone(7900, 16000, 16001, 32767)],
    ['full-scale square (saturates)', square],
    ['full-scale white noise', noise]
  ]
  t.ok(signals[0][1].length > 90000, 'speech file read')
  let compared = 0; let differ = 0; let saturated = 0
  for (const direction of ['8k->16k', '16k->8k'] as const) {
    for (const [name, x] of signals) {
      const want = referenceResample(direction, x)
      saturated += want.filter(v => v === 32767 || v === -32768).length
      for (const chunk of [undefined, 1, 7, 160, 161, 255, 256, 257, 320, 513]) {
        const got = resample(direction, x, chunk)
        t.equal(got.length, want.length, `${direction} ${name} chunk ${chunk ?? 'all'}: length`)
        let worst = 0
        for (let i = 0; i < want.length; i++) {
          const d = Math.abs(got[i] - want[i])
          if (d > worst) worst = d
          if (d !== 0) differ++
        }
        compared += want.length
        if (worst > 1) t.fail(`${direction} ${name} chunk ${chunk ?? 'all'}: off by ${worst} LSB`)
      }
    }
  }
  t.ok(saturated > 1000, `the reference saturates (${saturated} clamped samples)`)
  t.pass(`${compared} samples within 1 LSB (${differ} not bit-identical)`)
})
