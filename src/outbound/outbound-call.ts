// One outbound call through a trunk (RFC 3261 §13.2 as UAC), from the API request to its record:
//
//   Initiated → (DNS, RFC 3263) → Dialling: INVITE with offer to target 1 [503/transport/Timer B → next target]
//     → 1xx: Ringing (reported to the engine) → 2xx: ACK (UA core) → answer applied → Answered
//     → BYE either way → Ended
//   Dialling/Ringing + ring timeout or API hang-up → CANCEL → Ended (no-answer / canceled)
//   Any final non-2xx → Ended (busy / no-answer / rejected / failed, call-outcome.ts)
//
// The record is finalised (fsynced, records/call-record-store.ts) BEFORE the media leg is closed and
// the call leaves the dialler's table: a crash after that point cannot lose the call's end.
import { EventEmitter } from 'node:events'
import type { Logger } from '../log'
import type { CallRecord, RecordStore, FinalCallStatus, HangupSide, TransferOutcome } from '../records'
import { mediaQualityOf } from '../records/media-quality'
import type { MediaQuality } from '../records/call-record'
import { engineEndSide } from '../records/hangup-side'
import type { HeaderField, SipResponse } from '../sip/message/types'
import { SipError } from '../sip/sip-error'
import type { Dialog, SipAgent } from '../sip/ua'
import { UacError } from '../sip/ua'
import type { TransferAttempt } from '../call/call-control'
import { outcomeOfFailure, type CancelReason } from './call-outcome'
import { inviteWithFailover, isSynthesized } from '../trunk/invite-failover'
import type { OutboundMedia } from './outbound-media'
import type { SipTarget } from '../trunk/sip-resolver'

export enum OutboundCallState {
  Initiated = 'initiated',
  Dialling = 'dialling',
  Ringing = 'ringing',
  Answered = 'answered',
  Ending = 'ending',
  Ended = 'ended'
}

/** §13.2 as a state machine: each state lists where it may go. */
const TRANSITIONS: Record<OutboundCallState, OutboundCallState[]> = {
  [OutboundCallState.Initiated]: [OutboundCallState.Dialling, OutboundCallState.Ending],
  [OutboundCallState.Dialling]: [OutboundCallState.Ringing, OutboundCallState.Answered, OutboundCallState.Ending],
  [OutboundCallState.Ringing]: [OutboundCallState.Answered, OutboundCallState.Ending],
  [OutboundCallState.Answered]: [OutboundCallState.Ending],
  [OutboundCallState.Ending]: [OutboundCallState.Ended],
  [OutboundCallState.Ended]: []
}

export interface OutboundCallPlan {
  conversationId: string
  requestUri: string
  /** User part of the From URI: the calling number exactly as configured/requested ('+' kept or not). */
  callingNumber: string
  /** Full From value without tag when the trunk sets from_domain; else the UA writes <sip:number@our-host>. */
  from?: string
  to: string
  headers: HeaderField[]
  auth?: { username: string, password: string }
  ringTimeoutMs: number
  /** Resolved lazily (DNS may take time; the API answers before). */
  targets: () => Promise<SipTarget[]>
}

export interface OutboundCallDeps {
  agent: SipAgent
  store: RecordStore
  media: OutboundMedia
  log: Logger
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (h: unknown) => void }
  /** After the record is committed and media is closed. */
  onEnded?: (record: CallRecord) => void
}

interface PendingUac { cancel: () => void }

export class OutboundCall extends EventEmitter {
  readonly conversationId: string
  private current = OutboundCallState.Initiated
  private readonly plan: OutboundCallPlan
  private readonly deps: OutboundCallDeps
  private readonly log: Logger
  private readonly timers: NonNullable<OutboundCallDeps['timers']>
  private uac: PendingUac | null = null
  private dialog: Dialog | null = null
  private cancelReason: CancelReason | null = null
  private engineCause: string | null = null
  private ringTimer: unknown = null
  private dtmfSent = 0
  private transfer: TransferOutcome | null = null
  private finalRecord: CallRecord | null = null
  private readonly ended: Promise<CallRecord>
  private resolveEnded!: (r: CallRecord) => void

  /** Media quality so far while the call is up (GET /v1/calls/:id); null before media flows. */
  liveMedia (): MediaQuality | null {
    if (this.current === OutboundCallState.Initiated) return null
    const stats = this.deps.media.stats()
    return stats ? mediaQualityOf(stats, this.deps.media.ptimeMs()) : null
  }

