// Issue 17 item 7: a call with no valid media — no RTP at all, or SRTP of which not one packet
// authenticated — has no MOS, and the record and the metrics say so instead of reporting 4.4
// (0 % loss of nothing). The SRTP case runs a real leg with a peer that uses the wrong key.
import crypto from 'node:crypto'
import t from 'tap'
import { mediaQualityOf } from '../../src/records/media-quality'
import { callRecordToJson } from '../../src/records/record-json'
import type { CallRecord } from '../../src/records/call-record'
import { GatewayMetrics } from '../../src/api/gateway-metrics'
import { MediaEngine } from '../../src/media/media-engine'
import { SrtpSession } from '../../src/media/dsp'
import { tone } from '../media/audio-tools'
import { RtpPeer, waitFor } from '../media/rtp-peer'

function record (media: CallRecord['media']): CallRecord {
  return {
    conversationId: 'conv-1', callId: null, callSid: null, sipCallId: 'sip-1', agentId: 'agent', direction: 'inbound',
    trunk: 'carrier', fromNumber: '+15550100', toNumber: '+15550199', status: 'completed', createdAt: 1_700_000_000_000,
    answeredAt: 1_700_000_001_000, endedAt: 1_700_000_009_000, durationMs: 8000, hangupCause: 'bye', hangupSide: 'remote',
    sipStatus: null, transfer: null, toolsCalled: [], dtmfReceived: 0, dtmfSent: 0, media
  } as CallRecord
}

t.test('no valid packet received: no MOS in the quality, the record or the histogram; counted as a call without media', async t => {
  const q = mediaQualityOf({ packetsReceived: 0, packetsSent: 400, packetsLost: 0, jitterMs: 0, rttMs: 0 })
  t.equal(q.mos, null)
  const json = callRecordToJson(record(q))
  t.equal(json.media_quality?.mos, null)
  t.equal(json.media_quality?.no_media, true)

  const metrics = new GatewayMetrics(() => ({ inbound: 0, outbound: 0 }))
  metrics.callEnded('inbound', 'completed', q)
  const text = (await metrics.text()).body
  t.match(text, /trunkgate_calls_without_media_total\{direction="inbound"\} 1/)
  t.match(text, /trunkgate_call_mos_count 0/, 'no MOS observed')
})

t.test('with media the MOS is still estimated and observed', async t => {
  const q = mediaQualityOf({ packetsReceived: 400, packetsSent: 400, packetsLost: 0, jitterMs: 1, rttMs: 10 })
  t.ok(q.mos !== null && q.mos > 4.3)
  t.equal(callRecordToJson(record(q)).media_quality?.no_media, false)
  const metrics = new GatewayMetrics(() => ({ inbound: 0, outbound: 0 }))
  metrics.callEnded('outbound', 'completed', q)
  const text = (await metrics.text()).body
  t.match(text, /trunkgate_call_mos_count 1/)
  t.notMatch(text, /trunkgate_calls_without_media_total\{/)
})

t.test('SRTP leg whose peer uses the wrong key: every packet fails authentication, and the call has no MOS', async t => {
  const engine = new MediaEngine({ portRange: [27000, 27099], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => engine.close())
  const leg = engine.createLeg({ rtcpMux: true })
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setSrtp({ suite: 'AES_CM_128_HMAC_SHA1_80', localKey: crypto.randomBytes(30), remoteKey: crypto.randomBytes(30).toString('base64') })
  leg.setRemote('127.0.0.1', peer.port, { rtcpMux: true })
  const wrong = new SrtpSession()
  wrong.setOutbound('AES_CM_128_HMAC_SHA1_80', crypto.randomBytes(30))
  peer.sendTo('127.0.0.1', leg.localPort)
  let sent = 0
  peer.stream(i => tone(1000, 20, 8000, 8000, i * 2 * Math.PI * 1000 * 160 / 8000), 'PCMU', pkt => {
    const r = wrong.protectRtp(pkt)
    if (!r.ok) throw new Error(r.error)
    sent++
    return Buffer.from(r.packet)
  })
  await waitFor(() => leg.stats().srtpFailures >= 25, 5000, '25 packets rejected')
  peer.stop()
  const s = leg.stats()
  t.equal(s.packetsReceived, 0, 'nothing authenticated')
  t.ok(sent >= 25)
  const q = mediaQualityOf(s)
  t.equal(q.mos, null, 'no MOS (was 4.4)')
  t.equal(callRecordToJson(record(q)).media_quality?.no_media, true)
})
