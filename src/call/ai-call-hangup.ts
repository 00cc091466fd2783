// How an AI call ends from our side: at once (BYE now) or drained (the engine audio already queued
// plays out first, a mark on the leg releases the BYE), and the voicemail hang-up that waits for the
// message's mark. The call's state machine stays in AiCall: this class asks it to move.
import type { Logger } from '../log'
import type { Leg } from '../media/leg'
import type { Dialog } from '../sip/dialog/dialog'
import type { CallOutcome } from './call-record'
import { CallState, isPreAnswer } from './call-state'

export type Side = 'caller' | 'gateway' | 'engine'

/** Token for the internal mark that releases a hang-up once queued audio has played. */
export const HANGUP_MARK = { kind: 'hangup' } as const
/** Longest we wait for queued audio before a drained hang-up happens anyway. */
const MAX_DRAIN_MS = 65000

/** What the hang-up sequence needs from its call. */
export interface HangupHost {
  readonly log: Logger
  state: () => CallState
  transition: (next: CallState) => void
  /** The caller's leg, where the drain mark goes. */
  leg: () => Leg | null
  /** The confirmed caller dialog (null until the ACK): BYE goes there. */
  dialog: () => Dialog | null
  /** Before the answer a hang-up is a final response to the INVITE. */
  rejectBeforeAnswer: (cause: string) => void
  end: (outcome: CallOutcome, side: Side, cause: string) => void
}

export class CallHangup {
  /** Set while Ending: how the call ends once the drain (or the ACK) allows it. */
  private ending: { side: Side; cause: string } | null = null
  private drainTimer: NodeJS.Timeout | null = null
  private voicemail: { cause: string; timer: NodeJS.Timeout } | null = null

  constructor (private readonly host: HangupHost) {}

  private get isOver (): boolean { return this.host.state() === CallState.Ended }

  /** A hang-up has been decided (the call is Ending or about to be). */
  get decided (): boolean { return this.ending !== null }

  /** Records how the call will end without starting the sequence (the caller of this moves the state). */
  decide (side: Side, cause: string): void {
    this.ending = { side, cause }
  }

  /**
   * Ends the call from our side. drain: let the engine audio already queued play out first (a mark
   * releases the BYE), bounded by MAX_DRAIN_MS; otherwise BYE at once.
   */
  hangup (side: Side, cause: string, drain: boolean): void {
    const host = this.host
    if (this.isOver) return
    if (isPreAnswer(host.state())) {
      host.rejectBeforeAnswer(cause)
      return
    }
    if (this.ending && !drain) {
      // Escalation (the engine broke during the drain): stop waiting.
      if (host.dialog()) this.finish()
      return
    }
    if (this.ending) return
    this.ending = { side, cause }
    if (host.state() === CallState.Answering) {
      host.transition(CallState.Ending)   // BYE waits for the ACK (AiCall.onAnswerAcked continues there)
      return
    }
    host.transition(CallState.Ending)
    if (drain) this.startDrain()
    else this.finish()
  }

  startDrain (): void {
    const leg = this.host.leg()
    if (!leg || leg.isClosed) { this.finish(); return }
    let waitMs: number
    try {
      waitMs = Math.min(MAX_DRAIN_MS, leg.queuedMs() + 2000)
      leg.mark(HANGUP_MARK)
    } catch {
      this.finish()
      return
    }
    this.drainTimer = setTimeout(() => {
      this.host.log.warn({ waitMs }, 'queued audio did not play out in time: hanging up')
      this.finish()
    }, waitMs)
  }

  /** BYE now (RFC 3261 §15.1.1), then the call is over for us whatever the BYE's response. */
  finish (): void {
    if (this.isOver) return
    const e = this.ending ?? { side: 'gateway' as const, cause: 'normal_clearing' }
    const dialog = this.host.dialog()
    // The record is committed first (end): the BYE terminates the dialog, and that frees the call's
    // capacity slot in the server — the record must already be durable by then (issue 5).
    this.host.end('completed', e.side, e.cause)
    if (dialog) {
      const log = this.host.log
      dialog.destroy({ headers: { Reason: `Q.850;cause=16;text="${e.cause}"` } })
        .then(r => { if (r && r.status >= 300) log.info({ status: r.status }, 'BYE answered with an error') })
        .catch(err => log.warn({ err: (err as Error).message }, 'BYE failed'))
    }
  }

  /** seed "Voicemail detection": hang up once the next engine mark has played, or after timeoutMs. */
  afterNextMark (cause: string, timeoutMs: number): void {
    if (this.voicemail || this.isOver) return
    const timer = setTimeout(() => {
      this.voicemail = null
      this.host.log.warn({ timeoutMs }, 'voicemail message not played in time: hanging up')
      this.hangup('gateway', cause, false)
    }, timeoutMs)
    this.voicemail = { cause, timer }
  }

  /** An engine mark came back from the leg: played (not flushed) it releases a voicemail hang-up. */
  onEngineMark (flushed: boolean): void {
    const vm = this.voicemail
    if (!vm || flushed) return
    // seed "Voicemail detection": the message has been left; the call ends now.
    clearTimeout(vm.timer)
    this.voicemail = null
    this.hangup('gateway', vm.cause, true)
  }

  /** The call is over: no timer may fire into it. */
  clearTimers (): void {
    if (this.drainTimer) clearTimeout(this.drainTimer)
    if (this.voicemail) clearTimeout(this.voicemail.timer)
  }
}
