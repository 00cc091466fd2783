// What the caller hears while the human is being called (conference transfer): a waiting tone
// (ITU-T E.180 §7: 400–450 Hz, on/off cadence), a looped 16 kHz WAV, or nothing. Fed to the caller's
// leg one cycle at a time, only when less than a cycle is queued, so the engine's client message
// already in the queue plays first and clear() stops the hold audio at once.
import fs from 'node:fs'
import type { HoldAudioConfig } from '../config/transfer-schema'
import { parseWav } from '../engine/wav'
import type { Clock, TimerHandle } from '../sip/transaction/clock'

const RATE = 16000
/** How often the queue is topped up; well under one cycle. */
const TOP_UP_MS = 250

/** The part of a media Leg hold audio needs (src/media/leg.ts). */
export interface HoldLeg {
  play: (pcm16k: Int16Array) => number
  queuedMs: () => number
  clear: () => void
  readonly isClosed: boolean
}

/** One cycle of hold audio at 16 kHz, or null for silence. Throws on an unreadable file (config error at use). */
export function holdCycle (cfg: HoldAudioConfig): Int16Array | null {
  if (cfg.type === 'silence') return null
  if (cfg.type === 'file') {
    const wav = parseWav(fs.readFileSync(cfg.file as string))
    if (wav.sampleRate !== RATE || wav.channels !== 1) throw new Error(`hold_audio.file must be 16 kHz mono, got ${wav.sampleRate} Hz × ${wav.channels}`)
    return wav.samples
  }
  const on = Math.round(cfg.tone_on_ms * RATE / 1000)
  const off = Math.round(cfg.tone_off_ms * RATE / 1000)
  const out = new Int16Array(on + off)
  for (let i = 0; i < on; i++) {
    // 5 ms ramps: no clicks at the cadence edges.
    const ramp = Math.min(1, i / 80, (on - i) / 80)
    out[i] = Math.round(6000 * ramp * Math.sin(2 * Math.PI * cfg.tone_hz * i / RATE))
  }
  return out
}

export class HoldAudio {
  private readonly leg: HoldLeg
  private readonly cycle: Int16Array | null
  private readonly clock: Clock
  private timer: TimerHandle | null = null

  constructor (leg: HoldLeg, cycle: Int16Array | null, clock: Clock) {
    this.leg = leg
    this.cycle = cycle
    this.clock = clock
  }

  get playing (): boolean { return this.timer !== null }

  start (): void {
    if (this.cycle === null || this.timer !== null) return
    const cycleMs = this.cycle.length / 16
    const tick = (): void => {
      this.timer = null
      if (this.leg.isClosed) return
      if (this.leg.queuedMs() < cycleMs) this.leg.play(this.cycle as Int16Array)
      this.timer = this.clock.setTimeout(tick, TOP_UP_MS)
    }
    tick()
  }

  /** Stops feeding; clearQueue also drops what is queued (the hold audio, and nothing else is left by then). */
  stop (clearQueue: boolean): void {
    if (this.timer !== null) { this.clock.clearTimeout(this.timer); this.timer = null }
    if (clearQueue && !this.leg.isClosed) this.leg.clear()
  }
}
