// dtmf_inband: auto follows the negotiation: key tones in the caller's audio are detected while no
// RFC 4733 telephone-event is negotiated, and not while it is — also when a re-INVITE drops or adds it.
// A real media leg and real RTP carrying DTMF tones (PCMU) from an RtpPeer.
import t from 'tap'
import pino from 'pino'
import { CallMedia } from '../../src/call/call-media'
import { inbandDtmfWanted, MediaEngine } from '../../src/media/media-engine'
import type { DtmfEvent } from '../../src/media/leg'
import { parseSdp } from '../../src/sdp'
import { parseMessage } from '../../src/sip/parser/parser'
import type { SipRequest } from '../../src/sip/message/types'
import { dtmfTone8k } from '../e2e/pcap-writer'
import { RtpPeer, waitFor } from '../media/rtp-peer'

const sdp = (port: number, version: number, te: boolean): string => [
  'v=0', `o=peer 1 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  `m=audio ${port} RTP/AVP 0${te ? ' 101' : ''}`, 'a=rtpmap:0 PCMU/8000',
  ...(te ? ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15'] : []), 'a=sendrecv', ''
].join('\r\n')

function reInvite (body: string, cseq: number): SipRequest {
  const text = [
    'INVITE sip:gw@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK-re' + cseq,
    'From: <sip:peer@127.0.0.1>;tag=a', 'To: <sip:gw@127.0.0.1>;tag=b', 'Call-ID: inband-auto', `CSeq: ${cseq} INVITE`,
    'Max-Forwards: 70', 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(body)}`, '', body
  ].join('\r\n')
  return parseMessage(Buffer.from(text)) as SipRequest
}

t.test('auto: in-band detection only while telephone-event is not negotiated, switched by re-INVITEs', async t => {
  const engine = new MediaEngine({ portRange: [28600, 28699], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => engine.close())
  const peer = await RtpPeer.create()
  t.teardown(() => peer.close())
  const media = new CallMedia({
    media: engine,
    policy: { mediaEncryption: 'allowed', allowSdesOverTcp: false, signallingTransport: 'tcp' },
    fallbackAddress: '127.0.0.1',
    rtcpMux: false,
    inbandDtmf: 'auto',
    log: pino({ level: 'silent' })
  })
  t.teardown(() => media.close())
  const heard: DtmfEvent[] = []
  media.leg.on('dtmf', (ev: DtmfEvent) => heard.push(ev))

  media.initialDescription(parseSdp(Buffer.from(sdp(peer.port, 1, true))))
  media.apply()
  t.ok(media.telephoneEvent, 'telephone-event negotiated')
  // The caller keys "5" in the audio every 600 ms: 160 ms of tone, then silence.
  const tone = dtmfTone8k('5', 20)
  const silence = new Int16Array(160)
  peer.sendTo('127.0.0.1', media.leg.localPort)
  peer.stream(i => (i % 30) < 8 ? tone : silence)
  t.teardown(() => peer.stop())

  await new Promise(resolve => setTimeout(resolve, 1500))
  t.same(heard.filter(e => e.source === 'inband'), [], 'with RFC 4733 negotiated: tones in the audio are not reported')

  const answer = media.answerReInvite(reInvite(sdp(peer.port, 2, false), 2))
  t.equal(answer.status, 200)
  t.notOk(media.telephoneEvent, 're-INVITE without telephone-event')
  await waitFor(() => heard.some(e => e.source === 'inband' && e.digit === '5'), 3000, 'an in-band 5 after the re-INVITE')

  const again = media.answerReInvite(reInvite(sdp(peer.port, 3, true), 3))
  t.equal(again.status, 200)
  await new Promise(resolve => setTimeout(resolve, 700))  // a tone already under way may still end
  const before = heard.length
  await new Promise(resolve => setTimeout(resolve, 1500))
  t.equal(heard.length, before, 'telephone-event negotiated again: detection off again')
})

t.test('inbandDtmfWanted: the three trunk modes against the negotiation', async t => {
  t.equal(inbandDtmfWanted('auto', false), true, 'auto, no RFC 4733: detect')
  t.equal(inbandDtmfWanted('auto', true), false, 'auto, RFC 4733: events only')
  t.equal(inbandDtmfWanted('always', true), true)
  t.equal(inbandDtmfWanted('always', false), true)
  t.equal(inbandDtmfWanted('never', false), false)
  t.equal(inbandDtmfWanted('never', true), false)
})
