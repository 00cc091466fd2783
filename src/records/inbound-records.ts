// Records for inbound AI calls: begun when the call layer takes the INVITE, finished from the facts the
// call reports in its 'ended' event. Records observe calls: the shapes they read are declared here (the
// call layer's own record and call satisfy them), so this folder imports nothing from the call layer.
// Also the live control of inbound calls the API reaches through the call-control interface.
import type { Logger } from '../log'
import type { CallRecord, FinalCallStatus, TransferOutcome } from './call-record'
import { recordedHangupSide } from './hangup-side'
import type { RecordStore } from './record-store'
import { logCallSummary } from './call-summary'
import { mediaQualityOf, type RtpReceiveStats } from './media-quality'
import type { MediaQuality } from './call-record'

/** The final facts of an inbound call (the call layer's CallRecord). */
export interface InboundCallFacts {
  conversationId: string
  sipCallId: string
  callId: string
  callSid: string | null
  agentId: string
  trunk: string
  callerId: string
  calledNumber: string
  startedAtMs: number
  answeredAtMs: number | null
  endedAtMs: number | null
  outcome: 'completed' | 'rejected' | 'canceled' | 'failed' | 'transferred' | null
  endedBy: 'caller' | 'gateway' | 'engine' | null
  cause: string | null
  sipStatus: number | null
  voicemail: { reason: string } | null
  tools: ReadonlyArray<{ name: string, ok: boolean, atMs: number }>
  dtmfReceived: number
  dtmfSent: number
  media: (RtpReceiveStats & { ptimeMs: number }) | null
  transfer?: { type: TransferOutcome['type'], target: string, result: 'succeeded' | 'failed', sipStatus?: number } | null
}

/** A live inbound call as the records and the API's live control see it. */
export interface ObservedInboundCall {
  readonly record: InboundCallFacts
  hangup: (side: 'gateway', cause: string, drain: boolean) => void
  /** Null when the call is not answered (no DTMF possible). */
  sendDtmf: (digits: string) => Promise<unknown> | null
  /** RTP statistics so far while the call is up; null without negotiated media. */
  liveMediaStats: () => (RtpReceiveStats & { ptimeMs: number }) | null
  /** Resolves null when the call is not answered. */
  transferTo: (to: string, type?: 'conference' | 'sip_refer') => Promise<InboundTransferAttempt | null>
}

export interface InboundTransferAttempt {
  outcome: { ok: true, result?: Record<string, unknown> } | { ok: false, error: string }
  refusal?: 'not_allowed' | 'busy' | 'not_connected' | 'unavailable'
}

/** Why live DTMF to an inbound call did not go out. */
export class InboundDtmfError extends Error {
  constructor (readonly reason: 'not_answered' | 'failed', message: string) { super(message) }
}

/** The part of AiCallHandler this needs: its 'call' and 'ended' events ('preCallWebhook' feeds the metrics). */
export interface InboundCallSource {
  on (event: 'call', fn: (call: ObservedInboundCall) => void): unknown
  on (event: 'ended', fn: (record: InboundCallFacts) => void): unknown
  on (event: 'preCallWebhook', fn: (elapsedMs: number, ok: boolean) => void): unknown
}

/**
 * - completed with a voicemail detected → voicemail; transferred → transferred;
 * - rejected: an answer refused by us (policy, 503 engine unavailable …) or a busy code → busy when 486/600;
 * - canceled: the caller hung up before the answer.
 */
export function inboundStatus (r: InboundCallFacts): FinalCallStatus {
  switch (r.outcome) {
    case 'completed': return r.voicemail ? 'voicemail' : 'completed'
    case 'transferred': return 'transferred'
    case 'canceled': return 'canceled'
    case 'rejected': return r.sipStatus === 486 || r.sipStatus === 600 ? 'busy' : 'rejected'
    default: return 'failed'
  }
}

export class InboundRecords {
  private readonly live = new Map<string, ObservedInboundCall>()
  private readonly waiting = new Map<string, Array<() => void>>()

  constructor (source: InboundCallSource, private readonly store: RecordStore, private readonly log: Logger,
    private readonly onFinished?: (rec: CallRecord) => void) {
    source.on('call', (call) => this.begin(call))
    source.on('ended', (r) => this.finish(r))
  }

  private begin (call: ObservedInboundCall): void {
    const r = call.record
    try {
      this.store.begin({
        conversationId: r.conversationId,
        callId: r.callId || null,
        callSid: r.callSid,
        sipCallId: r.sipCallId || null,
        agentId: r.agentId,
        direction: 'inbound',
        trunk: r.trunk,
        fromNumber: r.callerId,
        toNumber: r.calledNumber,
        createdAt: r.startedAtMs,
        status: 'ringing'
      })
      this.live.set(r.conversationId, call)
    } catch (err) {
      this.log.error({ err, conversationId: r.conversationId }, 'inbound call record not started')
    }
  }

