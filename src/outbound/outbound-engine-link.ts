// The conversation engine on an outbound call: the same Start message as inbound calls (buildStart from
// the call layer) with direction OUTBOUND, sent at the first 1xx so the engine is ready when the callee
// answers ("ringing reported to the engine"); audio both ways once answered; DTMF to the engine; the
// engine's hang-up and the system tools end_call, play_keypad_touch_tone, skip_turn, voicemail_detection,
// and transfer_to_number through the inbound calls' transfer code (outbound-call-transfer.ts).
import type { AgentConfig } from '../config'
import { transferSettings, type TransferSettings } from '../config/transfer-schema'
import { buildStart, defaultPersonalization, personalizationPolicy } from '../call/start-message'
import type { EngineCall, EngineClient } from '../engine/engine-client'
import type { ToolCallMsg } from '../engine/engine-messages'
import type { Logger } from '../log'
import type { DtmfEvent, FramesEvent, Leg } from '../media/leg'
import type { MediaEngine } from '../media/media-engine'
import type { NegotiatedAudio } from '../sdp'
import type { Dialog } from '../sip/dialog/dialog'
import type { CallTransfer } from '../transfer/call-transfer'
import type { HumanDialer } from '../transfer/human-dialer'
import { outboundCallTransfer } from './outbound-call-transfer'
import { legMediaFactory, type OutboundMedia, type OutboundMediaContext, type OutboundMediaFactory } from './outbound-media'


/** What ends a call from the engine side: the OutboundCall records it (status, cause, side local). */
export interface EngineHangup { cause: string, voicemail?: boolean }

export interface EngineLinkHooks {
  /** Start → Ready of each engine stream, ms (the engine round-trip metric). */
  onReady?: (elapsedMs: number) => void
  /** Dials the human of a conference transfer (src/transfer/human-dialer.ts); without it only sip_refer works. */
  humanDialer?: HumanDialer
  /** config.transfer (ring timeout, whisper, hold audio, REFER NOTIFY timeout). */
  transferSettings?: TransferSettings
}

export function engineMediaFactory (media: MediaEngine, engine: EngineClient, agents: readonly AgentConfig[], hooks: EngineLinkHooks = {}): OutboundMediaFactory {
  const legs = legMediaFactory(media)
  return (ctx) => new EngineOutboundMedia(legs(ctx), engine, ctx, agents.find(a => a.id === ctx.call?.agentId) ?? null, hooks)
}

class EngineOutboundMedia implements OutboundMedia {
  private engineCall: EngineCall | null = null
  private starting: Promise<void> | null = null
  private answeredUp = false
  private closed = false
  private dialog: Dialog | null = null
  /** Engine audio goes here instead of the callee's leg (the human's leg during a conference whisper). */
  private audioLeg: Leg | null = null
  private readonly transfer: CallTransfer | null
  private transferRun: Promise<void> | null = null
  private readonly log: Logger

