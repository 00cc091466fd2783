// The two audio directions of an AI call and what travels with them: the caller's leg (frames, DTMF,
// marks, RTP timeout) towards the engine stream, and the engine's messages (audio, clear, marks, tool
// calls, hang-up, end, errors) towards the leg or the call. Moves no call state itself: a hang-up is
// asked of the call through the host.
import type { Logger } from '../log'
import type { CallEvent, EngineError, EngineSession, ToolCall } from '../engine/engine-session'
import type { DtmfEvent, FramesEvent, Leg, TimeoutEvent } from '../media/leg'
import type { CallMedia } from './call-media'
import type { CallRecord } from './call-record'
import { CallState } from './call-state'
import { DtmfDeduplicator, type DtmfOrigin } from './dtmf-deduplicator'
import { HANGUP_MARK, type Side } from './ai-call-hangup'
import type { SystemTools } from './system-tools'
import { EngineSilenceWatch, isLoud } from './engine-failure'

/** What the engine link needs from its call. */
export interface EngineLinkHost {
  readonly log: Logger
  state: () => CallState
  readonly record: CallRecord
  readonly tools: SystemTools
  /** The caller's media (replaced when an incoming REFER hands the call to the referred party). */
  media: () => CallMedia | null
  /** A hang-up has already been decided (the engine's end is then expected, not a cause). */
  hangupDecided: () => boolean
  hangup: (side: Side, cause: string, drain: boolean) => void
  /** The engine is lost (engine_error) or mute while the caller talks (engine_silence): the agent's on_engine_failure. */
  engineFailed: (cause: 'engine_error' | 'engine_silence') => void
  /** agents[].engine_silence_timeout_s in ms; null: not watched. */
  silenceTimeoutMs: number | null
  /** The drain mark played: the BYE may go now. */
  onHangupMark: () => void
  /** An engine mark came back from the leg (played or flushed). */
  onEngineMark: (flushed: boolean) => void
}

export class CallEngineLink {
  /** The engine session; null before it is ready and after a conference transfer left it. */
  call: EngineSession | null = null
  /** Where engine audio goes instead of the caller's leg (the human during a transfer whisper). */
  audioLeg: Leg | null = null
  private readonly dedup = new DtmfDeduplicator()
  private readonly silence: EngineSilenceWatch | null

  constructor (private readonly host: EngineLinkHost) {
    this.silence = host.silenceTimeoutMs === null ? null : new EngineSilenceWatch(host.silenceTimeoutMs)
  }

  private get isOver (): boolean { return this.host.state() === CallState.Ended }

  /** The engine stream is ready: its messages drive the leg and the call from now on. */
  attach (engine: EngineSession): void {
    const host = this.host
    this.call = engine
    engine.on('audio', (data: Buffer) => {
      const media = host.media()
      if (host.state() === CallState.Ending || this.isOver || !media) return
      if (data.length % 2 !== 0) { host.log.warn({ bytes: data.length }, 'engine audio with an odd byte count dropped'); return }
      this.silence?.engineActive()
      ;(this.audioLeg ?? media.leg).play(data)
    })
    engine.on('clear', () => { if (!this.isOver) (this.audioLeg ?? host.media()?.leg)?.clear() })
    engine.on('mark', (name: string) => {
      this.silence?.engineActive()
      const media = host.media()
      if (this.isOver || !media) return
      try {
        ;(this.audioLeg ?? media.leg).mark({ engineMark: name })
      } catch (err) {
        host.log.warn({ err: (err as Error).message, mark: name }, 'engine mark not placed')
        engine.sendPlaybackMark(name, true)
      }
    })
    engine.on('toolCall', (call: ToolCall) => { this.silence?.engineActive(); void this.runTool(call) })
    engine.on('hangup', (reason: string) => {
      host.log.info({ reason }, 'engine hung up')
      host.hangup('engine', 'engine_hangup', true)
    })
    engine.on('end', () => { if (!host.hangupDecided()) host.hangup('engine', 'engine_ended', true) })
    engine.on('error', (err: EngineError) => {
      host.log.warn({ code: err.code, protocol: engine.protocol, protocolCode: err.protocolCode, detail: err.message }, 'engine session broken')
      host.engineFailed('engine_error')
    })
    engine.resume()
  }