  private finish (r: InboundCallFacts): void {
    this.live.delete(r.conversationId)
    try {
      if (!this.store.get(r.conversationId)) {
        this.store.begin({ conversationId: r.conversationId, agentId: r.agentId, direction: 'inbound', fromNumber: r.callerId, toNumber: r.calledNumber, createdAt: r.startedAtMs })
      }
      if (r.answeredAtMs !== null) this.store.update(r.conversationId, { answeredAt: r.answeredAtMs })
      const t = r.transfer ?? null
      const transfer: TransferOutcome | null = t ? { type: t.type, target: t.target, result: t.result, ...(t.sipStatus !== undefined ? { sipStatus: t.sipStatus } : {}) } : null
      const rec = this.store.finish(r.conversationId, {
        status: inboundStatus(r),
        hangupCause: r.cause ?? 'unknown',
        hangupSide: recordedHangupSide(r.endedBy, r.cause),
        sipStatus: r.sipStatus,
        endedAt: r.endedAtMs ?? undefined,
        transfer,
        toolsCalled: r.tools.map(x => ({ name: x.name, at: x.atMs, ok: x.ok })),
        dtmfReceived: r.dtmfReceived,
        dtmfSent: r.dtmfSent,
        media: r.media ? mediaQualityOf(r.media, r.media.ptimeMs) : null
      })
      logCallSummary(this.log, { ...rec, trunk: rec.trunk ?? r.trunk, sipCallId: rec.sipCallId ?? r.sipCallId })
      this.onFinished?.(rec)
    } catch (err) {
      this.log.error({ err, conversationId: r.conversationId }, 'inbound call record not written')
    }
    for (const w of this.waiting.get(r.conversationId) ?? []) w()
    this.waiting.delete(r.conversationId)
  }

  /**
   * API hang-up of a live inbound call: the gateway ends it (BYE, or 503 before the answer); resolves once
   * its record is final (bounded: 10 s).
   */
  async hangup (conversationId: string): Promise<boolean> {
    const call = this.live.get(conversationId)
    if (!call) return false
    const finished = new Promise<void>(resolve => {
      const timer = setTimeout(resolve, 10000)
      const list = this.waiting.get(conversationId) ?? []
      list.push(() => { clearTimeout(timer); resolve() })
      this.waiting.set(conversationId, list)
    })
    call.hangup('gateway', 'api_hangup', false)
    await finished
    return true
  }

  /** Brings the stored record up to date with the live call (answered → in-progress) before it is read. */
  sync (conversationId: string): void {
    const call = this.live.get(conversationId)
    const answeredAt = call?.record.answeredAtMs ?? null
    if (call && answeredAt !== null) this.store.update(conversationId, { status: 'in-progress', answeredAt })
  }

  /**
   * Interim media quality of a live inbound call (packets, loss, jitter, MOS so far); null for a call
   * this gateway does not hold or that has no media yet. Read on demand, never written: the final
   * figures go into the record when the call ends.
   */
  liveMedia (conversationId: string): MediaQuality | null {
    const stats = this.live.get(conversationId)?.liveMediaStats() ?? null
    return stats ? mediaQualityOf(stats, stats.ptimeMs) : null
  }

  /**
   * API DTMF towards an inbound caller: RFC 4733 events when telephone-event was negotiated, in-band
   * tones otherwise. False for a call this gateway does not hold; 409 before the call is confirmed.
   */
  async dtmf (conversationId: string, digits: string): Promise<boolean> {
    const call = this.live.get(conversationId)
    if (!call) return false
    const sending = call.sendDtmf(digits)
    if (sending === null) throw new InboundDtmfError('not_answered', `call ${conversationId} is not answered: no DTMF`)
    try {
      await sending
    } catch (err) {
      throw new InboundDtmfError('failed', `DTMF not sent on call ${conversationId}: ${(err as Error).message}`)
    }
    return true
  }

  /** API transfer of a live inbound call; false for a call this gateway does not hold, null when not answered. */
  async transfer (conversationId: string, to: string, type?: 'conference' | 'sip_refer'): Promise<InboundTransferAttempt | null | false> {
    const call = this.live.get(conversationId)
    if (!call) return false
    return await call.transferTo(to, type)
  }

  get activeCount (): number { return this.live.size }
}
