// Conference transfer (seed "Transfer to human", the default type): the gateway calls the human
// through the agent's outbound trunk while the caller hears hold audio; once the human answers,
// the engine's next audio (agent_message) goes to the human only (whisper) until the engine's Mark
// plays; then the native mixer bridges caller and human and the engine leaves the call.
//
//   idle → dialing → whisper → bridged
//             ↘ failed (busy / no answer / error: the caller is back with the engine)
import type { TrunkConfig } from '../config'
import type { TransferSettings } from '../config/transfer-schema'
import type { TransferState } from '../engine/engine-session'
import type { Leg } from '../media/leg'
import type { SipResponse } from '../sip/message/types'
import type { Clock, TimerHandle } from '../sip/transaction/clock'
import { IllegalTransitionError } from '../sip/transaction/illegal-transition-error'
import type { Logger } from '../log'
import type { VariableValue } from '../trunk/header-template'
import { HoldAudio, holdCycle } from './hold-audio'
import { HumanDialError, type HumanDialer, type HumanLeg } from './human-dialer'
import type { ConferenceRunner } from './transfer-service'

export enum ConferenceState {
  Idle = 'idle',
  Dialing = 'dialing',
  Whisper = 'whisper',
  Bridged = 'bridged',
  Failed = 'failed',
  Closed = 'closed'
}

const TRANSITIONS: Readonly<Record<ConferenceState, readonly ConferenceState[]>> = {
  [ConferenceState.Idle]: [ConferenceState.Dialing, ConferenceState.Closed],
  [ConferenceState.Dialing]: [ConferenceState.Whisper, ConferenceState.Failed, ConferenceState.Closed],
  [ConferenceState.Whisper]: [ConferenceState.Bridged, ConferenceState.Failed, ConferenceState.Closed],
  [ConferenceState.Bridged]: [ConferenceState.Closed],
  [ConferenceState.Failed]: [ConferenceState.Dialing, ConferenceState.Closed],
  [ConferenceState.Closed]: []
}

/** What the transfer needs of its call (AiCall implements it). */
export interface ConferenceCallHost {
  /** The caller's media leg (null once the call ended). */
  callerLeg: () => Leg | null
  /** Engine audio, Clear and Marks go to this leg from now on; null: back to the caller's leg. */
  routeEngineAudio: (leg: Leg | null) => void
  /** PlaybackMark to the engine for a mark that played on the human's leg (the whisper's end). */
  playbackMark?: (name: string, flushed: boolean) => void
  /** The human hung up after the bridge: the call ends (BYE to the caller). */
  humanHungUp: () => void
  trunk: TrunkConfig
  callId: string
  callerId: string
  /** The call's dynamic variables, for the trunk's templated headers on the human's INVITE. */
  dynamicVariables?: () => Readonly<Record<string, VariableValue>>
  mediaAddress: string
  log: Logger
}

export interface ConferenceTransferOptions {
  host: ConferenceCallHost
  dial: HumanDialer
  settings: TransferSettings
  clock: Clock
}

type Result = { ok: true, sipStatus: number, detail: string } | { ok: false, sipStatus: number, detail: string }

/** seed: "Busy, no answer or failure → the engine is told"; the words the engine gets for each. */
export function describeDialFailure (status: number, reason: string): string {
  if (status === 486 || status === 600) return `busy (${status} ${reason})`
  // 487: our own CANCEL at ring_timeout_ms; 408/480: the far end gave up ringing.
  if (status === 487 || status === 408 || status === 480) return `no answer (${status} ${reason})`
  if (status === 0) return `failed (${reason})`
  return `failed (${status} ${reason})`
}

export class ConferenceTransfer implements ConferenceRunner {
  private current = ConferenceState.Idle
  private readonly opts: ConferenceTransferOptions
  private human: HumanLeg | null = null
  private hold: HoldAudio | null = null
  private whisperTimer: TimerHandle | null = null
  /** Settles a whisper in progress (close() uses it so the tool call never hangs). */
  private endWhisper: ((r: Result) => void) | null = null

  constructor (opts: ConferenceTransferOptions) {
    this.opts = opts
  }

  get state (): ConferenceState { return this.current }
  get humanLeg (): HumanLeg | null { return this.human }

  private stateTransition (next: ConferenceState): void {
    if (!TRANSITIONS[this.current].includes(next)) throw new IllegalTransitionError('ConferenceTransfer', this.current, next)
    this.current = next
  }

