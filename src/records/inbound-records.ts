// Records for inbound AI calls (issue 4's AiCall): begun when the call layer takes the INVITE, finished
// from the call's own record when it ends. Also the API's live control of inbound calls (hang-up).
import type { AiCall } from '../call/ai-call'
import type { CallRecord as AiCallRecord } from '../call/call-record'
import type { Logger } from '../log'
import type { CallRecord, FinalCallStatus, HangupSide, TransferOutcome } from './call-record'
import type { CallRecordStore } from './call-record-store'
import { CallControlError, type ApiTransferOutcome, type TransferRequest } from '../api/call-control'
import { mediaQualityOf } from './media-quality'

/** The part of AiCallHandler this needs: its 'call' and 'ended' events ('preCallWebhook' feeds the metrics). */
export interface InboundCallSource {
  on (event: 'call', fn: (call: AiCall) => void): unknown
  on (event: 'ended', fn: (record: AiCallRecord) => void): unknown
  on (event: 'preCallWebhook', fn: (elapsedMs: number, ok: boolean) => void): unknown
}

/**
 * - completed with a voicemail detected → voicemail; transferred → transferred;
 * - rejected: an answer refused by us (policy, 503 engine unavailable …) or a busy code → busy when 486/600;
 * - canceled: the caller hung up before the answer.
 */
export function inboundStatus (r: AiCallRecord): FinalCallStatus {
  switch (r.outcome) {
    case 'completed': return r.voicemail ? 'voicemail' : 'completed'
    case 'transferred': return 'transferred'
    case 'canceled': return 'canceled'
    case 'rejected': return r.sipStatus === 486 || r.sipStatus === 600 ? 'busy' : 'rejected'
    default: return 'failed'
  }
}

const SIDE: Record<string, HangupSide> = { caller: 'remote', engine: 'local', gateway: 'system' }

export class InboundRecords {
  private readonly live = new Map<string, AiCall>()
  private readonly waiting = new Map<string, Array<() => void>>()

  constructor (source: InboundCallSource, private readonly store: CallRecordStore, private readonly log: Logger,
    private readonly onFinished?: (rec: CallRecord) => void) {
    source.on('call', (call) => this.begin(call))
    source.on('ended', (r) => this.finish(r))
  }

  private begin (call: AiCall): void {
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

  private finish (r: AiCallRecord): void {
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
        hangupSide: SIDE[r.endedBy ?? 'gateway'] ?? 'system',
        sipStatus: r.sipStatus,
        endedAt: r.endedAtMs ?? undefined,
        transfer,
        toolsCalled: r.tools.map(x => ({ name: x.name, at: x.atMs, ok: x.ok })),
        dtmfReceived: r.dtmfReceived,
        dtmfSent: r.dtmfSent,
        media: r.media ? mediaQualityOf(r.media, r.media.ptimeMs) : null
      })
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
   * API DTMF towards an inbound caller: RFC 4733 events when telephone-event was negotiated, in-band
   * tones otherwise. False for a call this gateway does not hold; 409 before the call is confirmed.
   */
  async dtmf (conversationId: string, digits: string): Promise<boolean> {
    const call = this.live.get(conversationId)
    if (!call) return false
    const sending = call.sendDtmf(digits)
    if (sending === null) throw new CallControlError(409, 'API_ERR_NOT_ANSWERED', `call ${conversationId} is not answered: no DTMF`)
    try {
      await sending
    } catch (err) {
      throw new CallControlError(409, 'API_ERR_DTMF_FAILED', `DTMF not sent on call ${conversationId}: ${(err as Error).message}`)
    }
    return true
  }

  /** API transfer of a live inbound call (held to the agent's rules); null for a call this gateway does not hold. */
  async transfer (conversationId: string, req: TransferRequest): Promise<ApiTransferOutcome | null> {
    const call = this.live.get(conversationId)
    if (!call) return null
    return await call.transferFromApi(req.to, req.type)
  }

  get activeCount (): number { return this.live.size }
}
