// The demo engine's greeting, rendered once at startup as 16 kHz s16le mono: a spoken prompt from
// espeak-ng when it is installed, otherwise a two-note chime so the caller still hears the engine.
import { spawn, spawnSync } from 'node:child_process'
import type { Logger } from '../log'
import { parseWav } from './wav'

export const ENGINE_RATE = 16000
const FRAME_SAMPLES = 320

/** Windowed-sinc resampler (startup only, so clarity over speed). Mono input. */
export function resample (input: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return input.slice()
  const outLen = Math.floor(input.length * toRate / fromRate)
  const out = new Int16Array(outLen)
  const cutoff = Math.min(1, toRate / fromRate) * 0.92   // below the new Nyquist, leave a transition band
  const half = 16
  const step = fromRate / toRate
  for (let n = 0; n < outLen; n++) {
    const t = n * step
    const centre = Math.floor(t)
    let acc = 0
    for (let k = centre - half + 1; k <= centre + half; k++) {
      if (k < 0 || k >= input.length) continue
      const x = t - k
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * cutoff * x) / (Math.PI * cutoff * x)
      const window = 0.5 + 0.5 * Math.cos(Math.PI * x / half)   // Hann
      acc += input[k] * cutoff * sinc * window
    }
    out[n] = Math.max(-32768, Math.min(32767, Math.round(acc)))
  }
  return out
}

/** Pads to whole 20 ms frames and returns s16le bytes. */
export function toFrames (samples: Int16Array): Buffer {
  const padded = Math.ceil(samples.length / FRAME_SAMPLES) * FRAME_SAMPLES
  const buf = Buffer.alloc(padded * 2)
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(samples[i], 2 * i)
  return buf
}

/** 660 Hz then 880 Hz, 300 ms each at about -12 dBFS, with 10 ms ramps against clicks. */
export function chime (): Int16Array {
  const noteLen = 0.3 * ENGINE_RATE
  const out = new Int16Array(noteLen * 2)
  const ramp = 0.01 * ENGINE_RATE
  ;[660, 880].forEach((f, note) => {
    for (let i = 0; i < noteLen; i++) {
      const env = Math.min(1, i / ramp, (noteLen - 1 - i) / ramp)
      out[note * noteLen + i] = Math.round(8000 * env * Math.sin(2 * Math.PI * f * i / ENGINE_RATE))
    }
  })
  return out
}

export interface GreetingAudio {
  pcm: Buffer
  source: 'espeak-ng' | 'tone'
}

export function renderGreeting (text: string, log: Logger, espeakBinary = 'espeak-ng'): GreetingAudio {
  const r = spawnSync(espeakBinary, ['--stdout', text], { timeout: 10000, maxBuffer: 16 * 1024 * 1024 })
  if (r.error || r.status !== 0 || !r.stdout || r.stdout.length === 0) {
    log.warn({ err: r.error?.message, status: r.status }, 'espeak-ng unavailable: the demo greeting is a tone')
    return { pcm: toFrames(chime()), source: 'tone' }
  }
  return fromWavOrTone(r.stdout, log)
}

function fromWavOrTone (wavBytes: Buffer, log: Logger): GreetingAudio {
  try {
    const wav = parseWav(wavBytes)
    const mono = wav.channels === 1 ? wav.samples : wav.samples.filter((_, i) => i % wav.channels === 0)
    return { pcm: toFrames(resample(mono, wav.sampleRate, ENGINE_RATE)), source: 'espeak-ng' }
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'espeak-ng output unreadable: using a tone')
    return { pcm: toFrames(chime()), source: 'tone' }
  }
}

/** Per-call rendering (a personalised first message) without blocking the event loop. */
export function renderSpeech (text: string, log: Logger, espeakBinary = 'espeak-ng', timeoutMs = 5000): Promise<GreetingAudio> {
  return new Promise(resolve => {
    const chunks: Buffer[] = []
    const child = spawn(espeakBinary, ['--stdout', text], { stdio: ['ignore', 'pipe', 'ignore'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.on('error', err => {
      clearTimeout(timer)
      log.warn({ err: err.message }, 'espeak-ng unavailable: using a tone')
      resolve({ pcm: toFrames(chime()), source: 'tone' })
    })
    child.on('close', code => {
      clearTimeout(timer)
      if (code !== 0 || chunks.length === 0) {
        resolve({ pcm: toFrames(chime()), source: 'tone' })
        return
      }
      resolve(fromWavOrTone(Buffer.concat(chunks), log))
    })
  })
}
