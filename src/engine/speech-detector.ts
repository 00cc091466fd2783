// Energy-based speech start/stop on 20 ms frames of 16 kHz s16le, for the demo engine's barge-in.
// A real engine uses a VAD model; this is enough to tell a talking caller from line silence.

export type SpeechEvent = 'start' | 'stop' | null

export class SpeechDetector {
  /** RMS threshold, 16-bit scale: 1000 ≈ -30 dBFS. */
  readonly threshold: number
  /** Loud frames in a row before 'start' (rejects clicks). */
  readonly startFrames: number
  /** Quiet frames in a row before 'stop' (bridges the gaps between words). */
  readonly hangoverFrames: number
  speaking = false
  private loud = 0
  private quiet = 0

  constructor (opts: { threshold?: number; startFrames?: number; hangoverFrames?: number } = {}) {
    this.threshold = opts.threshold ?? 1000
    this.startFrames = opts.startFrames ?? 2
    this.hangoverFrames = opts.hangoverFrames ?? 15
  }

  static rms (frame: Buffer): number {
    const n = frame.length >> 1
    if (n === 0) return 0
    let sum = 0
    for (let i = 0; i < n; i++) {
      const s = frame.readInt16LE(2 * i)
      sum += s * s
    }
    return Math.sqrt(sum / n)
  }

  push (frame: Buffer): SpeechEvent {
    const loud = SpeechDetector.rms(frame) >= this.threshold
    if (loud) { this.loud++; this.quiet = 0 } else { this.quiet++; this.loud = 0 }
    if (!this.speaking && this.loud >= this.startFrames) { this.speaking = true; return 'start' }
    if (this.speaking && this.quiet >= this.hangoverFrames) { this.speaking = false; return 'stop' }
    return null
  }
}
