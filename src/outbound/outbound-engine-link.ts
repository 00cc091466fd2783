// The conversation engine on an outbound call: the same SessionStart as inbound calls (buildStart from
// the call layer) with direction outbound, opened at the first 1xx so the engine is ready when the callee
// answers ("ringing reported to the engine"); audio both ways once answered; DTMF to the engine (RFC 4733,
// in-band and INFO, de-duplicated as inbound); hold reported; the engine's hang-up drained like inbound;
// and the system tools through the call layer's SystemTools (the same tool-id de-duplication, tone bound,
// end_call after the queued audio, voicemail message then hang-up) with transfer_to_number through the
// inbound calls' transfer code (outbound-call-transfer.ts).
import type { AgentConfig } from '../config'
import { transferSettings, type TransferSettings } from '../config/transfer-schema'
import { buildStart, defaultPersonalization, personalizationPolicy } from '../call/start-message'
import { DtmfDeduplicator, type DtmfOrigin } from '../call/dtmf-deduplicator'
import { SystemTools } from '../call/system-tools'
import type { EngineConnector, EngineSession, ToolCall } from '../engine/engine-session'
import type { TransferRequest } from '../transfer/transfer-service'
import type { Logger } from '../log'
import type { DtmfEvent, FramesEvent, Leg } from '../media/leg'
import type { MediaEngine } from '../media/media-engine'
import type { NegotiatedAudio } from '../sdp'
import type { Dialog } from '../sip/dialog/dialog'
import type { CallTransfer, TransferToolRun } from '../transfer/call-transfer'
import type { HumanDialer } from '../transfer/human-dialer'
import type { CallMedia } from '../call/call-media'
import { outboundCallTransfer } from './outbound-call-transfer'
import { LegOutboundMedia, type OutboundMedia, type OutboundMediaContext, type OutboundMediaFactory } from './outbound-media'

/** Token for the leg mark that releases a drained hang-up once the queued agent audio has played. */
const HANGUP_MARK = { kind: 'outbound-hangup' } as const
/** Longest wait for queued audio before a drained hang-up happens anyway (as inbound calls). */
const MAX_DRAIN_MS = 65000

/** What ends a call from the engine side: the OutboundCall records it (status, cause, side local). */
export interface EngineHangup { cause: string, voicemail?: boolean }

export interface EngineLinkHooks {
  /** Start → Ready of each engine stream, ms (the engine round-trip metric). */
  onReady?: (elapsedMs: number) => void
  /** Dials the human of a conference transfer (src/transfer/human-dialer.ts); without it only sip_refer works. */
  humanDialer?: HumanDialer<CallMedia>
  /** config.transfer (ring timeout, whisper, hold audio, REFER NOTIFY timeout). */
  transferSettings?: TransferSettings
}

export function engineMediaFactory (media: MediaEngine, engineFor: (agentId: string) => EngineConnector, agents: readonly AgentConfig[], hooks: EngineLinkHooks = {}): OutboundMediaFactory {
  return (ctx) => new EngineOutboundMedia(new LegOutboundMedia(media, ctx), engineFor, ctx, agents.find(a => a.id === ctx.call?.agentId) ?? null, hooks)
}

class EngineOutboundMedia implements OutboundMedia {
  private engineCall: EngineSession | null = null
  private starting: Promise<void> | null = null
  private answeredUp = false
  private closed = false
  private dialog: Dialog | null = null
  /** Engine audio goes here instead of the callee's leg (the human's leg during a conference whisper). */
  private audioLeg: Leg | null = null
  private readonly transfer: CallTransfer | null
  private transferRun: Promise<void> | null = null
  private readonly log: Logger
  private readonly tools: SystemTools
  private readonly dedup = new DtmfDeduplicator()
  /** A hang-up waiting for the queued agent audio (end_call, engine Hangup, voicemail message played). */
  private draining: { cause: string, timer: NodeJS.Timeout | null } | null = null
  private voicemailWait: { cause: string, timer: NodeJS.Timeout } | null = null
  private voicemail = false
  /** The engine itself ended the conversation (Hangup message or stream end): it hears side "engine". */
  private endedByEngine = false
  private dtmfReceived = 0
  private readonly toolsCalled: Array<{ name: string, at: number, ok: boolean }> = []

