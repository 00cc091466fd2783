// What is kept of each call once it ends (issue 4: every outcome, including engine failures,
// leaves a record): identity, timing, how it ended, and what happened on the way.

import type { TransferRecord } from '../transfer/transfer-service'

// transferred: the caller ended up with a human (REFER or conference transfer), see `transfer`.
export type CallOutcome = 'completed' | 'rejected' | 'canceled' | 'failed' | 'transferred'

export interface CallRecord {
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
  outcome: CallOutcome | null
  /** Who ended it: caller, gateway or engine. */
  endedBy: 'caller' | 'gateway' | 'engine' | null
  cause: string | null
  /** Final SIP status for a call that was never answered. */
  sipStatus: number | null
  voicemail: { reason: string } | null
  tools: Array<{ name: string; ok: boolean; error?: string; atMs: number }>
  dtmfReceived: number
  /** Keys sent towards the caller (send_dtmf tool, control API). */
  dtmfSent: number
  /**
   * The leg's RTP statistics read just before it closed (RFC 3550 A.3 loss, A.8 jitter, RTCP RTT) with the
   * negotiated ptime; null when the call never had negotiated media.
   */
  media: CallMediaStats | null
  personalization: { usedDefaults: boolean; webhook: 'none' | 'ok' | 'failed'; webhookMs?: number }
  /** The last transfer attempt (transfer_to_number or the trunk's REFER), null when none. */
  transfer?: TransferRecord | null
}

export interface CallMediaStats {
  packetsReceived: number
  packetsSent: number
  packetsLost: number
  jitterMs: number
  rttMs: number
  ptimeMs: number
  /** Negotiated codec name and SRTP suite (null: plain RTP). */
  codec?: string
  srtp?: string | null
}

/** A fresh record for a call that has just been routed. */
export function newCallRecord (init: {
  conversationId: string
  sipCallId: string
  identity: { call_id: string; call_sid: string | null; caller_id: string }
  agentId: string
  trunk: string
  calledNumber: string
}): CallRecord {
  return {
    conversationId: init.conversationId,
    sipCallId: init.sipCallId,
    callId: init.identity.call_id,
    callSid: init.identity.call_sid,
    agentId: init.agentId,
    trunk: init.trunk,
    callerId: init.identity.caller_id,
    calledNumber: init.calledNumber,
    startedAtMs: Date.now(),
    answeredAtMs: null,
    endedAtMs: null,
    outcome: null,
    endedBy: null,
    cause: null,
    sipStatus: null,
    voicemail: null,
    tools: [],
    dtmfReceived: 0,
    dtmfSent: 0,
    media: null,
    personalization: { usedDefaults: true, webhook: 'none' }
  }
}
