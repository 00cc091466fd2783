// Half-band anti-aliasing resampler 8k<->16k: passband flat, stopband attenuated, seamless across chunks.
import t from 'tap'
import { resample } from '../../../src/media/dsp'
import { tone, rms, db } from './helpers'

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