  constructor (private readonly inner: LegOutboundMedia, private readonly engineFor: (agentId: string) => EngineConnector, private readonly ctx: OutboundMediaContext,
    private readonly agent: AgentConfig | null, private readonly hooks: EngineLinkHooks) {
    this.log = ctx.log
    const leg = inner.leg
    leg.on('frames', (ev: FramesEvent) => this.onFrames(ev))
    leg.on('dtmf', (ev: DtmfEvent) => this.onDigit(ev.digit, ev.durationMs, ev.source))
    leg.on('mark', (id: unknown, info: { flushed: boolean }) => this.onLegMark(id, info?.flushed ?? false))
    inner.onDigit = (digit, durationMs) => this.onDigit(digit, durationMs, 'info')
    inner.onHoldChanged = held => { if (!this.closed) this.engineCall?.sendCallEvent({ type: held ? 'hold' : 'unhold' }) }
    const call = ctx.call
    this.transfer = ctx.trunk && call
      ? outboundCallTransfer({
        trunk: ctx.trunk,
        agent,
        settings: hooks.transferSettings ?? transferSettings.check({}, 'transfer'),
        humanDialer: hooks.humanDialer,
        mediaAddress: ctx.mediaAddress,
        conversationId: ctx.conversationId,
        fromNumber: call.fromNumber,
        dynamicVariables: call.dynamicVariables,
        log: this.log,
        dialog: () => this.closed ? null : this.dialog,
        calleeLeg: () => this.closed ? null : this.inner.leg,
        routeEngineAudio: leg => { this.audioLeg = leg },
        sendCallEvent: ev => this.engineCall?.sendCallEvent(ev),
        playbackMark: (name, flushed) => this.engineCall?.sendPlaybackMark(name, flushed),
        hangup: cause => this.ctx.hangup?.({ cause }),
        leaveEngine: () => this.leaveEngine()
      })
      : null
    const transfer = this.transfer
    this.tools = new SystemTools({
      phoneLegReady: () => this.answeredUp && !this.closed,
      sendDigits: async digits => {
        const r = await this.inner.media.sendDigits(digits)
        this.ctx.digitsSent?.(digits.replace(/[wW]/g, '').length)
        return r
      },
      voicemailMessage: () => agent?.voicemail_message ?? null,
      voicemailTimeoutMs: () => agent?.voicemail_timeout_ms ?? 30000,
      markVoicemail: () => { this.voicemail = true },
      hangupAfterNextMark: (cause, timeoutMs) => this.hangupAfterNextMark(cause, timeoutMs),
      hangupAfterPlayout: cause => this.drainThenHangup(cause),
      transferToNumber: transfer ? (id, args) => this.runTransfer(transfer, id, args) : undefined
    }, this.log)
  }

  connected (dialog: Dialog): void {
    this.dialog = dialog
    this.inner.connected(dialog)
  }

  pendingTransfer (): Promise<void> | null { return this.transferRun }

  get leg (): OutboundMedia['leg'] { return this.inner.leg }

  offer (): string { return this.inner.offer() }

  ringing (): void {
    this.inner.ringing()
    this.start()
  }

  answered (remoteSdp: string): NegotiatedAudio | null {
    const n = this.inner.answered(remoteSdp)
    this.answeredUp = true
    // A callee that answers without ringing first (200 straight away) starts the engine now.
    this.start()
    return n
  }

  private start (): void {
    if (this.starting || this.closed || !this.ctx.call) return
    const call = this.ctx.call
    const personalization = defaultPersonalization(personalizationPolicy(call.agentId, this.agent))
    Object.assign(personalization.dynamicVariables, call.dynamicVariables)
    personalization.overrides = { ...call.overrides }
    personalization.usedDefaults = false
    const start = {
      ...buildStart({
        conversationId: this.ctx.conversationId,
        agentId: call.agentId,
        agent: this.agent,
        // For an outbound call the agent is the caller: caller_id is our number, called_number the callee.
        identity: { caller_id: call.fromNumber, call_id: this.ctx.conversationId, call_sid: null, source: { callId: 'sip-call-id', callerId: 'from' } },
        calledNumber: call.to,
        personalization,
        sipHeaders: [],
        nowMs: Date.now(),
        direction: 'outbound'
      })
    }
    const t0 = performance.now()
    this.starting = this.engineFor(call.agentId).open(start).then(ec => {
      this.hooks.onReady?.(performance.now() - t0)
      if (this.closed) { ec.hangup('gateway', 'canceled', 0); return }
      this.engineCall = ec
      this.attach(ec)
      this.log.info('engine stream ready for the outbound call')
    }, err => {
      this.log.warn({ err: (err as Error).message }, 'engine unavailable for the outbound call')
      this.ctx.hangup?.({ cause: 'engine_unavailable' })
    })
  }

