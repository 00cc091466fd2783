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
import type { EngineCall, EngineClient, EngineError } from '../engine/engine-client'
import type { DtmfSource, ToolCallMsg } from '../engine/engine-messages'
import type { LegOptions, MediaEngine } from '../media/media-engine'
import type { DtmfEvent, FramesEvent, TimeoutEvent } from '../media/leg'
import type { Dialog } from '../sip/dialog/dialog'
import { getHeader } from '../sip/message/headers'
import type { SipRequest } from '../sip/message/types'
import type { ServerResponse } from '../sip/transaction/server-response'
import { SipError } from '../sip/sip-error'
import type { RoutedInvite } from './call-handler'
import { CallMedia } from './call-media'
import { newCallRecord, type CallOutcome, type CallRecord } from './call-record'
import { CALL_TRANSITIONS, CallState, isPreAnswer } from './call-state'
import { DtmfDeduplicator, type DtmfOrigin } from './dtmf-deduplicator'
import { parseInfoDtmf } from './info-dtmf'
import { specialInformationTone } from './notice-tone'
import { callIdentity, decideCallStart, fetchInitiationData, type CallIdentity, type CallPersonalization } from './personalization'
import { buildStart, defaultPersonalization, forwardedHeaders, personalizationPolicy, webhookConfig } from './start-message'
import { SystemTools, type ToolHost } from './system-tools'
import type { CallTransfer } from '../transfer/call-transfer'
import { aiCallTransfer } from '../transfer/ai-call-transfer'
import type { HumanDialer } from '../transfer/human-dialer'
import type { Leg } from '../media/leg'
import { transferSettings, type TransferSettings } from '../config/transfer-schema'

export interface AiCallDeps {
  media: MediaEngine
  engine: EngineClient
  /** SRTP suites the native core supports (libsrtp2 build). */
  supportedSuites: readonly string[]
  retryAfterSeconds: number
  legOptions?: LegOptions
  fetch?: typeof fetch
  onEnded?: (record: CallRecord) => void
  /** Transfer timings (config `transfer:`); defaults when absent. */
  transferSettings?: TransferSettings
  /** Calls the human of a conference transfer (needs the SIP agent: set once the server has one). */
  humanDialer?: HumanDialer
}

type Side = 'caller' | 'gateway' | 'engine'

/** Token for the internal mark that releases a hang-up once queued audio has played. */
const HANGUP_MARK = { kind: 'hangup' } as const
/** Longest we wait for queued audio before a drained hang-up happens anyway. */
const MAX_DRAIN_MS = 65000
const FRAME_BYTES = 640

const ENGINE_DTMF_SOURCE: Record<DtmfOrigin, DtmfSource> = {
  rfc4733: 'DTMF_SOURCE_RFC4733', inband: 'DTMF_SOURCE_INBAND', info: 'DTMF_SOURCE_INFO'
}

export class AiCall {
  readonly record: CallRecord
  readonly identity: CallIdentity
  private current = CallState.Routing
  private readonly invite: RoutedInvite
  private readonly deps: AiCallDeps
  private readonly log: Logger
  private media: CallMedia | null = null
  private dialog: Dialog | null = null
  private engineCall: EngineCall | null = null
  private readonly tools: SystemTools
  private readonly transfer: CallTransfer
  /** Where engine audio goes instead of the caller's leg (the human during a transfer whisper). */
  private engineAudioLeg: Leg | null = null
  private readonly dedup = new DtmfDeduplicator()
  /** Set while Ending: how the call ends once the drain (or the ACK) allows it. */
  private ending: { side: Side; cause: string } | null = null
  private drainTimer: NodeJS.Timeout | null = null
  private voicemailHangup: { cause: string; timer: NodeJS.Timeout } | null = null

