// Audio conversions a WebSocket engine may need when its wire format is not one the media core offers
// (EngineSession.offeredFormats): 16 kHz PCM <-> 24 kHz PCM (OpenAI Realtime before the core offers 24 kHz),
// <-> μ-law 8 kHz (Twilio media streams, μ-law ElevenLabs agents on a G.722 or PCMA trunk), <-> 8/48 kHz PCM.
// The call side is always PCM 16 kHz here: when the core offers the wire format itself, no converter is used.
// Converters keep their filter state across chunks and reuse their scratch buffers between calls.
import { MULAW8K, PCM16K, PCM24K, sameFormat, type EngineAudioFormat } from './engine-session'

/** What a vendor carries on its socket. Wider than EngineAudioFormat: vendors also know 8 and 48 kHz PCM. */
export interface WireFormat { encoding: 'pcm_s16le' | 'mulaw'; sampleRate: number }

export function wireName (f: WireFormat): string {
  return f.encoding === 'mulaw' ? `ulaw_${f.sampleRate}` : `pcm_${f.sampleRate}`
}

/** The EngineAudioFormat equal to a wire format, if it is one. */
export function asEngineFormat (f: WireFormat): EngineAudioFormat | null {
  for (const e of [PCM16K, PCM24K, MULAW8K]) if (e.encoding === f.encoding && e.sampleRate === f.sampleRate) return e
  return null
}

// ---- G.711 μ-law (ITU-T G.711 §A.2 segment encoding, bias 0x84) ----
const MULAW_DECODE = new Int16Array(256)
for (let i = 0; i < 256; i++) {
  const u = ~i & 0xff
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)
  MULAW_DECODE[i] = (u & 0x80) !== 0 ? 0x84 - t : t - 0x84
}

/** ITU-T G.191 STL ulaw_compress: 14-bit magnitude (one's complement for negatives), bias 33, 8 segments. */
export function mulawEncodeSample (pcm: number): number {
  let abs = (pcm < 0 ? ~pcm : pcm) >> 2
  abs += 33
  if (abs > 0x1fff) abs = 0x1fff
  let seg = 1
  for (let i = abs >> 6; i !== 0; i >>= 1) seg++
  const out = ((8 - seg) << 4) | (0x0f - ((abs >> seg) & 0x0f))
  return pcm >= 0 ? out | 0x80 : out
}

export function mulawDecodeSample (code: number): number {
  return MULAW_DECODE[code & 0xff]
}

// ---- rational polyphase resampler (up L, down M), Blackman-windowed sinc ----
const TAPS_PER_PHASE = 16

export class RationalResampler {
  readonly up: number
  readonly down: number
  /** The filter split into its `up` phases, each TAPS_PER_PHASE coefficients (one dot product per output). */
  private readonly phases: Float64Array[]
  private readonly hist = new Float64Array(TAPS_PER_PHASE - 1)
  private buf = new Float64Array(0)
  private out = new Int16Array(0)
  /** Position of the next output sample, in upsampled units from the start of the next input block. */
  private pos = 0

  constructor (up: number, down: number) {
    this.up = up
    this.down = down
    const n = up * TAPS_PER_PHASE
    const fc = (0.5 / Math.max(up, down)) * 0.9
    const c = (n - 1) / 2
    const h = new Float32Array(n)
    for (let j = 0; j < n; j++) {
      const x = j - c
      const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x)
      const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * j) / (n - 1)) + 0.08 * Math.cos((4 * Math.PI * j) / (n - 1))
      h[j] = sinc * w * up
    }
    this.phases = []
    for (let p = 0; p < up; p++) {
      const ph = new Float64Array(TAPS_PER_PHASE)
      for (let k = 0; k < TAPS_PER_PHASE; k++) ph[k] = h[p + k * up]
      this.phases.push(ph)
    }
  }

  /** Resamples one block; the returned view is valid until the next call. */
  process (input: Int16Array): Int16Array {
    const K = TAPS_PER_PHASE
    const L = this.up
    const M = this.down
    const need = K - 1 + input.length
    if (this.buf.length < need) this.buf = new Float64Array(need)
    const buf = this.buf
    buf.set(this.hist, 0)
    for (let i = 0; i < input.length; i++) buf[K - 1 + i] = input[i]
    const maxOut = Math.ceil((input.length * L) / M) + 1
    if (this.out.length < maxOut) this.out = new Int16Array(maxOut)
    const out = this.out
    const phases = this.phases
    let pos = this.pos
    let n = 0
    const end = input.length * L
    while (pos < end) {
      const i = (pos / L) | 0
      const h = phases[pos - i * L]
      const base = K - 1 + i
      let acc = 0
      for (let k = 0; k < K; k++) acc += h[k] * buf[base - k]
      out[n++] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc)
      pos += M
    }
    this.pos = pos - end
    for (let k = 0; k < K - 1; k++) this.hist[k] = buf[input.length + k]
    return out.subarray(0, n)
  }
}

