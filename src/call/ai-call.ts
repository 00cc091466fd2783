// One inbound trunk call talking to a conversation engine: owns its UAS dialog, its media leg
// (CallMedia) and its engine stream, and moves through CallState (call-state.ts).
//
//   INVITE (100 by the transaction layer) → SDP answer prepared (488 here) → 180 Ringing, with the
//   pre-call webhook in parallel → engine Start … Ready → 200 OK → ACK → audio both ways.
//
// The engine answers Ready before the 200 OK (engine proto README), so an unreachable engine is
// still a SIP answer to the INVITE: 503 + Retry-After, or answer / tone / hang up, per agent.
import { randomUUID } from 'node:crypto'
import type { Logger } from '../log'
import type { EngineConnector, EngineError, EngineSession, TransferType } from '../engine/engine-session'
import type { LegOptions, MediaEngine } from '../media/media-engine'
import type { Dialog } from '../sip/dialog/dialog'
import { getHeader } from '../sip/message/headers'
import type { SipRequest } from '../sip/message/types'
import { SipError } from '../sip/sip-error'
import type { RoutedInvite } from './call-handler'
import { CallMedia } from './call-media'
import { newCallRecord, type CallMediaStats, type CallOutcome, type CallRecord } from './call-record'
import { CALL_TRANSITIONS, CallState, isPreAnswer } from './call-state'
import { CallDialogEvents } from './ai-call-dialog-events'
import { CallEngineLink } from './ai-call-engine-link'
import { CallHangup, type Side } from './ai-call-hangup'
import { specialInformationTone } from './notice-tone'
import { callIdentity, decideCallStart, fetchInitiationData, type CallIdentity, type CallPersonalization } from './personalization'
import { buildStart, defaultPersonalization, forwardedHeaders, personalizationPolicy, webhookConfig } from './start-message'
import { SystemTools, type ToolHost } from './system-tools'
import type { CallTransfer, TransferToolRun } from '../transfer/call-transfer'
import { aiCallTransfer, startVariables } from './ai-call-transfer'
import type { HumanDialer } from '../transfer/human-dialer'
import { transferSettings, type TransferSettings } from '../config/transfer-schema'

export interface AiCallDeps {
  media: MediaEngine
  /** The conversation engine of an agent (composition root: per-agent engine types plug in here). */
  engineFor: (agentId: string) => EngineConnector
  /** SRTP suites the native core supports (libsrtp2 build). */
  supportedSuites: readonly string[]
  retryAfterSeconds: number
  legOptions?: LegOptions
  fetch?: typeof fetch
  onEnded?: (record: CallRecord) => void
  /** The pre-call webhook answered (or failed) after elapsedMs: the gateway's webhook latency metric. */
  onPreCallWebhook?: (elapsedMs: number, ok: boolean) => void
  /** Transfer timings (config `transfer:`); defaults when absent. */
  transferSettings?: TransferSettings
  /** Calls the human of a conference transfer (needs the SIP agent: set once the server has one). */
  humanDialer?: HumanDialer<CallMedia>
  /** The agent's on_engine_failure message (16 kHz s16le, rendered at startup; engine-failure.ts). */
  engineFailurePrompt?: (agentId: string) => Buffer | undefined
}

/**
 * The call's state lives here (one transition() over CALL_TRANSITIONS) with setup, answer and the
 * end of the call; the engine link (ai-call-engine-link.ts), the dialog's events
 * (ai-call-dialog-events.ts) and the hang-up sequence (ai-call-hangup.ts) act through narrow hosts.
 */
