// Opus offer/answer (RFC 7587) and the codec list coming from the native registry: opus/48000/2 only,
// fmtp both ways (useinbandfec, maxplaybackrate, stereo=0, sprop-stereo), a dynamic payload type taken from
// the offer, telephone-event at 48000 beside it (RFC 4733 §7.1.1), and ptimes the codec allows.
import t from 'tap'
import { parseSdp } from '../../src/sdp/sdp-parser'
import { acceptAnswer, answerOffer, createOffer, type MediaPolicy } from '../../src/sdp/negotiate'
import { sdpCodec, supportedCodecNames } from '../../src/sdp/codecs'
import { codecRegistry } from '../../src/media/codec-registry'

const LOCAL = { address: '198.51.100.7', port: 30000 }
const ORIGIN = { username: 'trunkgate', sessionId: '42', sessionVersion: 42n }
const POLICY: MediaPolicy = { mediaEncryption: 'allowed', allowSdesOverTcp: false, signallingTransport: 'tls', codecs: ['opus', 'G722', 'PCMU'] }

function offer (lines: string[], formats: string): ReturnType<typeof parseSdp> {
  return parseSdp(Buffer.from(['v=0', 'o=peer 7 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
    `m=audio 40000 RTP/AVP ${formats}`, ...lines, ''].join('\r\n')))
}

t.test('the SDP codec list is the native registry', async t => {
  const native = codecRegistry().filter(c => c.isAudio).map(c => c.name)
  t.same(supportedCodecNames(), native)
  t.same(native, ['PCMU', 'PCMA', 'G722', 'opus'])
  t.match(sdpCodec('OPUS'), { name: 'opus', staticPayloadType: null, offerPayloadType: 111, rtpClock: 48000, channels: 2, ptimes: [10, 20, 40, 60] })
  t.match(sdpCodec('g722'), { name: 'G722', staticPayloadType: 9, rtpClock: 8000, sampleRate: 16000 })
  t.equal(sdpCodec('telephone-event'), undefined, 'not an audio codec')
})

t.test('answering an Opus offer: its dynamic PT, our fmtp, the peer\'s fmtp steering our encoder', async t => {
  const o = offer(['a=rtpmap:96 opus/48000/2', 'a=fmtp:96 useinbandfec=1;maxplaybackrate=24000;stereo=1', 'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:97 telephone-event/48000', 'a=fmtp:97 0-15', 'a=rtpmap:101 telephone-event/8000', 'a=ptime:30'], '96 0 97 101')
  const r = answerOffer(o, POLICY, LOCAL, { origin: ORIGIN })
  t.equal(r.media.codec.name, 'opus')
  t.equal(r.media.payloadType, 96, 'the offer\'s dynamic PT')
  t.same(r.media.telephoneEvent, { payloadType: 97, clockRate: 48000 }, 'telephone-event at the Opus clock')
  t.same(r.media.encoder, { inbandFec: true, maxPlaybackRate: 24000 })
  t.equal(r.media.ptime, 20, 'a=ptime:30 is not an Opus packetisation we send: the largest allowed below it')
  t.match(r.sdp, /m=audio 30000 RTP\/AVP 96 97\r\n/)
  t.match(r.sdp, /a=rtpmap:96 opus\/48000\/2\r\n/)
  t.match(r.sdp, /a=fmtp:96 minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0;maxplaybackrate=16000;sprop-maxcapturerate=16000\r\n/)
  t.match(r.sdp, /a=rtpmap:97 telephone-event\/48000\r\n/)
})

t.test('opus with one channel or another clock is not RFC 7587 Opus; a trunk without opus answers G.711', async t => {
  const bad = offer(['a=rtpmap:96 opus/48000/1', 'a=rtpmap:98 opus/16000/2', 'a=rtpmap:0 PCMU/8000'], '96 98 0')
  t.equal(answerOffer(bad, POLICY, LOCAL, { origin: ORIGIN }).media.codec.name, 'PCMU')
  const good = offer(['a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000'], '111 0')
  t.equal(answerOffer(good, { ...POLICY, codecs: undefined }, LOCAL, { origin: ORIGIN }).media.codec.name, 'PCMU', 'default preference has no opus')
  const r = answerOffer(good, POLICY, LOCAL, { origin: ORIGIN })
  t.same(r.media.encoder, { inbandFec: false }, 'no fmtp: no FEC asked for')
})

t.test('offering Opus: dynamic PT 111 with fmtp, telephone-event at 8000 and 48000; the answer is read back', async t => {
  const off = createOffer(POLICY, LOCAL, { origin: ORIGIN })
  t.match(off.sdp, /m=audio 30000 RTP\/AVP 111 9 0 101 102\r\n/)
  t.match(off.sdp, /a=rtpmap:111 opus\/48000\/2\r\na=rtpmap:9 G722\/8000\r\na=rtpmap:0 PCMU\/8000\r\n/)
  t.match(off.sdp, /a=fmtp:111 minptime=10;useinbandfec=1/)
  t.match(off.sdp, /a=rtpmap:101 telephone-event\/8000\r\na=rtpmap:102 telephone-event\/48000\r\n/)
  const ans = parseSdp(Buffer.from(['v=0', 'o=peer 7 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
    'm=audio 40000 RTP/AVP 111 102', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 useinbandfec=1', 'a=rtpmap:102 telephone-event/48000', 'a=ptime:60', ''].join('\r\n')))
  const n = acceptAnswer(off.pending, ans)
  t.equal(n.codec.name, 'opus')
  t.equal(n.payloadType, 111)
  t.same(n.telephoneEvent, { payloadType: 102, clockRate: 48000 })
  t.equal(n.ptime, 60)
  t.same(n.encoder, { inbandFec: true })
})
