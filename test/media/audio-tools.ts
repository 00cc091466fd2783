// Test-side audio helpers: tone synthesis, RMS and a Goertzel single-frequency detector, so tests
// can tell WHICH tone a listener hears (mix-minus, whisper, transcoding).
export function tone (freqHz: number, ms: number, rate: number, amplitude = 8000, phase0 = 0): Int16Array {
  const n = Math.round(rate * ms / 1000)
  const out = new Int16Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin(phase0 + 2 * Math.PI * freqHz * i / rate))
  return out
}

export function rms (pcm: ArrayLike<number>): number {
  if (pcm.length === 0) return 0
  let sum = 0
  for (let i = 0; i < pcm.length; i++) sum += pcm[i] * pcm[i]
  return Math.sqrt(sum / pcm.length)
}

// Amplitude estimate of one frequency component (Goertzel), comparable to the tone amplitude.
export function toneLevel (pcm: ArrayLike<number>, freqHz: number, rate: number): number {
  const n = pcm.length
  if (n === 0) return 0
  const k = 2 * Math.cos(2 * Math.PI * freqHz / rate)
  let s1 = 0
  let s2 = 0
  for (let i = 0; i < n; i++) {
    const s = pcm[i] + k * s1 - s2
    s2 = s1
    s1 = s
  }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2
  return 2 * Math.sqrt(Math.max(power, 0)) / n
}

export function concat (chunks: Int16Array[]): Int16Array {
  let len = 0
  for (const c of chunks) len += c.length
  const out = new Int16Array(len)
  let at = 0
  for (const c of chunks) { out.set(c, at); at += c.length }
  return out
}