/** s16le bytes as samples without a copy when aligned (Buffers from base64 often are not). */
export function asInt16 (bytes: Uint8Array): Int16Array {
  const n = bytes.byteLength >> 1
  if ((bytes.byteOffset & 1) === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, n)
  const copy = new Int16Array(n)
  new Uint8Array(copy.buffer).set(bytes.subarray(0, n * 2))
  return copy
}

function int16Bytes (s: Int16Array): Buffer {
  return Buffer.from(s.buffer, s.byteOffset, s.byteLength)
}

/** One direction of conversion; the returned Buffer is valid until the next call. */
export type AudioConverter = (bytes: Uint8Array) => Buffer

function ratio (from: number, to: number): [number, number] {
  const gcd = (a: number, b: number): number => b === 0 ? a : gcd(b, a % b)
  const g = gcd(from, to)
  return [to / g, from / g]
}

/** Wire rates the converters support (up/down factors stay small). */
export function convertibleWire (f: WireFormat): boolean {
  if (f.encoding === 'mulaw') return f.sampleRate === 8000
  return [8000, 16000, 24000, 48000].includes(f.sampleRate)
}

/** The call's PCM 16 kHz to the wire format. */
export function fromPcm16k (wire: WireFormat): AudioConverter {
  if (!convertibleWire(wire)) throw new RangeError(`no converter from pcm_16000 to ${wireName(wire)}`)
  const [L, M] = ratio(16000, wire.sampleRate)
  const rs = L === 1 && M === 1 ? null : new RationalResampler(L, M)
  let enc = Buffer.alloc(0)
  return bytes => {
    const pcm = rs ? rs.process(asInt16(bytes)) : asInt16(bytes)
    if (wire.encoding === 'pcm_s16le') return int16Bytes(pcm)
    if (enc.length < pcm.length) enc = Buffer.alloc(pcm.length)
    for (let i = 0; i < pcm.length; i++) enc[i] = mulawEncodeSample(pcm[i])
    return enc.subarray(0, pcm.length)
  }
}

/** The wire format to the call's PCM 16 kHz. */
export function toPcm16k (wire: WireFormat): AudioConverter {
  if (!convertibleWire(wire)) throw new RangeError(`no converter from ${wireName(wire)} to pcm_16000`)
  const [L, M] = ratio(wire.sampleRate, 16000)
  const rs = L === 1 && M === 1 ? null : new RationalResampler(L, M)
  let dec = new Int16Array(0)
  return bytes => {
    let pcm: Int16Array
    if (wire.encoding === 'mulaw') {
      if (dec.length < bytes.length) dec = new Int16Array(bytes.length)
      for (let i = 0; i < bytes.length; i++) dec[i] = MULAW_DECODE[bytes[i]]
      pcm = dec.subarray(0, bytes.length)
    } else {
      pcm = asInt16(bytes)
    }
    return int16Bytes(rs ? rs.process(pcm) : pcm)
  }
}

/**
 * How a session carries one direction: the call's format (a format the core offers) and the converter
 * between it and the wire (null when they are the same format).
 */
export interface AudioPath { callFormat: EngineAudioFormat; convert: AudioConverter | null }

/** Uses the wire format itself when offered, else PCM 16 kHz with a converter; null when neither works. */
export function audioPath (wire: WireFormat, offered: readonly EngineAudioFormat[], dir: 'in' | 'out'): AudioPath | null {
  const same = asEngineFormat(wire)
  if (same && offered.some(o => sameFormat(o, same))) return { callFormat: same, convert: null }
  if (!convertibleWire(wire)) return null
  return { callFormat: PCM16K, convert: dir === 'in' ? fromPcm16k(wire) : toPcm16k(wire) }
}

/** Milliseconds of audio in `bytes` of a wire format. */
export function wireMs (f: WireFormat, bytes: number): number {
  const samples = f.encoding === 'mulaw' ? bytes : bytes / 2
  return (samples * 1000) / f.sampleRate
}
