// What a caller hears when the engine is lost mid-call (agents[].on_engine_failure: message): the
// agent's engine_failure_message_file (a WAV), else its engine_failure_message spoken by espeak-ng,
// else the special information tone. Rendered once at startup, so a failing call spawns nothing.
import fs from 'node:fs'
import type { AgentConfig } from '../config'
import type { Logger } from '../log'
import { renderGreeting, resample, toFrames, ENGINE_RATE } from '../engine/greeting'
import { parseWav } from '../engine/wav'
import { specialInformationTone } from './notice-tone'

function fromFile (file: string): Buffer {
  const wav = parseWav(fs.readFileSync(file))
  const mono = wav.channels === 1 ? wav.samples : wav.samples.filter((_, i) => i % wav.channels === 0)
  return toFrames(resample(mono, wav.sampleRate, ENGINE_RATE))
}

/** 16 kHz s16le prompt per agent whose on_engine_failure is message. */
export function engineFailurePrompts (agents: readonly AgentConfig[], log: Logger): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const a of agents) {
    if (a.on_engine_failure !== 'message') continue
    let pcm: Buffer | null = null
    if (a.engine_failure_message_file !== undefined) {
      try {
        pcm = fromFile(a.engine_failure_message_file)
      } catch (err) {
        log.warn({ agent: a.id, file: a.engine_failure_message_file, err: (err as Error).message }, 'engine failure message file unreadable: using the next fallback')
      }
    }
    if (pcm === null && a.engine_failure_message !== undefined) pcm = renderGreeting(a.engine_failure_message, log).pcm
    out.set(a.id, pcm ?? toFrames(specialInformationTone()))
  }
  return out
}

/** Tracks whether the engine answers the caller: armed by caller speech, disarmed by engine activity. */
export class EngineSilenceWatch {
  private since: number | null = null
  constructor (private readonly timeoutMs: number, private readonly now: () => number = Date.now) {}

  /** Engine audio, a mark or a tool call: the engine is alive. */
  engineActive (): void { this.since = null }

  /** A caller frame; true when the caller has been unanswered for longer than the timeout. */
  callerFrame (loud: boolean): boolean {
    const t = this.now()
    if (this.since === null) { if (loud) this.since = t; return false }
    return t - this.since >= this.timeoutMs
  }
}

/** RMS above this is speech (as the e2e test engine counts it), not silence or comfort noise. */
export function isLoud (pcm: Int16Array, samples: number): boolean {
  let sum = 0
  const n = Math.min(samples, pcm.length)
  for (let i = 0; i < n; i++) sum += pcm[i] * pcm[i]
  return n > 0 && Math.sqrt(sum / n) > 500
}