  constructor (private readonly inner: OutboundMedia, private readonly engine: EngineClient, private readonly ctx: OutboundMediaContext,
    private readonly agent: AgentConfig | null, private readonly hooks: EngineLinkHooks) {
    this.log = ctx.log
    const leg = inner.leg
    if (leg) {
      leg.on('frames', (ev: FramesEvent) => this.onFrames(ev))
      leg.on('dtmf', (ev: DtmfEvent) => this.engineCall?.sendDtmf(ev.digit, ev.durationMs, ev.source === 'rfc4733' ? 'DTMF_SOURCE_RFC4733' : 'DTMF_SOURCE_INBAND'))
      leg.on('mark', (id: unknown) => {
        const name = (id as { engineMark?: string } | null)?.engineMark
        if (name !== undefined) this.engineCall?.sendPlaybackMark(name, false)
      })
    }
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
        calleeLeg: () => this.closed ? null : this.inner.leg ?? null,
        routeEngineAudio: leg => { this.audioLeg = leg },
        sendCallEvent: ev => this.engineCall?.sendCallEvent(ev),
        playbackMark: (name, flushed) => this.engineCall?.sendPlaybackMark(name, flushed),
        hangup: cause => this.ctx.hangup?.({ cause }),
        leaveEngine: () => this.leaveEngine()
      })
      : null
  }

  connected (dialog: Dialog): void { this.dialog = dialog }

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
        nowMs: Date.now()
      }),
      direction: 'CALL_DIRECTION_OUTBOUND' as const
    }
    const t0 = performance.now()
    this.starting = this.engine.startCall(start).then(ec => {
      this.hooks.onReady?.(performance.now() - t0)
      if (this.closed) { ec.hangup('HANGUP_SIDE_GATEWAY', 'canceled', 0); return }
      this.engineCall = ec
      this.attach(ec)
      this.log.info('engine stream ready for the outbound call')
    }, err => {
      this.log.warn({ err: (err as Error).message }, 'engine unavailable for the outbound call')
      this.ctx.hangup?.({ cause: 'engine_unavailable' })
    })
  }

  private attach (ec: EngineCall): void {
    const leg = this.inner.leg
    ec.on('audio', (data: Buffer) => {
      const target = this.audioLeg ?? leg
      if (!this.closed && target && data.length % 2 === 0) target.play(data)
    })
    ec.on('clear', () => { if (!this.closed) (this.audioLeg ?? leg)?.clear() })
    ec.on('mark', (name: string) => {
      try { (this.audioLeg ?? leg)?.mark({ engineMark: name }) } catch { ec.sendPlaybackMark(name, true) }
    })
    ec.on('toolCall', (tool: ToolCallMsg) => { void this.onTool(ec, tool) })
    ec.on('hangup', (reason: string) => this.ctx.hangup?.({ cause: reason || 'engine_hangup' }))
    ec.on('error', (err) => {
      this.log.warn({ code: err.code, err: err.message }, 'engine stream failed')
      this.ctx.hangup?.({ cause: 'engine_failed' })
    })
    ec.on('end', () => { if (!this.closed) this.ctx.hangup?.({ cause: 'engine_ended' }) })
    // Messages are held until listeners exist (engine-client.ts): deliver them now.
    ec.resume()
  }

  private async onTool (ec: EngineCall, tool: ToolCallMsg): Promise<void> {
    const id = tool.tool_call_id
    try {
      if ('end_call' in tool) {
        ec.sendToolResult(id, { ok: true })
        this.ctx.hangup?.({ cause: 'end_call' })
      } else if ('voicemail_detection' in tool) {
        ec.sendToolResult(id, { ok: true })
        this.ctx.hangup?.({ cause: 'voicemail_detected', voicemail: true })
      } else if ('skip_turn' in tool) {
        ec.sendToolResult(id, { ok: true })
      } else if ('play_keypad_touch_tone' in tool) {
        await this.sendDtmf(tool.play_keypad_touch_tone.dtmf_tones)
        ec.sendToolResult(id, { ok: true })
      } else if ('transfer_to_number' in tool && this.transfer) {
        const transfer = this.transfer
        const settled = (async () => {
          const run = await transfer.transferToNumber(id, tool.transfer_to_number)
          const record = transfer.record
          if (record) this.ctx.transfer?.({ type: record.type, target: record.target, result: record.result, ...(record.sipStatus !== undefined ? { sipStatus: record.sipStatus } : {}) })
          ec.sendToolResult(id, run.outcome)
          run.after?.()
        })()
        // A second transfer_to_number while one runs is refused by the service: the first stays pending.
        const pending = settled.catch(() => undefined)
        if (this.transferRun === null) this.transferRun = pending
        try { await settled } finally { if (this.transferRun === pending) this.transferRun = null }
      } else {
        ec.sendToolResult(id, { ok: false, error: 'this tool is not available on outbound calls' })
      }
    } catch (err) {
      ec.sendToolResult(id, { ok: false, error: (err as Error).message })
    }
  }

  private onFrames (ev: FramesEvent): void {
    const ec = this.engineCall
    if (!ec || !this.answeredUp || this.closed) return
    // One copy of the tick's frames into the Audio batch, as the inbound call does (no Buffer per frame).
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
    ec.hangup('HANGUP_SIDE_GATEWAY', 'transferred', 0)
    this.log.info('engine left the outbound call: callee and human bridged')
  }

  sendDtmf (digits: string): Promise<void> { return this.inner.sendDtmf(digits) }
  stats (): ReturnType<OutboundMedia['stats']> { return this.inner.stats() }
  ptimeMs (): number { return this.inner.ptimeMs() }

  close (end?: { side: 'local' | 'remote' | 'system', cause: string, sipStatus: number | null }): void {
    if (this.closed) return
    this.closed = true
    const side = end?.side === 'remote' ? 'HANGUP_SIDE_CALLER' : end?.side === 'local' ? 'HANGUP_SIDE_ENGINE' : 'HANGUP_SIDE_GATEWAY'
    this.engineCall?.hangup(side, end?.cause ?? 'ended', end?.sipStatus ?? 0)
    // Hangs up the human's leg of a conference transfer, if any.
    this.transfer?.close()
    this.inner.close()
  }
}