  async run (req: Parameters<ConferenceRunner['run']>[0]): Promise<Result> {
    const { host, settings } = this.opts
    const caller = host.callerLeg()
    if (caller === null) return { ok: false, sipStatus: 0, detail: 'the caller has no media leg' }
    this.stateTransition(ConferenceState.Dialing)
    try {
      this.hold = new HoldAudio(caller, holdCycle(settings.hold_audio), this.opts.clock)
    } catch (err) {
      host.log.warn({ err: (err as Error).message }, 'hold audio unusable: the caller hears silence')
      this.hold = new HoldAudio(caller, null, this.opts.clock)
    }
    // The client_message the engine sent before the tool call is already queued: hold audio follows it.
    this.hold.start()
    let human: HumanLeg
    try {
      human = await this.opts.dial({
        number: req.number,
        trunk: host.trunk,
        callId: host.callId,
        callerId: host.callerId,
        dynamicVariables: host.dynamicVariables?.(),
        ringTimeoutMs: settings.ring_timeout_ms,
        mediaAddress: host.mediaAddress,
        log: host.log,
        onProvisional: (res: SipResponse) => {
          if (res.status >= 180) req.progress('ringing', res.status, `${res.status} ${res.reason}`)
        }
      })
    } catch (err) {
      return this.fail(err instanceof HumanDialError ? err.status : 0, err instanceof HumanDialError ? err.reason : (err as Error).message)
    }
    if (this.current === ConferenceState.Closed) {
      // The caller hung up while the human's phone rang.
      human.media.close()
      void human.dialog.destroy().catch(() => null)
      return { ok: false, sipStatus: 200, detail: 'the caller hung up before the human answered' }
    }
    this.human = human
    this.stateTransition(ConferenceState.Whisper)
    const whisperDone = this.whisper(human, req.progress)
    const done = await whisperDone
    if (!done.ok) return done
    if ((this.current as ConferenceState) === ConferenceState.Closed) return { ok: false, sipStatus: 200, detail: 'the caller hung up during the whisper' }
    this.bridge(caller, human)
    return { ok: true, sipStatus: 200, detail: 'the human answered; caller and human are bridged' }
  }

  /** The human hears the engine (agent_message) until its Mark plays, at most whisper_max_ms; the caller stays on hold. */
  private whisper (human: HumanLeg, progress: (s: TransferState, sip: number, detail: string) => void): Promise<Result> {
    const { host, settings, clock } = this.opts
    return new Promise((resolve) => {
      const finish = (r: Result): void => {
        if (this.endWhisper === null) return
        this.endWhisper = null
        if (this.whisperTimer !== null) { clock.clearTimeout(this.whisperTimer); this.whisperTimer = null }
        human.media.leg.off('mark', onMark)
        human.dialog.off('destroy', onHumanGone)
        resolve(r)
      }
      const onMark = (id: unknown, info?: { flushed: boolean }): void => {
        const name = (id as { engineMark?: string } | null)?.engineMark
        if (name === undefined) return
        host.playbackMark?.(name, info?.flushed ?? false)
        finish({ ok: true, sipStatus: 200, detail: 'whisper played' })
      }
      const onHumanGone = (): void => {
        host.routeEngineAudio(null)
        finish(this.fail(200, 'the human hung up during the whisper', false))
      }
      this.endWhisper = finish
      human.media.leg.on('mark', onMark)
      human.dialog.on('destroy', onHumanGone)
      this.whisperTimer = clock.setTimeout(() => {
        this.whisperTimer = null
        host.log.info({ whisperMaxMs: settings.whisper_max_ms }, 'no whisper mark in time: bridging')
        finish({ ok: true, sipStatus: 200, detail: 'whisper bound reached' })
      }, settings.whisper_max_ms)
      host.routeEngineAudio(human.media.leg)
      // ANSWERED tells the engine to speak agent_message now (to the human only) and end it with a Mark.
      progress('answered', 200, 'human answered: send agent_message audio then a Mark (whisper to the human only)')
    })
  }

  private bridge (caller: Leg, human: HumanLeg): void {
    const { host } = this.opts
    this.hold?.stop(true)
    host.routeEngineAudio(null)
    human.media.leg.clear()
    caller.bridge(human.media.leg)
    this.stateTransition(ConferenceState.Bridged)
    human.dialog.on('destroy', () => {
      if (this.current !== ConferenceState.Bridged) return
      host.log.info('the human hung up: ending the transferred call')
      host.humanHungUp()
    })
    host.log.info('conference transfer: caller and human bridged')
  }

  private fail (status: number, reason: string, describe = true): Result {
    this.hold?.stop(true)
    this.opts.host.routeEngineAudio(null)
    if (this.human) { this.human.media.close(); this.human = null }
    if (this.current !== ConferenceState.Closed) this.stateTransition(ConferenceState.Failed)
    return { ok: false, sipStatus: status, detail: describe ? describeDialFailure(status, reason) : reason }
  }

  /** The call ended (either side): the human's leg goes too. */
  close (): void {
    if (this.current === ConferenceState.Closed) return
    this.stateTransition(ConferenceState.Closed)
    this.hold?.stop(false)
    this.endWhisper?.({ ok: false, sipStatus: 200, detail: 'the call ended during the whisper' })
    const human = this.human
    this.human = null
    if (human) {
      try { human.media.leg.unbridge() } catch { /* already closed */ }
      human.media.close()
      void human.dialog.destroy({ headers: { Reason: 'Q.850;cause=16;text="normal_clearing"' } }).catch(() => null)
    }
  }
}
