import t from 'tap'
import { callSummary } from '../../src/records/call-summary'
import { mediaQualityOf } from '../../src/records/media-quality'
import { callRecordToJson } from '../../src/records/record-json'
import type { CallRecord } from '../../src/records/call-record'

const base: CallRecord = {
  conversationId: 'conv-1', callId: 'x', callSid: null, sipCallId: 'abc@10.0.0.1', agentId: 'demo', direction: 'inbound',
  trunk: 'carrier', fromNumber: '+33612345678', toNumber: '+15550100', status: 'completed', createdAt: 1_000, answeredAt: 2_000,
  endedAt: 14_345, durationMs: 12_345, hangupCause: 'bye', hangupSide: 'remote', sipStatus: null, transfer: null,
  toolsCalled: [], dtmfReceived: 0, dtmfSent: 0, media: null
}

t.test('RTCP round trip unknown (the core reports -1): null in the quality and the JSON record, MOS still estimated', async t => {
  const q = mediaQualityOf({ packetsReceived: 600, packetsSent: 600, packetsLost: 0, jitterMs: 1.23, rttMs: -1, codec: 'PCMA', srtp: null })
  t.equal(q.rttMs, null)
  t.ok(q.mos !== null && q.mos > 4 && q.mos <= 4.5, `MOS ${String(q.mos)}`)
  t.equal(mediaQualityOf({ packetsReceived: 1, packetsSent: 1, packetsLost: 0, jitterMs: 0, rttMs: 41.26 }).rttMs, 41.3)
  const json = callRecordToJson({ ...base, media: q })
  t.equal(json.media_quality?.rtt_ms, null)
  t.equal(json.media_quality?.codec, 'PCMA')
  t.equal(json.media_quality?.srtp, null)
})

t.test('one line per call with numbers, status, duration, codec, SRTP, MOS and the hang-up cause and side of the record', async t => {
  const media = mediaQualityOf({ packetsReceived: 600, packetsSent: 600, packetsLost: 6, jitterMs: 2.5, rttMs: 40, codec: 'G722', srtp: 'AES_CM_128_HMAC_SHA1_80' })
  const s = callSummary({ ...base, media })
  t.equal(s.message, `call ended: +33612345678 -> +15550100 completed 12.3 s, G722 SRTP AES_CM_128_HMAC_SHA1_80, MOS ${media.mos?.toFixed(2) ?? ""}, loss 0.99%, jitter 2.5 ms, hangup bye by remote`)
  t.match(s.fields, { callId: 'abc@10.0.0.1', trunk: 'carrier', status: 'completed', durationSecs: 12.3, codec: 'G722', srtp: 'AES_CM_128_HMAC_SHA1_80', mos: media.mos, hangupCause: 'bye', hangupSide: 'remote' })
  const rejected = callSummary({ ...base, status: 'rejected', sipStatus: 503, answeredAt: null, durationMs: null, hangupCause: 'engine_unavailable', hangupSide: 'system' })
  t.equal(rejected.message, 'call ended: +33612345678 -> +15550100 rejected (SIP 503), no media, hangup engine_unavailable by system')
  t.equal(rejected.fields.mos, null, 'unknown values are null')
  t.equal(rejected.fields.srtp, null)
})