export class AiCall {
  readonly record: CallRecord
  readonly identity: CallIdentity
  private current = CallState.Routing
  private readonly invite: RoutedInvite
  private readonly deps: AiCallDeps
  private readonly log: Logger
  private media: CallMedia | null = null
  /** The caller's dialog once its ACK arrived (the referred party's after an incoming REFER). */
  private dialog: Dialog | null = null
  private readonly tools: SystemTools
  private readonly transfer: CallTransfer
  private readonly engine: CallEngineLink
  private readonly dialogEvents: CallDialogEvents
  private readonly teardown: CallHangup
  /** Dynamic variables sent in Start (templated trunk headers of a conference transfer's INVITE). */
  private dynamicVariables: ReturnType<typeof startVariables> = {}

  constructor (invite: RoutedInvite, deps: AiCallDeps) {
    this.invite = invite
    this.deps = deps
    this.identity = callIdentity(name => getHeader(invite.req, name))
    const conversationId = `conv_${randomUUID().replace(/-/g, '')}`
    this.log = invite.logger.child({ conversationId })
    this.record = newCallRecord({
      conversationId,
      sipCallId: getHeader(invite.req, 'Call-ID') ?? '',
      identity: this.identity,
      agentId: invite.agentId,
      trunk: invite.trunk.name,
      calledNumber: invite.phoneNumber
    })
    this.tools = new SystemTools(this.toolHost(), this.log)
    this.teardown = new CallHangup({
      log: this.log,
      state: () => this.current,
      transition: next => this.transition(next),
      leg: () => this.media?.leg ?? null,
      dialog: () => this.dialog,
      rejectBeforeAnswer: cause => this.reject(this.unavailable('CALL_ERR_ENDED_BEFORE_ANSWER', cause)),
      end: (outcome, side, cause) => this.end(outcome, side, cause)
    })
    this.engine = new CallEngineLink({
      log: this.log,
      state: () => this.current,
      record: this.record,
      tools: this.tools,
      media: () => this.media,
      hangupDecided: () => this.teardown.decided,
      hangup: (side, cause, drain) => this.hangup(side, cause, drain),
      engineFailed: cause => this.engineFailed(cause),
      silenceTimeoutMs: invite.agent?.engine_silence_timeout_s === undefined ? null : invite.agent.engine_silence_timeout_s * 1000,
      onHangupMark: () => this.teardown.finish(),
      onEngineMark: flushed => this.teardown.onEngineMark(flushed)
    })
    this.dialogEvents = new CallDialogEvents({
      log: this.log,
      isOver: () => this.isOver,
      dialog: () => this.dialog,
      media: () => this.media,
      onInfoDigit: (digit, durationMs) => this.engine.onDigit(digit, durationMs, 'info'),
      onHoldChanged: held => this.engine.sendCallEvent({ type: held ? 'hold' : 'unhold' }),
      hangup: (side, cause, drain) => this.hangup(side, cause, drain),
      end: (outcome, side, cause) => this.end(outcome, side, cause)
    })
    this.transfer = aiCallTransfer({
      trunk: invite.trunk,
      agent: invite.agent,
      mediaAddress: invite.mediaAddress,
      callId: this.identity.call_id,
      callerId: this.identity.caller_id,
      dynamicVariables: () => this.dynamicVariables,
      settings: deps.transferSettings ?? transferSettings.check({}, 'transfer'),
      humanDialer: deps.humanDialer,
      log: this.log,
      dialog: () => this.current === CallState.Active ? this.dialog : null,
      callerLeg: () => this.isOver ? null : this.media?.leg ?? null,
      routeEngineAudio: leg => { this.engine.audioLeg = leg },
      sendCallEvent: ev => { if (!this.isOver) this.engine.sendCallEvent(ev) },
      playbackMark: (name, flushed) => this.engine.call?.sendPlaybackMark(name, flushed),
      hangup: cause => this.hangup('gateway', cause, false),
      leaveEngine: () => this.engine.leave(),
      adoptLeg: (media, dialog) => this.adoptLeg(media, dialog)
    })
  }

  get state (): CallState { return this.current }
  /** A getter, so TypeScript does not narrow the state across awaits and callbacks. */
  private get isOver (): boolean { return this.current === CallState.Ended }

