// One row of the `calls` table as either store reads it, and the one mapping to a CallRecord. The
// schema is the same in SQLite and PostgreSQL; PostgreSQL's BIGINT times arrive as strings (pg keeps
// 64-bit integers exact), SQLite's as numbers.
import type { CallRecord, CallStatus } from './call-record'

type Int64 = number | string

export interface CallRow {
  conversation_id: string, call_id: string | null, call_sid: string | null, sip_call_id: string | null
  agent_id: string, direction: string, trunk: string | null, from_number: string, to_number: string, status: string
  created_at: Int64, answered_at: Int64 | null, ended_at: Int64 | null, duration_ms: Int64 | null
  hangup_cause: string | null, hangup_side: string | null, sip_status: number | null
  transfer: string | null, tools_called: string, dtmf_received: number, dtmf_sent: number, media: string | null
}

function parseJson<T> (s: string | null, fallback: T): T {
  if (s === null) return fallback
  try { return JSON.parse(s) as T } catch { return fallback }
}

const num = (v: Int64 | null): number | null => v === null ? null : Number(v)

export function recordFromRow (r: CallRow): CallRecord {
  return {
    conversationId: r.conversation_id,
    callId: r.call_id,
    callSid: r.call_sid,
    sipCallId: r.sip_call_id,
    agentId: r.agent_id,
    direction: r.direction as CallRecord['direction'],
    trunk: r.trunk,
    fromNumber: r.from_number,
    toNumber: r.to_number,
    status: r.status as CallStatus,
    createdAt: Number(r.created_at),
    answeredAt: num(r.answered_at),
    endedAt: num(r.ended_at),
    durationMs: num(r.duration_ms),
    hangupCause: r.hangup_cause,
    hangupSide: r.hangup_side as CallRecord['hangupSide'],
    sipStatus: r.sip_status,
    transfer: parseJson(r.transfer, null),
    toolsCalled: parseJson(r.tools_called, []),
    dtmfReceived: r.dtmf_received,
    dtmfSent: r.dtmf_sent,
    media: parseJson(r.media, null)
  }
}
