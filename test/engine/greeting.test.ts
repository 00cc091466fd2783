import t from 'tap'
import { spawnSync } from 'node:child_process'
import pino from 'pino'
import { parseWav } from '../../src/engine/wav'
import { resample, renderGreeting, chime } from '../../src/engine/greeting'
import { SpeechDetector } from '../../src/engine/speech-detector'

const log = pino({ level: 'silent' })

function sine (freq: number, rate: number, seconds: number, amp = 10000): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds))
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amp * Math.sin(2 * Math.PI * freq * i / rate))
  return out
}

function rms (s: Int16Array, from = 0, to = s.length): number {
  let acc = 0
  for (let i = from; i < to; i++) acc += s[i] * s[i]
  return Math.sqrt(acc / (to - from))
}

function zeroCrossings (s: Int16Array): number {
  let n = 0
  for (let i = 1; i < s.length; i++) if ((s[i - 1] < 0) !== (s[i] < 0)) n++
  return n
}

t.test('espeak-ng WAV output (streamed, bogus sizes) parses', async t => {
  const r = spawnSync('espeak-ng', ['--stdout', 'test'])
  t.equal(r.status, 0, 'espeak-ng is installed')
  const wav = parseWav(r.stdout)
  t.equal(wav.sampleRate, 22050)
  t.equal(wav.channels, 1)
  t.equal(wav.samples.length, (r.stdout.length - 44) / 2, 'data read to the end despite the placeholder size')
  t.throws(() => parseWav(Buffer.from('not a wav file at all')), /not a RIFF\/WAVE/)
  const noData = Buffer.concat([Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1')])
  t.throws(() => parseWav(noData), /no data chunk/)
})

t.test('resampler keeps in-band tones and removes what cannot exist at 16 kHz', async t => {
  const inBand = resample(sine(1000, 22050, 1), 22050, 16000)
  t.equal(inBand.length, 16000)
  t.ok(Math.abs(zeroCrossings(inBand) - 2000) <= 2, `1 kHz stays 1 kHz (${zeroCrossings(inBand)} crossings/s)`)
  const gain = rms(inBand, 100, 15900) / rms(sine(1000, 22050, 1))
  t.ok(gain > 0.95 && gain < 1.05, `passband gain ${gain.toFixed(3)}`)
  const alias = resample(sine(10000, 22050, 1), 22050, 16000)
  const atten = rms(alias, 100, 15900) / 7071
  t.ok(atten < 0.05, `10 kHz (above the 8 kHz Nyquist) attenuated to ${(20 * Math.log10(atten)).toFixed(1)} dB`)
})

t.test('a missing espeak-ng falls back to the chime', async t => {
  const g = renderGreeting('hello', log, '/nonexistent/espeak-ng')
  t.equal(g.source, 'tone')
  t.equal(g.pcm.length, chime().length * 2)
  const real = renderGreeting('hello', log)
  t.equal(real.source, 'espeak-ng')
})

t.test('speech detector: start after loud frames, stop after the hangover', async t => {
  const d = new SpeechDetector({ threshold: 1000, startFrames: 2, hangoverFrames: 3 })
  const loud = Buffer.alloc(640)
  for (let i = 0; i < 320; i++) loud.writeInt16LE(i % 2 ? 3000 : -3000, 2 * i)
  const quiet = Buffer.alloc(640)
  t.equal(d.push(quiet), null)
  t.equal(d.push(loud), null, 'one loud frame (a click) is not speech')
  t.equal(d.push(quiet), null)
  t.equal(d.push(loud), null)
  t.equal(d.push(loud), 'start')
  t.equal(d.push(loud), null)
  t.equal(d.push(quiet), null)
  t.equal(d.push(quiet), null)
  t.equal(d.push(quiet), 'stop')
  t.equal(SpeechDetector.rms(loud), 3000)
})