  private transition (next: CallState): void {
    if (!CALL_TRANSITIONS[this.current].includes(next)) {
      throw new Error(`CALL_ERR_ILLEGAL_TRANSITION: ${this.current} → ${next}`)
    }
    this.log.debug({ from: this.current, to: next }, 'call state')
    this.current = next
  }

  /** Runs the call setup; never throws (a failure becomes a SIP answer or a BYE and a record). */
  async run (): Promise<void> {
    try {
      await this.setup()
    } catch (err) {
      this.fail(err)
    }
  }

  // ------------------------------------------------------------------ setup

  private async setup (): Promise<void> {
    const inv = this.invite
    inv.res.once('cancel', () => this.onCanceled())
    if (inv.canceled) { this.onCanceled(); return }
    if (inv.sdpOffer?.error) { this.reject(inv.sdpOffer.error); return }

    const offer = inv.sdpOffer?.parsed ?? null
    let localSdp: string
    try {
      this.media = new CallMedia({
        media: this.deps.media,
        policy: { ...inv.mediaPolicy, supportedSuites: this.deps.supportedSuites },
        fallbackAddress: inv.mediaAddress,
        rtcpMux: offer?.media.some(m => m.media === 'audio' && m.rtcpMux) ?? false,
        legOptions: this.deps.legOptions,
        inbandDtmf: inv.trunk.dtmf_inband,
        log: this.log
      })
    } catch (err) {
      this.log.error({ err }, 'no media leg for the call')
      this.reject(this.unavailable('CALL_ERR_MEDIA_UNAVAILABLE', (err as Error).message))
      return
    }
    this.attachLeg()
    try {
      localSdp = this.media.initialDescription(offer)
    } catch (err) {
      if (err instanceof SipError) { this.reject(err); return }
      throw err
    }

    const personalization = await this.personalize()
    if (personalization === null || this.isOver) return
    this.transition(CallState.Ringing)

    const start = buildStart({
      conversationId: this.record.conversationId,
      agentId: inv.agentId,
      agent: inv.agent,
      identity: this.identity,
      calledNumber: inv.phoneNumber,
      personalization,
      sipHeaders: forwardedHeaders(inv.req, inv.trunk),
      nowMs: Date.now()
    })
    this.dynamicVariables = startVariables(start)
    let engineCall: EngineSession
    try {
      engineCall = await this.deps.engineFor(inv.agentId).open(start)
    } catch (err) {
      if (this.isOver) return
      await this.engineUnavailable(err as EngineError, localSdp)
      return
    }
    if (this.isOver) {
      // Canceled while the engine was getting ready.
      engineCall.hangup('caller', 'canceled', 487)
      return
    }
    this.engine.attach(engineCall)
    await this.answer(localSdp)
  }

  /** Pre-call webhook during ringing (seed "Twilio personalization"); null when the call was rejected. */
  private async personalize (): Promise<CallPersonalization | null> {
    const inv = this.invite
    const policy = personalizationPolicy(inv.agentId, inv.agent)
    const hook = webhookConfig(inv.agent)
    if (!hook) {
      inv.ringing()
      return defaultPersonalization(policy)
    }
    this.transition(CallState.Personalizing)
    inv.ringing()
    const webhookStart = performance.now()
    const outcome = await fetchInitiationData(hook, {
      caller_id: this.identity.caller_id,
      agent_id: inv.agentId,
      called_number: inv.phoneNumber,
      call_sid: this.identity.call_sid ?? this.identity.call_id
    }, policy, { fetch: this.deps.fetch, log: this.log })
    const webhookMs = performance.now() - webhookStart
    this.record.personalization.webhookMs = Math.round(webhookMs)
    this.deps.onPreCallWebhook?.(webhookMs, outcome.kind === 'ok')
    if (this.isOver) return null
    this.record.personalization.webhook = outcome.kind === 'ok' ? 'ok' : 'failed'
    const decision = decideCallStart(outcome, policy, this.log, this.deps.retryAfterSeconds)
    if (decision.action === 'reject') { this.reject(decision.error); return null }
    this.record.personalization.usedDefaults = decision.personalization.usedDefaults
    return decision.personalization
  }