  constructor (plan: OutboundCallPlan, deps: OutboundCallDeps) {
    super()
    this.plan = plan
    this.deps = deps
    this.conversationId = plan.conversationId
    this.log = deps.log
    this.timers = deps.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: h => clearTimeout(h as NodeJS.Timeout) }
    this.ended = new Promise(resolve => { this.resolveEnded = resolve })
  }

  get state (): OutboundCallState { return this.current }
  /** Resolves with the final record once it is committed. */
  whenEnded (): Promise<CallRecord> { return this.ended }

  private stateTransition (next: OutboundCallState): void {
    if (!TRANSITIONS[this.current].includes(next)) throw new Error(`OUTBOUND_ERR_STATE: ${this.current} → ${next} is not allowed`)
    this.log.debug({ from: this.current, to: next }, 'outbound call state')
    this.current = next
    this.emit('state', next)
  }

  /** Runs the call to its end; never rejects (every failure ends as a record). */
  async run (): Promise<CallRecord> {
    try {
      await this.dial()
    } catch (err) {
      this.log.error({ err }, 'outbound call failed')
      await this.end('failed', 'internal_error', 'system', null)
    }
    return this.ended
  }

  private async dial (): Promise<void> {
    let targets: SipTarget[]
    try {
      targets = await this.plan.targets()
    } catch (err) {
      this.log.warn({ err: String(err) }, 'trunk address did not resolve')
      await this.end(this.cancelReason ? 'canceled' : 'failed', this.cancelReason ? 'api_hangup' : 'dns_failure', this.cancelReason ? 'local' : 'system', null)
      return
    }
    if (this.cancelReason) { await this.end('canceled', 'api_hangup', 'local', null); return }
    let offer: string
    try {
      offer = this.deps.media.offer()
    } catch (err) {
      const detail = err instanceof SipError ? err.message : String(err)
      this.log.warn({ detail }, 'no offer possible under the trunk media policy')
      await this.end('failed', 'media_policy', 'system', null)
      return
    }
    this.stateTransition(OutboundCallState.Dialling)
    this.ringTimer = this.timers.setTimeout(() => this.cancel('ring_timeout'), this.plan.ringTimeoutMs)
    let ringing = false
    let dialog: Dialog
    try {
      dialog = await inviteWithFailover({
        agent: this.deps.agent,
        requestUri: this.plan.requestUri,
        targets,
        invite: {
          localSdp: offer,
          headers: this.plan.headers,
          auth: this.plan.auth,
          callingNumber: this.plan.callingNumber,
          from: this.plan.from,
          to: this.plan.to,
          onProvisional: (res: SipResponse) => {
            if (res.status === 100) return
            if (!ringing) {
              ringing = true
              if (this.current === OutboundCallState.Dialling) this.stateTransition(OutboundCallState.Ringing)
              this.deps.store.update(this.conversationId, { status: 'ringing' })
              this.deps.media.ringing()
            }
          }
        },
        onAttempt: uac => {
          this.uac = uac
          this.deps.store.update(this.conversationId, { sipCallId: uac.callId })
        },
        canceled: () => this.cancelReason !== null,
        log: this.log
      })
    } catch (err) {
      if (!(err instanceof UacError)) throw err
      this.clearRingTimer()
      const o = outcomeOfFailure(err.status, { cancel: this.cancelReason, synthesized: isSynthesized(err), engineCause: this.engineCause ?? undefined })
      this.log.info({ status: err.status, outcome: o.status, cause: o.cause }, 'outbound call not answered')
      await this.end(o.status, o.cause, o.side, err.status)
      return
    }
    this.clearRingTimer()
    await this.answered(dialog)
  }

  private async answered (dialog: Dialog): Promise<void> {
    this.dialog = dialog
    this.stateTransition(OutboundCallState.Answered)
    this.deps.store.update(this.conversationId, { status: 'in-progress', answeredAt: Date.now() })
    this.deps.media.connected?.(dialog)
    dialog.once('terminated', () => {
      // A successful REFER ends the dialog itself before the transfer's outcome is in (RFC 5589 §6):
      // the transfer ends the call as transferred; if it did not, the dialog's end is the call's end.
      const transfer = this.deps.media.pendingTransfer?.() ?? null
      if (transfer !== null) {
        void transfer.then(() => {
          if (this.current === OutboundCallState.Answered) void this.end('completed', 'remote_bye', 'remote', null)
        })
        return
      }
      if (this.current === OutboundCallState.Answered) {
        void this.end('completed', this.cancelReason === 'api_hangup' ? 'api_hangup' : 'remote_bye', this.cancelReason ? 'local' : 'remote', null)
      }
    })
    try {
      this.deps.media.answered(dialog.remoteSdp ?? '')
    } catch (err) {
      // RFC 3264 §6 answer we cannot use: the dialog exists (ACK sent), so it ends with BYE.
      const detail = err instanceof SipError ? err.message : String(err)
      this.log.warn({ detail }, 'unusable SDP answer: hanging up')
      await this.end('failed', 'sdp_answer_unusable', 'system', 488, async () => { await dialog.destroy().catch(() => null) })
    }
  }

  /** API hang-up: CANCEL before the answer (§9.1), BYE after (§15.1.1). Resolves with the final record. */
  async hangup (): Promise<CallRecord> {
    if (this.current === OutboundCallState.Answered && this.dialog) {
      this.cancelReason = 'api_hangup'
      const dialog = this.dialog
      await this.end('completed', 'api_hangup', 'local', null, async () => { await dialog.destroy().catch(() => null) })
    } else {
      this.cancel('api_hangup')
    }
    return this.ended
  }

  /**
   * The engine ended the call: BYE after the answer (completed, or voicemail when the engine detected
   * one), CANCEL before it (failed: the agent cannot talk).
   */
  engineEnded (reason: { cause: string, voicemail?: boolean }): void {
    if (this.current === OutboundCallState.Answered && this.dialog) {
      const dialog = this.dialog
      void this.end(reason.voicemail ? 'voicemail' : 'completed', reason.cause, engineEndSide(reason.cause), null, async () => { await dialog.destroy().catch(() => null) })
      return
    }
    this.engineCause = reason.cause
    this.cancel('engine')
  }

  /** Ends the call whatever its state (gateway shutdown). */
  async shutdown (): Promise<void> {
    if (this.current === OutboundCallState.Answered && this.dialog) {
      const dialog = this.dialog
      await this.end('completed', 'gateway_shutdown', 'system', null, async () => { await dialog.destroy().catch(() => null) })
      return
    }
    this.cancel('shutdown')
    await this.ended
  }

  private cancel (reason: CancelReason): void {
    if (this.current === OutboundCallState.Ending || this.current === OutboundCallState.Ended) return
    if (this.cancelReason === null) this.cancelReason = reason
    this.log.info({ reason }, 'canceling outbound call')
    this.uac?.cancel()
  }

  async sendDtmf (digits: string): Promise<void> {
    if (this.current !== OutboundCallState.Answered) throw new Error('OUTBOUND_ERR_NOT_ANSWERED')
    await this.deps.media.sendDtmf(digits)
    this.digitsSent(digits.replace(/[wW]/g, '').length)
  }

  /** Control API transfer (the agent's transfer rules apply); null when the call is not answered. */
  async transferTo (to: string, type?: 'conference' | 'sip_refer'): Promise<TransferAttempt | null> {
    if (this.current !== OutboundCallState.Answered || !this.deps.media.transferTo) return null
    return await this.deps.media.transferTo(to, type)
  }

  /** Keys sent to the callee (API or play_keypad_touch_tone). */
  digitsSent (count: number): void {
    if (this.current === OutboundCallState.Ended) return
    this.dtmfSent += count
    this.deps.store.update(this.conversationId, { dtmfSent: this.dtmfSent })
  }

  /** transfer_to_number ended: kept in the record; once one succeeded the call ends as transferred. */
  transferRecorded (outcome: TransferOutcome): void {
    if (this.current === OutboundCallState.Ended) return
    this.transfer = outcome
    this.deps.store.update(this.conversationId, { transfer: outcome })
  }

  private clearRingTimer (): void {
    if (this.ringTimer !== null) this.timers.clearTimeout(this.ringTimer)
    this.ringTimer = null
  }

  /**
   * The one way out: (optional BYE) → media statistics read → record committed (fsync) → media closed →
   * onEnded. Later calls return the same end.
   */
  private async end (status: FinalCallStatus, cause: string, side: HangupSide, sipStatus: number | null, before?: () => Promise<void>): Promise<void> {
    if (this.current === OutboundCallState.Ending || this.current === OutboundCallState.Ended) return
    this.stateTransition(OutboundCallState.Ending)
    this.clearRingTimer()
    // The callee went to a human (REFER accepted, or bridged with the human's leg): whoever hangs up
    // afterwards, the call's outcome is the transfer.
    if (this.transfer?.result === 'succeeded' && (status === 'completed' || status === 'failed')) status = 'transferred'
    try {
      if (before) await before()
    } catch (err) {
      this.log.warn({ err }, 'hang-up signalling failed')
    }
    const stats = this.deps.media.stats()
    let record: CallRecord
    try {
      record = this.deps.store.finish(this.conversationId, {
        status,
        hangupCause: cause,
        hangupSide: side,
        sipStatus,
        dtmfSent: this.dtmfSent,
        media: stats && this.current !== OutboundCallState.Initiated ? mediaQualityOf(stats, this.deps.media.ptimeMs()) : null
      })
    } catch (err) {
      // The store failing must not leak the leg; the failure is loud.
      this.log.error({ err }, 'call record could not be written')
      record = this.deps.store.get(this.conversationId) as CallRecord
    }
    this.deps.media.close({ side, cause, sipStatus })
    this.finalRecord = record
    this.stateTransition(OutboundCallState.Ended)
    this.log.info({ status, cause, side, sipStatus }, 'outbound call ended')
    this.deps.onEnded?.(record)
    this.resolveEnded(record)
  }

  get record (): CallRecord | null { return this.finalRecord }
}