  private attach (ec: EngineSession): void {
    const leg = this.inner.leg
    ec.on('audio', (data: Buffer) => {
      const target = this.audioLeg ?? leg
      // While a hang-up drains, nothing more is queued behind the goodbye (as inbound calls).
      if (!this.closed && this.draining === null && data.length % 2 === 0) target.play(data)
    })
    ec.on('clear', () => { if (!this.closed) (this.audioLeg ?? leg).clear() })
    ec.on('mark', (name: string) => {
      try { (this.audioLeg ?? leg).mark({ engineMark: name }) } catch { ec.sendPlaybackMark(name, true) }
    })
    ec.on('toolCall', (tool: ToolCall) => { void this.runTool(ec, tool) })
    ec.on('hangup', (reason: string) => {
      this.endedByEngine = true
      this.drainThenHangup(reason || 'engine_hangup')
    })
    ec.on('error', (err) => {
      this.log.warn({ code: err.code, protocol: ec.protocol, err: err.message }, 'engine session failed')
      this.ctx.hangup?.({ cause: 'engine_failed' })
    })
    ec.on('end', () => {
      if (this.closed || this.draining !== null) return
      this.endedByEngine = true
      this.drainThenHangup('engine_ended')
    })
    // Messages are held until listeners exist: deliver them now.
    ec.resume()
  }

  private onDigit (digit: string, durationMs: number, origin: DtmfOrigin): void {
    const ec = this.engineCall
    if (!ec || this.closed) return
    if (!this.dedup.accept(digit, origin)) return
    this.dtmfReceived++
    this.ctx.record?.({ dtmfReceived: this.dtmfReceived })
    ec.sendDtmf(digit, durationMs, origin)
  }

  private runTool (ec: EngineSession, tool: ToolCall): Promise<void> {
    const done = this.runToolAndReport(ec, tool)
    if (tool.name === 'transfer_to_number' && this.transferRun === null) {
      // pendingTransfer(): a REFER that ends the dialog waits for the outcome, the ToolResult and the
      // hang-up that follows it. A second transfer while one runs is refused: the first stays pending.
      const pending = done.then(() => undefined, () => undefined)
      this.transferRun = pending
      void pending.then(() => { if (this.transferRun === pending) this.transferRun = null })
    }
    return done
  }

  private async runToolAndReport (ec: EngineSession, tool: ToolCall): Promise<void> {
    const run = await this.tools.run(tool)
    const o = run.outcome
    this.toolsCalled.push({ name: run.name, at: Date.now(), ok: o.ok })
    this.ctx.record?.({ toolsCalled: [...this.toolsCalled] })
    this.log.info({ tool: run.name, toolCallId: tool.id, ok: o.ok, error: o.ok ? undefined : o.error }, 'system tool')
    if (!this.closed) ec.sendToolResult(tool.id, o)
    run.after?.()
  }

  /** Control API transfer: as transfer_to_number (rules, record, pendingTransfer), without a tool call. */
  async transferTo (to: string, type?: 'conference' | 'sip_refer'): Promise<TransferToolRun> {
    const transfer = this.transfer
    if (!transfer || this.closed) return { outcome: { ok: false, error: 'this call cannot transfer (no trunk for it)' }, refusal: 'unavailable' }
    const done = this.runTransfer(transfer, `api_${this.ctx.conversationId}_${Date.now()}`, { transferNumber: to, clientMessage: '', agentMessage: '', requestedType: type })
      .then(run => { run.after?.(); return run })
    if (this.transferRun === null) {
      const pending = done.then(() => undefined, () => undefined)
      this.transferRun = pending
      void pending.then(() => { if (this.transferRun === pending) this.transferRun = null })
    }
    return await done
  }