  /** 200 OK with our SDP; the ACK confirms the call (onAnswerAcked), a failure before it ends the call. */
  private async answer (localSdp: string): Promise<void> {
    const media = this.media
    if (!media) return
    media.apply()
    this.transition(CallState.Answering)
    try {
      await this.invite.answer(localSdp, { onDialog: d => this.onDialogCreated(d) })
    } catch (err) {
      this.log.info({ err: (err as Error).message }, 'call not confirmed (no ACK, CANCEL or BYE first)')
      this.end('failed', 'caller', 'not_confirmed', (err as { status?: number }).status ?? null)
    }
  }

  /**
   * The dialog exists (our 2xx is going out): every listener is attached now, and the call is confirmed by
   * the ACK itself rather than after the answer promise settles. Requests right behind the ACK in the same
   * TCP read (INFO, re-INVITE, UPDATE, BYE, REFER) are dispatched before any await would resume, so they
   * must find the call Active with its listeners in place, not the dialog's defaults.
   */
  private onDialogCreated (dialog: Dialog): void {
    dialog.once('ack', (ack: SipRequest) => {
      try {
        this.onAnswerAcked(dialog, ack)
      } catch (err) {
        this.fail(err)
      }
    })
    this.attachDialog(dialog)
  }

  private attachDialog (dialog: Dialog): void {
    this.dialogEvents.attach(dialog)
    this.transfer.attachDialog(dialog)
  }

  /** RFC 3261 §13.3.1.4: the ACK for our 2xx confirms the session. */
  private onAnswerAcked (dialog: Dialog, ack: SipRequest): void {
    this.dialog = dialog
    this.record.answeredAtMs = Date.now()
    if (this.isOver) { void dialog.destroy().catch(() => undefined); return }
    const media = this.media
    if (media && !media.negotiated && this.current === CallState.Answering && !this.acceptAckAnswer(media, dialog, ack)) return
    if (this.current === CallState.Ending) {
      // The engine or a tool ended the call before the ACK: BYE is only allowed now (§15).
      this.teardown.startDrain()
      return
    }
    this.transition(CallState.Active)
  }

  /** INVITE without offer: our offer went in the 200, the answer arrived in the ACK (RFC 3264 §5). */
  private acceptAckAnswer (media: CallMedia, dialog: Dialog, ack: SipRequest): boolean {
    try {
      // The ACK's body is the answer; dialog.remoteSdp only holds it once the answer promise has settled.
      const answer = dialog.remoteSdp !== undefined ? Buffer.from(dialog.remoteSdp) : ack.body
      if (answer.length === 0) throw new Error('the ACK carried no SDP answer')
      media.acceptAckAnswer(answer)
      return true
    } catch (err) {
      // RFC 3261 §13.3.1.4: an unusable answer in the ACK leaves only BYE.
      this.log.warn({ err: (err as Error).message }, 'offer-less INVITE without a usable answer in the ACK: ending the call')
      this.transition(CallState.Active)
      this.hangup('gateway', 'sdp_answer_in_ack', false)
      return false
    }
  }

  private async engineUnavailable (err: EngineError, localSdp: string): Promise<void> {
    const behaviour = this.invite.agent?.engine_unavailable ?? 'reject'
    this.log.warn({ code: err.code, detail: err.message, behaviour }, 'engine unavailable at call start')
    if (behaviour === 'reject') {
      this.reject(this.unavailable('CALL_ERR_ENGINE_UNAVAILABLE', `${err.code}: ${err.message}`))
      return
    }
    // answer_and_hangup: the caller hears a clear "cannot be completed" instead of ringing forever.
    this.media?.leg.play(specialInformationTone())
    this.teardown.decide('gateway', 'engine_unavailable')
    this.media?.apply()
    this.transition(CallState.Answering)
    this.transition(CallState.Ending)
    await this.answerForHangup(localSdp)
  }

