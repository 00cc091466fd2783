// One log line per call at its end with what an engineer looks for first: numbers, status, duration,
// codec, SRTP, MOS, loss/jitter and the hang-up cause and side — in the record's own vocabulary
// (hangup_side local/remote/system), so log and record never disagree.
import type { Logger } from '../log'
import type { CallRecord } from './call-record'

export function callSummary (rec: CallRecord): { fields: Record<string, unknown>, message: string } {
  const m = rec.media
  const durationSecs = rec.durationMs === null ? null : Math.round(rec.durationMs / 100) / 10
  const fields = {
    callId: rec.sipCallId,
    conversationId: rec.conversationId,
    direction: rec.direction,
    trunk: rec.trunk,
    from: rec.fromNumber,
    to: rec.toNumber,
    status: rec.status,
    sipStatus: rec.sipStatus,
    durationSecs,
    codec: m?.codec ?? null,
    srtp: m ? (m.srtp ?? null) : null,
    mos: m?.mos ?? null,
    lossPercent: m?.lossPercent ?? null,
    jitterMs: m?.jitterMs ?? null,
    rttMs: m?.rttMs ?? null,
    hangupCause: rec.hangupCause,
    hangupSide: rec.hangupSide
  }
  const media = m
    ? `${m.codec ?? 'audio'} ${m.srtp ? `SRTP ${m.srtp}` : 'RTP'}, MOS ${m.mos === null ? "n/a (no media)" : m.mos.toFixed(2)}, loss ${m.lossPercent}%, jitter ${m.jitterMs} ms`
    : 'no media'
  const duration = durationSecs === null ? '' : ` ${durationSecs} s`
  const sip = rec.sipStatus !== null ? ` (SIP ${rec.sipStatus})` : ''
  const message = `call ended: ${rec.fromNumber} -> ${rec.toNumber} ${rec.status}${sip}${duration}, ${media}, ` +
    `hangup ${rec.hangupCause ?? 'unknown'} by ${rec.hangupSide ?? 'unknown'}`
  return { fields, message }
}

export function logCallSummary (log: Logger, rec: CallRecord): void {
  const { fields, message } = callSummary(rec)
  log.info(fields, message)
}
