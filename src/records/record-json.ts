// The wire form of a call record (API responses and the post-call webhook): snake_case, ISO times.
import type { CallRecord } from './call-record'

export interface CallRecordJson {
  conversation_id: string
  call_id: string | null
  call_sid: string | null
  sip_call_id: string | null
  agent_id: string
  direction: string
  trunk: string | null
  from_number: string
  to_number: string
  status: string
  created_at: string
  answered_at: string | null
  ended_at: string | null
  duration_secs: number | null
  hangup_cause: string | null
  hangup_side: string | null
  sip_status: number | null
  transfer: { type: string, target: string, result: string, sip_status?: number } | null
  tools_called: Array<{ name: string, at: string, ok: boolean }>
  dtmf: { received: number, sent: number }
  media_quality: {
    packets_received: number, packets_sent: number, packets_lost: number, loss_percent: number
    jitter_ms: number, rtt_ms: number | null, mos: number | null, codec?: string, srtp?: string | null
    /** True when no valid RTP packet was received: the call had no media, hence no MOS. */
    no_media: boolean
  } | null
}

const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()

export function callRecordToJson (r: CallRecord): CallRecordJson {
  return {
    conversation_id: r.conversationId,
    call_id: r.callId,
    call_sid: r.callSid,
    sip_call_id: r.sipCallId,
    agent_id: r.agentId,
    direction: r.direction,
    trunk: r.trunk,
    from_number: r.fromNumber,
    to_number: r.toNumber,
    status: r.status,
    created_at: new Date(r.createdAt).toISOString(),
    answered_at: iso(r.answeredAt),
    ended_at: iso(r.endedAt),
    duration_secs: r.durationMs === null ? null : Math.round(r.durationMs / 100) / 10,
    hangup_cause: r.hangupCause,
    hangup_side: r.hangupSide,
    sip_status: r.sipStatus,
    transfer: r.transfer
      ? { type: r.transfer.type, target: r.transfer.target, result: r.transfer.result, ...(r.transfer.sipStatus !== undefined ? { sip_status: r.transfer.sipStatus } : {}) }
      : null,
    tools_called: r.toolsCalled.map(t => ({ name: t.name, at: new Date(t.at).toISOString(), ok: t.ok })),
    dtmf: { received: r.dtmfReceived, sent: r.dtmfSent },
    media_quality: r.media
      ? {
          packets_received: r.media.packetsReceived,
          packets_sent: r.media.packetsSent,
          packets_lost: r.media.packetsLost,
          loss_percent: r.media.lossPercent,
          jitter_ms: r.media.jitterMs,
          rtt_ms: r.media.rttMs ?? null,
          mos: r.media.mos,
          no_media: r.media.packetsReceived === 0,
          ...(r.media.codec !== undefined ? { codec: r.media.codec } : {}),
          ...(r.media.srtp !== undefined ? { srtp: r.media.srtp } : {})
        }
      : null
  }
}