  /**
   * The engine is lost mid-call (or mute while the caller talks): the agent's on_engine_failure. hangup:
   * BYE at once (cause engine_error / engine_silence); message: the engine is dropped, the prompt plays,
   * then BYE (cause …_message). Once a hang-up is decided, a broken engine only hurries it.
   */
  private engineFailed (cause: 'engine_error' | 'engine_silence'): void {
    if (this.isOver) return
    const prompt = this.invite.agent?.on_engine_failure === 'message' ? this.deps.engineFailurePrompt?.(this.invite.agentId) : undefined
    const leg = this.media?.leg
    if (prompt === undefined || leg === undefined || this.teardown.decided || this.current !== CallState.Active) {
      this.hangup('gateway', cause, false)
      return
    }
    this.engine.hangup('gateway', cause, 0)
    this.engine.detach()
    leg.clear()
    leg.play(prompt)
    this.log.warn({ cause, promptMs: prompt.length / 32 }, 'engine lost: playing the agent\'s failure message, then BYE')
    this.hangup('gateway', `${cause}_message`, true)
  }

  private async answerForHangup (localSdp: string): Promise<void> {
    try {
      await this.invite.answer(localSdp, { onDialog: d => this.onDialogCreated(d) })
    } catch (err) {
      this.end('failed', 'caller', 'not_confirmed')
    }
  }

  // ------------------------------------------------------------------ system tools

  private toolHost (): ToolHost {
    return {
      phoneLegReady: () => (this.current === CallState.Active || this.current === CallState.Answering) && this.media !== null,
      sendDigits: digits => this.sendDigits(digits),
      voicemailMessage: () => this.invite.agent?.voicemail_message ?? null,
      voicemailTimeoutMs: () => this.invite.agent?.voicemail_timeout_ms ?? 30000,
      markVoicemail: reason => { this.record.voicemail = { reason } },
      hangupAfterNextMark: (cause, timeoutMs) => this.teardown.afterNextMark(cause, timeoutMs),
      hangupAfterPlayout: cause => this.hangup('gateway', cause, true),
      transferToNumber: (id, args) => this.transfer.transferToNumber(id, args)
    }
  }

  private sendDigits (digits: string): Promise<{ mode: 'rfc4733' | 'inband' }> {
    if (!this.media) return Promise.reject(new Error('no media leg'))
    const sent = this.media.sendDigits(digits)
    this.record.dtmfSent += [...digits].filter(c => c !== 'w' && c !== 'W').length
    return sent
  }

  /**
   * Keys towards the caller from the control API: RFC 4733 events when telephone-event was negotiated,
   * in-band tones otherwise (CallMedia.sendDigits). Only on a confirmed call (Active): null otherwise.
   */
  sendDtmf (digits: string): Promise<{ mode: 'rfc4733' | 'inband' }> | null {
    if (this.current !== CallState.Active || !this.media) return null
    return this.sendDigits(digits)
  }

  /** The media leg's RTP statistics so far (GET /v1/calls/:id while the call is up); null without media. */
  liveMediaStats (): CallMediaStats | null {
    return this.media?.finalStats() ?? null
  }

  /**
   * Control API transfer: transfer_to_number's rules and outcomes without an engine tool call (the engine
   * still hears the transfer's progress). Null when the call is not confirmed.
   */
  async transferTo (to: string, type?: TransferType): Promise<TransferToolRun | null> {
    if (this.current !== CallState.Active) return null
    const run = await this.transfer.transferToNumber(`api_${randomUUID().replace(/-/g, '')}`, { transferNumber: to, clientMessage: '', agentMessage: '', requestedType: type })
    run.after?.()
    return run
  }