  /** transfer_to_number: the outcome goes into the record. */
  private async runTransfer (transfer: CallTransfer, id: string, args: TransferRequest): Promise<TransferToolRun> {
    const run = await transfer.transferToNumber(id, args)
    const record = transfer.record
    if (record) this.ctx.transfer?.({ type: record.type, target: record.target, result: record.result, ...(record.sipStatus !== undefined ? { sipStatus: record.sipStatus } : {}) })
    return run
  }

  /** Hang up once the agent audio already queued has played (a leg mark releases it), bounded by MAX_DRAIN_MS. */
  private drainThenHangup (cause: string): void {
    if (this.closed || this.draining !== null) return
    const leg = this.audioLeg ?? this.inner.leg
    let waitMs: number
    try {
      waitMs = Math.min(MAX_DRAIN_MS, leg.queuedMs() + 2000)
      leg.mark(HANGUP_MARK)
    } catch {
      this.finishHangup(cause)
      return
    }
    this.draining = {
      cause,
      timer: setTimeout(() => {
        this.log.warn({ waitMs }, 'queued audio did not play out in time: hanging up')
        this.finishHangup(cause)
      }, waitMs)
    }
  }

  private finishHangup (cause: string): void {
    if (this.draining?.timer) clearTimeout(this.draining.timer)
    if (this.closed) return
    this.ctx.hangup?.(this.voicemail ? { cause: 'voicemail_detected', voicemail: true } : { cause })
  }

  /** seed "Voicemail detection": hang up once the engine's next mark (the message) has played, or after timeoutMs. */
  private hangupAfterNextMark (cause: string, timeoutMs: number): void {
    if (this.voicemailWait || this.closed) return
    const timer = setTimeout(() => {
      this.voicemailWait = null
      this.log.warn({ timeoutMs }, 'voicemail message not played in time: hanging up')
      this.finishHangup(cause)
    }, timeoutMs)
    this.voicemailWait = { cause, timer }
  }

  private onLegMark (id: unknown, flushed: boolean): void {
    if (id === HANGUP_MARK) { this.finishHangup(this.draining?.cause ?? 'normal_clearing'); return }
    const name = (id as { engineMark?: string } | null)?.engineMark
    if (name === undefined) return
    this.engineCall?.sendPlaybackMark(name, flushed)
    const vm = this.voicemailWait
    if (vm && !flushed) {
      clearTimeout(vm.timer)
      this.voicemailWait = null
      this.drainThenHangup(vm.cause)
    }
  }

  private onFrames (ev: FramesEvent): void {
    const ec = this.engineCall
    if (!ec || !this.answeredUp || this.closed || this.inner.held) return
    // One copy of the tick's frames into the session's batch, as the inbound call does (no Buffer per frame).
    ec.sendAudioFrames(ev.pcm, ev.frames)
  }

  /** Conference bridged: the engine stream ends; the callee's and the human's legs stay up. */
  private leaveEngine (): void {
    const ec = this.engineCall
    this.engineCall = null
    this.audioLeg = null
    if (!ec) return
    // Its end/error must not end the bridged call any more.
    ec.removeAllListeners()
    ec.on('error', () => undefined)
    ec.hangup('gateway', 'transferred', 0)
    this.log.info('engine left the outbound call: callee and human bridged')
  }

  sendDtmf (digits: string): Promise<void> { return this.inner.sendDtmf(digits) }
  stats (): ReturnType<OutboundMedia['stats']> { return this.inner.stats() }
  ptimeMs (): number { return this.inner.ptimeMs() }

  close (end?: { side: 'local' | 'remote' | 'system', cause: string, sipStatus: number | null }): void {
    if (this.closed) return
    this.closed = true
    if (this.draining?.timer) clearTimeout(this.draining.timer)
    if (this.voicemailWait) clearTimeout(this.voicemailWait.timer)
    // The engine hears who ended the call as on inbound calls: the callee (caller side), itself, or us.
    const side = end?.side === 'remote' ? 'caller' : this.endedByEngine ? 'engine' : 'gateway'
    this.engineCall?.hangup(side, end?.cause ?? 'ended', end?.sipStatus ?? 0)
    // Hangs up the human's leg of a conference transfer, if any.
    this.transfer?.close()
    this.inner.close()
  }
}