  constructor (invite: RoutedInvite, deps: AiCallDeps) {
    this.invite = invite
    this.deps = deps
    this.identity = callIdentity(name => getHeader(invite.req, name))
    const conversationId = `conv_${randomUUID().replace(/-/g, '')}`
    this.log = invite.logger.child({ conversationId })
    this.tools = new SystemTools(this.toolHost(), this.log)
    this.transfer = aiCallTransfer({
      trunk: invite.trunk,
      agent: invite.agent,
      mediaAddress: invite.mediaAddress,
      callId: this.identity.call_id,
      callerId: this.identity.caller_id,
      settings: deps.transferSettings ?? transferSettings.check({}, 'transfer'),
      humanDialer: deps.humanDialer,
      log: this.log,
      dialog: () => this.current === CallState.Active ? this.dialog : null,
      callerLeg: () => this.isOver ? null : this.media?.leg ?? null,
      routeEngineAudio: leg => { this.engineAudioLeg = leg },
      sendCallEvent: ev => { if (!this.isOver) this.engineCall?.sendCallEvent(ev) },
      playbackMark: (name, flushed) => this.engineCall?.sendPlaybackMark(name, flushed),
      hangup: cause => this.hangup('gateway', cause, false),
      leaveEngine: () => this.leaveEngine(),
      adoptLeg: (media, dialog) => this.adoptLeg(media, dialog)
    })
    this.record = newCallRecord({
      conversationId,
      sipCallId: getHeader(invite.req, 'Call-ID') ?? '',
      identity: this.identity,
      agentId: invite.agentId,
      trunk: invite.trunk.name,
      calledNumber: invite.phoneNumber
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
        log: this.log
      })
    } catch (err) {
      this.log.error({ err }, 'no media leg for the call')
      this.reject(new SipError(503, 'Service Unavailable', 'CALL_ERR_MEDIA_UNAVAILABLE', {
        detail: (err as Error).message, headers: [{ name: 'Retry-After', value: String(this.deps.retryAfterSeconds) }]
      }))
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
    let engineCall: EngineCall
    try {
      engineCall = await this.deps.engine.startCall(start)
    } catch (err) {
      if (this.isOver) return
      await this.engineUnavailable(err as EngineError, localSdp)
      return
    }
    if (this.isOver) {
      // Canceled while the engine was getting ready.
      engineCall.hangup('HANGUP_SIDE_CALLER', 'canceled', 487)
      return
    }
    this.engineCall = engineCall
    this.attachEngine(engineCall)
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
    const outcome = await fetchInitiationData(hook, {
      caller_id: this.identity.caller_id,
      agent_id: inv.agentId,
      called_number: inv.phoneNumber,
      call_sid: this.identity.call_sid ?? this.identity.call_id
    }, policy, { fetch: this.deps.fetch, log: this.log })
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

  /** RFC 3261 §13.3.1.4: the ACK for our 2xx confirms the session. */
  private onAnswerAcked (dialog: Dialog, ack: SipRequest): void {
    this.dialog = dialog
    this.record.answeredAtMs = Date.now()
    if (this.isOver) { void dialog.destroy().catch(() => undefined); return }
    const media = this.media
    if (media && !media.negotiated && this.current === CallState.Answering && !this.acceptAckAnswer(media, dialog, ack)) return
    if (this.current === CallState.Ending) {
      // The engine or a tool ended the call before the ACK: BYE is only allowed now (§15).
      this.startDrain()
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
      this.reject(new SipError(503, 'Service Unavailable', 'CALL_ERR_ENGINE_UNAVAILABLE', {
        detail: `${err.code}: ${err.message}`,
        headers: [{ name: 'Retry-After', value: String(this.deps.retryAfterSeconds) }]
      }))
      return
    }
    // answer_and_hangup: the caller hears a clear "cannot be completed" instead of ringing forever.
    this.media?.leg.play(specialInformationTone())
    this.ending = { side: 'gateway', cause: 'engine_unavailable' }
    this.media?.apply()
    this.transition(CallState.Answering)
    this.transition(CallState.Ending)
    await this.answerForHangup(localSdp)
  }

  private async answerForHangup (localSdp: string): Promise<void> {
    try {
      await this.invite.answer(localSdp, { onDialog: d => this.onDialogCreated(d) })
    } catch (err) {
      this.end('failed', 'caller', 'not_confirmed')
    }
  }

  // ------------------------------------------------------------------ media leg

  private attachLeg (): void {
    const leg = this.media?.leg
    if (!leg) return
    leg.on('frames', (ev: FramesEvent) => this.onFrames(ev))
    leg.on('dtmf', (ev: DtmfEvent) => this.onDigit(ev.digit, ev.durationMs, ev.source))
    leg.on('mark', (id: unknown, info: { flushed: boolean }) => this.onLegMark(id, info.flushed))
    leg.on('timeout', (ev: TimeoutEvent) => {
      this.log.warn({ afterMedia: ev.afterMedia, silentMs: ev.silentMs }, 'RTP timeout')
      this.hangup('gateway', 'media_timeout', false)
    })
  }

  private onFrames (ev: FramesEvent): void {
    const engine = this.engineCall
    if (!engine || this.media?.held || this.isOver) return
    const pcm = ev.pcm
    // The media layer reuses its frame buffer; EngineCall.sendAudio copies each frame into its batch.
    for (let i = 0; i < ev.frames; i++) {
      engine.sendAudio(Buffer.from(pcm.buffer, pcm.byteOffset + i * FRAME_BYTES, FRAME_BYTES))
    }
  }

  private onDigit (digit: string, durationMs: number, origin: DtmfOrigin): void {
    if (!this.engineCall || this.isOver) return
    if (!this.dedup.accept(digit, origin)) {
      this.log.debug({ digit, origin }, 'DTMF already reported by another source')
      return
    }
    this.record.dtmfReceived++
    this.log.info({ digit, durationMs, origin }, 'DTMF from caller')
    this.engineCall.sendDtmf(digit, durationMs, ENGINE_DTMF_SOURCE[origin])
  }

  private onLegMark (id: unknown, flushed: boolean): void {
    if (id === HANGUP_MARK) { this.finishEnding(); return }
    const name = (id as { engineMark?: string } | null)?.engineMark
    if (name === undefined) return
    this.engineCall?.sendPlaybackMark(name, flushed)
    const vm = this.voicemailHangup
    if (vm && !flushed) {
      // seed "Voicemail detection": the message has been left; the call ends now.
      clearTimeout(vm.timer)
      this.voicemailHangup = null
      this.hangup('gateway', vm.cause, true)
    }
  }

  // ------------------------------------------------------------------ engine stream

  private attachEngine (engine: EngineCall): void {
    engine.on('audio', (data: Buffer) => {
      if (this.current === CallState.Ending || this.isOver || !this.media) return
      if (data.length % 2 !== 0) { this.log.warn({ bytes: data.length }, 'engine audio with an odd byte count dropped'); return }
      ;(this.engineAudioLeg ?? this.media.leg).play(data)
    })
    engine.on('clear', () => { if (this.current !== CallState.Ended) (this.engineAudioLeg ?? this.media?.leg)?.clear() })
    engine.on('mark', (name: string) => {
      if (this.isOver || !this.media) return
      try {
        ;(this.engineAudioLeg ?? this.media.leg).mark({ engineMark: name })
      } catch (err) {
        this.log.warn({ err: (err as Error).message, mark: name }, 'engine mark not placed')
        engine.sendPlaybackMark(name, true)
      }
    })
    engine.on('toolCall', (call: ToolCallMsg) => { void this.runTool(call) })
    engine.on('hangup', (reason: string) => {
      this.log.info({ reason }, 'engine hung up')
      this.hangup('engine', 'engine_hangup', true)
    })
    engine.on('end', () => { if (!this.ending) this.hangup('engine', 'engine_ended', true) })
    engine.on('error', (err: EngineError) => {
      this.log.warn({ code: err.code, grpcCode: err.grpcCode, detail: err.message }, 'engine stream broken: hanging up')
      this.hangup('gateway', 'engine_error', false)
    })
    engine.resume()
  }

  private async runTool (call: ToolCallMsg): Promise<void> {
    const run = await this.tools.run(call)
    const engine = this.engineCall
    if (!engine) return
    const o = run.outcome
    this.record.tools.push(o.ok ? { name: run.name, ok: true, atMs: Date.now() } : { name: run.name, ok: false, error: o.error, atMs: Date.now() })
    this.log.info({ tool: run.name, toolCallId: call.tool_call_id, ok: o.ok, error: o.ok ? undefined : o.error }, 'system tool')
    if (this.current !== CallState.Ended) engine.sendToolResult(call.tool_call_id, o)
    run.after?.()
  }

  private toolHost (): ToolHost {
    return {
      phoneLegReady: () => (this.current === CallState.Active || this.current === CallState.Answering) && this.media !== null,
      sendDigits: digits => this.sendDigits(digits),
      voicemailMessage: () => this.invite.agent?.voicemail_message ?? null,
      voicemailTimeoutMs: () => this.invite.agent?.voicemail_timeout_ms ?? 30000,
      markVoicemail: reason => { this.record.voicemail = { reason } },
      hangupAfterNextMark: (cause, timeoutMs) => {
        if (this.voicemailHangup || this.isOver) return
        const timer = setTimeout(() => {
          this.voicemailHangup = null
          this.log.warn({ timeoutMs }, 'voicemail message not played in time: hanging up')
          this.hangup('gateway', cause, false)
        }, timeoutMs)
        this.voicemailHangup = { cause, timer }
      },
      hangupAfterPlayout: cause => this.hangup('gateway', cause, true),
      transferToNumber: (id, args) => this.transfer.transferToNumber(id, args)
    }
  }

  private sendDigits (digits: string): Promise<{ mode: 'rfc4733' | 'inband' }> {
    return this.media ? this.media.sendDigits(digits) : Promise.reject(new Error('no media leg'))
  }


  // ------------------------------------------------------------------ dialog

  private attachDialog (dialog: Dialog): void {
    dialog.on('destroy', (info: { reason: string }) => {
      // A leg replaced by an incoming REFER (adoptLeg) ending is not the call ending.
      if (dialog !== this.dialog) return
      if (info.reason === 'BYE') this.end('completed', 'caller', 'normal_clearing')
      else this.end('failed', 'gateway', info.reason.replace(/-/g, '_'))
    })
    dialog.on('modify', (req: SipRequest, res: ServerResponse) => {
      if (dialog !== this.dialog) { res.send(488, 'Not Acceptable Here'); return }
      this.onReInvite(req, res)
    })
    dialog.on('info', (req: SipRequest, res: ServerResponse) => this.onInfo(req, res))
    // RFC 3311: an UPDATE may carry an offer (hold, new keys) just like a re-INVITE; without one it is
    // a session refresh (RFC 4028), answered 200 by us with the dialog's timer headers.
    dialog.on('update', (req: SipRequest, res: ServerResponse) => {
      if (req.body.length === 0) res.send(200, 'OK')
      else this.onReInvite(req, res)
    })
    dialog.on('ack', (ack: SipRequest) => this.onReInviteAck(ack))
    this.transfer.attachDialog(dialog)
  }

  private awaitingAckAnswer = false

  private onReInvite (req: SipRequest, res: ServerResponse): void {
    const media = this.media
    if (!media || this.isOver) { res.send(481, 'Call/Transaction Does Not Exist'); return }
    if (req.body.length === 0) {
      this.awaitingAckAnswer = true
      res.send(200, 'OK', { body: media.offerForReInvite() })
      return
    }
    const a = media.answerReInvite(req)
    res.send(a.status, a.reason, { headers: a.headers, body: a.body })
    if (a.holdChanged) this.reportHold()
  }

  private onReInviteAck (ack: SipRequest): void {
    if (!this.awaitingAckAnswer || !this.media) return
    this.awaitingAckAnswer = false
    if (ack.body.length === 0) return
    try {
      if (this.media.acceptAckAnswer(ack.body)) this.reportHold()
    } catch (err) {
      // RFC 3261 §14.2 / RFC 3264: an unacceptable answer in the ACK leaves nothing to negotiate with.
      this.log.warn({ err: (err as Error).message }, 'unusable SDP answer in the ACK: ending the call')
      this.hangup('gateway', 'sdp_answer_in_ack', false)
    }
  }

  private reportHold (): void {
    const held = this.media?.held ?? false
    this.log.info({ held }, held ? 'caller put the call on hold' : 'caller resumed the call')
    this.engineCall?.sendCallEvent(held ? { hold: {} } : { unhold: {} })
  }

  private onInfo (req: SipRequest, res: ServerResponse): void {
    try {
      const dtmf = parseInfoDtmf(getHeader(req, 'Content-Type'), req.body)
      res.send(200, 'OK')
      if (dtmf) this.onDigit(dtmf.digit, dtmf.durationMs, 'info')
    } catch (err) {
      if (!(err instanceof SipError)) throw err
      this.log.info({ status: err.status, detail: err.message }, 'INFO refused')
      res.send(err.status, err.reason, { headers: err.headers })
    }
  }

  // ------------------------------------------------------------------ ending

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

  /** Conference transfer done: the engine stream ends (cause "transferred"), the bridged legs live on. */
  private leaveEngine (): void {
    const engine = this.engineCall
    this.engineCall = null
    this.engineAudioLeg = null
    if (!engine) return
    // Its end/error must not end the bridged call any more.
    engine.removeAllListeners()
    engine.on('error', () => undefined)
    engine.hangup('HANGUP_SIDE_GATEWAY', 'transferred', 0)
  }

  /**
   * Ends the call from our side. drain: let the engine audio already queued play out first (a mark
   * releases the BYE), bounded by MAX_DRAIN_MS; otherwise BYE at once.
   */
  hangup (side: Side, cause: string, drain: boolean): void {
    if (this.isOver) return
    if (isPreAnswer(this.current)) {
      this.reject(new SipError(503, 'Service Unavailable', 'CALL_ERR_ENDED_BEFORE_ANSWER', {
        detail: cause, headers: [{ name: 'Retry-After', value: String(this.deps.retryAfterSeconds) }]
      }))
      return
    }
    if (this.ending && !drain) {
      // Escalation (the engine broke during the drain): stop waiting.
      this.ending = { side: this.ending.side, cause: this.ending.cause }
      if (this.dialog) this.finishEnding()
      return
    }
    if (this.ending) return
    this.ending = { side, cause }
    if (this.current === CallState.Answering) {
      this.transition(CallState.Ending)   // BYE waits for the ACK (answer() continues there)
      return
    }
    this.transition(CallState.Ending)
    if (drain) this.startDrain()
    else this.finishEnding()
  }

  private startDrain (): void {
    const leg = this.media?.leg
    if (!leg || leg.isClosed) { this.finishEnding(); return }
    let waitMs: number
    try {
      waitMs = Math.min(MAX_DRAIN_MS, leg.queuedMs() + 2000)
      leg.mark(HANGUP_MARK)
    } catch {
      this.finishEnding()
      return
    }
    this.drainTimer = setTimeout(() => {
      this.log.warn({ waitMs }, 'queued audio did not play out in time: hanging up')
      this.finishEnding()
    }, waitMs)
  }

  /** BYE now (RFC 3261 §15.1.1), then the call is over for us whatever the BYE's response. */
  private finishEnding (): void {
    if (this.isOver) return
    const e = this.ending ?? { side: 'gateway' as const, cause: 'normal_clearing' }
    const dialog = this.dialog
    if (dialog) {
      dialog.destroy({ headers: { Reason: `Q.850;cause=16;text="${e.cause}"` } })
        .then(r => { if (r && r.status >= 300) this.log.info({ status: r.status }, 'BYE answered with an error') })
        .catch(err => this.log.warn({ err: (err as Error).message }, 'BYE failed'))
    }
    this.end('completed', e.side, e.cause)
  }

  private onCanceled (): void {
    if (!isPreAnswer(this.current)) return
    this.log.info('caller canceled the call')
    this.end('canceled', 'caller', 'canceled', 487)
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
      this.ending = { side: 'gateway', cause: 'internal_error' }
      this.finishEnding()
      return
    }
    this.end('failed', 'gateway', 'internal_error')
  }

  /** Releases everything the call holds and writes the record. Idempotent. */
  private end (outcome: CallOutcome, side: Side, cause: string, sipStatus: number | null = null): void {
    if (this.isOver) return
    this.current = CallState.Ended
    if (this.drainTimer) clearTimeout(this.drainTimer)
    if (this.voicemailHangup) clearTimeout(this.voicemailHangup.timer)
    const engine = this.engineCall
    if (engine) {
      const engineSide = side === 'caller' ? 'HANGUP_SIDE_CALLER' : side === 'engine' ? 'HANGUP_SIDE_ENGINE' : 'HANGUP_SIDE_GATEWAY'
      engine.hangup(engineSide, cause, sipStatus ?? 0)
    }
    this.media?.close()
    this.transfer.close()
    this.record.transfer = this.transfer.record
    if (this.transfer.record?.result === 'succeeded') outcome = 'transferred'
    Object.assign(this.record, { outcome, endedBy: side, cause, sipStatus, endedAtMs: Date.now() })
    this.log.info({ outcome, endedBy: side, cause, sipStatus, voicemail: this.record.voicemail !== null, tools: this.record.tools.length },
      'call ended')
    this.deps.onEnded?.(this.record)
  }
}