  // ------------------------------------------------------------------ legs and ending

  /** The caller's leg (or the referred party's) feeds the engine. */
  private attachLeg (): void {
    const leg = this.media?.leg
    if (leg) this.engine.attachLeg(leg)
  }

  /** Incoming REFER accepted: the referred party's leg and dialog replace the caller's; the engine talks on. */
  private adoptLeg (media: CallMedia, dialog: Dialog): boolean {
    if (this.isOver || this.current === CallState.Ending) {
      media.close()
      void dialog.destroy().catch(() => null)
      return false
    }
    const old = this.media
    this.media = media
    this.attachLeg()
    this.dialog = dialog
    this.attachDialog(dialog)
    old?.close()
    this.log.info({ dialog: dialog.id }, 'incoming REFER: the referred party replaced the caller')
    return true
  }

  /**
   * Ends the call from our side. drain: let the engine audio already queued play out first (a mark
   * releases the BYE); otherwise BYE at once. Before the answer: 503 to the INVITE.
   */
  hangup (side: Side, cause: string, drain: boolean): void {
    this.teardown.hangup(side, cause, drain)
  }

  private onCanceled (): void {
    if (!isPreAnswer(this.current)) return
    this.log.info('caller canceled the call')
    this.end('canceled', 'caller', 'canceled', 487)
  }

  /** 503 with Retry-After (RFC 3261 §21.5.4): the trunk may try again, here or elsewhere, later. */
  private unavailable (code: string, detail: string): SipError {
    return new SipError(503, 'Service Unavailable', code, {
      detail, headers: [{ name: 'Retry-After', value: String(this.deps.retryAfterSeconds) }]
    })
  }

  private reject (err: SipError): void {
    if (this.isOver) return
    this.log.info({ status: err.status, code: err.code, detail: err.message }, 'call rejected')
    this.invite.reject(err)
    this.end('rejected', 'gateway', err.code, err.status)
  }

  private fail (err: unknown): void {
    this.log.error({ err }, 'call failed')
    if (isPreAnswer(this.current) && !this.invite.res.finished) {
      this.reject(new SipError(500, 'Server Internal Error', 'CALL_ERR_INTERNAL', { detail: (err as Error).message }))
      return
    }
    if (this.dialog && this.current !== CallState.Ended) {
      this.teardown.decide('gateway', 'internal_error')
      this.teardown.finish()
      return
    }
    this.end('failed', 'gateway', 'internal_error')
  }

  /**
   * Writes the record, then releases everything the call holds. Idempotent.
   * Issue 5: the record is committed (onEnded → the records store, synchronously) while the leg, the
   * engine stream and the capacity slot are still held — a gateway killed during the release loses no
   * record — and the leg's RTP statistics are read before the leg closes (closing frees its counters).
   */
  private end (outcome: CallOutcome, side: Side, cause: string, sipStatus: number | null = null): void {
    if (this.isOver) return
    this.current = CallState.Ended
    this.teardown.clearTimers()
    try {
      this.record.media = this.media?.finalStats() ?? null
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'no media statistics for the record')
    }
    this.record.transfer = this.transfer.record
    if (this.transfer.record?.result === 'succeeded') outcome = 'transferred'
    Object.assign(this.record, { outcome, endedBy: side, cause, sipStatus, endedAtMs: Date.now() })
    this.log.info({ outcome, endedBy: side, cause, sipStatus, voicemail: this.record.voicemail !== null, tools: this.record.tools.length },
      'call ended')
    try {
      this.deps.onEnded?.(this.record)
    } catch (err) {
      // A failing record consumer must not leak the leg or the engine stream.
      this.log.error({ err }, 'call record consumer failed')
    }
    this.engine.hangup(side, cause, sipStatus)
    this.media?.close()
    this.transfer.close()
  }
}
