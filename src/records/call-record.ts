// The call record: one row per call, inbound and outbound, written when the call starts and
// finalised (durably) when it ends. Field names follow the seed's post-call vocabulary
// (conversation_id, call_sid, agent_id …) so a webhook consumer sees familiar names.

export type CallDirection = 'inbound' | 'outbound'

/** Non-final states: a call moves initiated → ringing → in-progress (each optional). */
export const ACTIVE_STATUSES = ['initiated', 'ringing', 'in-progress'] as const
/**
 * Final states. busy = 486/600; no-answer = our ring timeout (CANCEL) or 408/480 from the far end;
 * rejected = any other final non-2xx from the far end (403, 404, 603 …); canceled = hung up through
 * the API (or shutdown) before the answer; failed = nothing usable came back (DNS, connection,
 * timeout, 503 on every target, SDP answer unusable, internal error).
 */
export const FINAL_STATUSES = ['completed', 'failed', 'busy', 'no-answer', 'rejected', 'canceled', 'voicemail', 'transferred'] as const
export const CALL_STATUSES = [...ACTIVE_STATUSES, ...FINAL_STATUSES] as const

export type ActiveCallStatus = typeof ACTIVE_STATUSES[number]
export type FinalCallStatus = typeof FINAL_STATUSES[number]
export type CallStatus = typeof CALL_STATUSES[number]

/** Who ended the call: us (API, agent, policy), the far end (BYE, final response), or the gateway itself (errors, restart). */
export type HangupSide = 'local' | 'remote' | 'system'

export interface TransferOutcome {
  type: 'blind' | 'attended' | 'conference' | 'sip-refer'
  target: string
  result: 'succeeded' | 'failed' | 'canceled'
  /** SIP status of the transfer attempt (NOTIFY sipfrag or the far leg's final response). */
  sipStatus?: number
}

export interface ToolCall {
  name: string
  /** Milliseconds since the epoch. */
  at: number
  ok: boolean
}

/** RTP receive quality over the call (RFC 3550 A.3 loss, A.8 interarrival jitter, RTCP RTT) and its E-model MOS. */
export interface MediaQuality {
  packetsReceived: number
  packetsSent: number
  packetsLost: number
  /** Lost / expected, percent. */
  lossPercent: number
  jitterMs: number
  /** Round-trip time from RTCP (RFC 3550 §6.4.1 LSR/DLSR); null until the peer's report tells it. */
  rttMs: number | null
  /**
   * ITU-T G.107 (simplified) estimate, 1.0 – 4.5; null when no valid RTP packet arrived (none at all,
   * or none that authenticated under SRTP): with no media there is nothing to score, and loss 0 % of
   * nothing would otherwise read as a perfect 4.4.
   */
  mos: number | null
  /** Negotiated codec (PCMU, PCMA, G722, opus) and SRTP suite (null: plain RTP), when known. */
  codec?: string
  srtp?: string | null
}

export interface CallRecord {
  conversationId: string
  /** X-CALL-ID of an inbound call, or the id the API caller knows an outbound call by (= conversationId when none). */
  callId: string | null
  /** Twilio CallSid when the trunk sent one. */
  callSid: string | null
  /** SIP Call-ID of the trunk leg. */
  sipCallId: string | null
  agentId: string
  direction: CallDirection
  trunk: string | null
  fromNumber: string
  toNumber: string
  status: CallStatus
  /** Epoch milliseconds. */
  createdAt: number
  answeredAt: number | null
  endedAt: number | null
  /** answeredAt → endedAt in ms; 0 for a call never answered. */
  durationMs: number | null
  hangupCause: string | null
  hangupSide: HangupSide | null
  /** Final SIP status that ended the INVITE (486, 487 …) or the BYE side; null when none applies. */
  sipStatus: number | null
  transfer: TransferOutcome | null
  toolsCalled: ToolCall[]
  dtmfReceived: number
  dtmfSent: number
  media: MediaQuality | null
}

/** What is known when a call starts. */
export type NewCallRecord = Pick<CallRecord, 'conversationId' | 'agentId' | 'direction' | 'fromNumber' | 'toNumber'> &
  Partial<Pick<CallRecord, 'callId' | 'callSid' | 'sipCallId' | 'trunk' | 'createdAt'>> & { status?: ActiveCallStatus }

/** Fields a live call may change before it ends. */
export type CallRecordUpdate = Partial<Pick<CallRecord, 'status' | 'sipCallId' | 'answeredAt' | 'callSid' | 'transfer' | 'toolsCalled' | 'dtmfReceived' | 'dtmfSent'>> & {
  status?: ActiveCallStatus
}

/** The end of a call: what ended it, and the counters gathered while it lived. */
export interface CallEnd {
  status: FinalCallStatus
  hangupCause: string
  hangupSide: HangupSide
  sipStatus?: number | null
  endedAt?: number
  transfer?: TransferOutcome | null
  toolsCalled?: ToolCall[]
  dtmfReceived?: number
  dtmfSent?: number
  media?: MediaQuality | null
}

export function isFinalStatus (s: string): s is FinalCallStatus {
  return (FINAL_STATUSES as readonly string[]).includes(s)
}

export function isCallStatus (s: string): s is CallStatus {
  return (CALL_STATUSES as readonly string[]).includes(s)
}