  /** The caller's leg (or the referred party's, after an incoming REFER) feeds the engine. */
  attachLeg (leg: Leg): void {
    const host = this.host
    leg.on('frames', (ev: FramesEvent) => this.onFrames(ev))
    leg.on('dtmf', (ev: DtmfEvent) => this.onDigit(ev.digit, ev.durationMs, ev.source))
    leg.on('mark', (id: unknown, info: { flushed: boolean }) => this.onLegMark(id, info.flushed))
    leg.on('timeout', (ev: TimeoutEvent) => {
      host.log.warn({ afterMedia: ev.afterMedia, silentMs: ev.silentMs }, 'RTP timeout')
      host.hangup('gateway', 'media_timeout', false)
    })
  }

  onDigit (digit: string, durationMs: number, origin: DtmfOrigin): void {
    if (!this.call || this.isOver) return
    if (!this.dedup.accept(digit, origin)) {
      this.host.log.debug({ digit, origin }, 'DTMF already reported by another source')
      return
    }
    this.host.record.dtmfReceived++
    this.host.log.info({ digit, durationMs, origin }, 'DTMF from caller')
    this.call.sendDtmf(digit, durationMs, origin)
  }

  sendCallEvent (ev: CallEvent): void {
    this.call?.sendCallEvent(ev)
  }

  /** Conference transfer done: the engine stream ends (cause "transferred"), the bridged legs live on. */
  leave (): void {
    const engine = this.call
    this.call = null
    this.audioLeg = null
    if (!engine) return
    // Its end/error must not end the bridged call any more.
    engine.removeAllListeners()
    engine.on('error', () => undefined)
    engine.hangup('gateway', 'transferred', 0)
  }

  /** The engine is given up on (on_engine_failure): its messages no longer reach the call. */
  detach (): void {
    const engine = this.call
    this.call = null
    this.audioLeg = null
    if (!engine) return
    engine.removeAllListeners()
    engine.on('error', () => undefined)
  }

  /** The call is over: the engine hears who ended it and why. */
  hangup (side: Side, cause: string, sipStatus: number | null): void {
    this.call?.hangup(side, cause, sipStatus ?? 0)
  }

  private onFrames (ev: FramesEvent): void {
    const engine = this.call
    if (!engine || this.host.media()?.held || this.isOver) return
    // The media layer reuses its frame buffer; the session copies what it keeps.
    engine.sendAudioFrames(ev.pcm, ev.frames)
    // Not during a transfer (the engine then talks to the human) nor once a hang-up is under way.
    if (this.silence && this.audioLeg === null && this.host.state() === CallState.Active &&
        this.silence.callerFrame(isLoud(ev.pcm, ev.frames * 320))) {
      this.host.log.warn({ timeoutMs: this.host.silenceTimeoutMs }, 'engine sends no audio while the caller talks')
      this.host.engineFailed('engine_silence')
    }
  }

  private onLegMark (id: unknown, flushed: boolean): void {
    if (id === HANGUP_MARK) { this.host.onHangupMark(); return }
    const name = (id as { engineMark?: string } | null)?.engineMark
    if (name === undefined) return
    this.call?.sendPlaybackMark(name, flushed)
    this.host.onEngineMark(flushed)
  }

  private async runTool (call: ToolCall): Promise<void> {
    const run = await this.host.tools.run(call)
    const engine = this.call
    if (!engine) return
    const o = run.outcome
    const record = this.host.record
    record.tools.push(o.ok ? { name: run.name, ok: true, atMs: Date.now() } : { name: run.name, ok: false, error: o.error, atMs: Date.now() })
    this.host.log.info({ tool: run.name, toolCallId: call.id, ok: o.ok, error: o.ok ? undefined : o.error }, 'system tool')
    if (!this.isOver) engine.sendToolResult(call.id, o)
    run.after?.()
  }
}
