import t from 'tap'
import pino from 'pino'
import { parseSdp } from '../../src/sdp/sdp-parser'
import { SdpSession } from '../../src/sdp/sdp-session'
import { SipError } from '../../src/sip/sip-error'

const silent = pino({ level: 'silent' })
const KEY_A = Buffer.alloc(30, 1).toString('base64')
const KEY_B = Buffer.alloc(30, 2).toString('base64')

function offer (version: number, o: { dir?: string; key?: string; formats?: string; proto?: string } = {}): ReturnType<typeof parseSdp> {
  const proto = o.proto ?? 'RTP/SAVP'
  return parseSdp(['v=0', `o=peer 77 ${version} IN IP4 192.0.2.10`, 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
    `m=audio 40000 ${proto} ${o.formats ?? '0 8 101'}`, 'a=rtpmap:101 telephone-event/8000',
    ...(proto === 'RTP/SAVP' ? [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${o.key ?? KEY_A}`] : []),
    `a=${o.dir ?? 'sendrecv'}`, ''].join('\r\n'))
}

function session (): SdpSession {
  return new SdpSession({ mediaEncryption: 'allowed', allowSdesOverTcp: false, signallingTransport: 'tls' },
    { address: '198.51.100.7', port: 30000 }, { sessionId: '1000', log: silent })
}

t.test('re-INVITE: o= version grows only when our description changes (RFC 3264 §8)', async t => {
  const s = session()
  const a1 = s.answer(offer(1))
  t.equal(parseSdp(a1.sdp).origin.sessionVersion, 1000n, 'initial version')
  t.equal(parseSdp(a1.sdp).origin.sessionId, '1000')
  const key1 = a1.media.srtp?.localKeySalt.toString('hex')

  const again = s.answer(offer(1))
  t.equal(again.sdp, a1.sdp, 'same offer version (session refresh) → byte-identical answer')

  const hold = s.answer(offer(2, { dir: 'sendonly' }))
  t.equal(hold.media.direction, 'recvonly', 'hold: sendonly → recvonly')
  t.equal(parseSdp(hold.sdp).origin.sessionVersion, 1001n, 'changed answer → version + 1')
  t.equal(hold.media.srtp?.localKeySalt.toString('hex'), key1, 'peer kept its key → we keep ours')

  const refresh = s.answer(offer(3, { dir: 'sendonly' }))
  t.equal(parseSdp(refresh.sdp).origin.sessionVersion, 1001n, 'new offer version but same answer content → version unchanged')

  const inactive = s.answer(offer(4, { dir: 'inactive' }))
  t.equal(inactive.media.direction, 'inactive')
  t.equal(parseSdp(inactive.sdp).origin.sessionVersion, 1002n)

  const resume = s.answer(offer(5))
  t.equal(resume.media.direction, 'sendrecv', 'unhold')
  t.equal(parseSdp(resume.sdp).origin.sessionVersion, 1003n)

  const codec = s.answer(offer(6, { formats: '8 101' }))
  t.equal(codec.media.codec.name, 'PCMA', 'codec change')
  t.equal(parseSdp(codec.sdp).origin.sessionVersion, 1004n)
  t.equal(codec.media.srtp?.localKeySalt.toString('hex'), key1)

  const rekey = s.answer(offer(7, { formats: '8 101', key: KEY_B }))
  t.same(rekey.media.srtp?.remoteKeySalt, Buffer.from(KEY_B, 'base64'), 'new peer key')
  t.not(rekey.media.srtp?.localKeySalt.toString('hex'), key1, 'peer rekeyed → fresh key of ours')
  t.equal(parseSdp(rekey.sdp).origin.sessionVersion, 1005n)
  t.equal(s.negotiated, rekey.media)
})

t.test('a rejected re-offer leaves the session as it was', async t => {
  const s = session()
  const a1 = s.answer(offer(1))
  try {
    s.answer(offer(2, { formats: '18' }))
    t.fail('expected 488')
  } catch (err) {
    t.equal((err as SipError).status, 488)
  }
  t.equal(s.negotiated, a1.media)
  t.equal(s.sessionVersion, 1000n)
})

t.test('local hold and outbound offers share the version counter', async t => {
  const s = session()
  const o1 = s.offer()
  t.equal(parseSdp(o1.sdp).origin.sessionVersion, 1000n)
  const peer = new SdpSession({ mediaEncryption: 'allowed', allowSdesOverTcp: false, signallingTransport: 'tls' },
    { address: '203.0.113.9', port: 50000 }, { sessionId: '5', log: silent })
  const ans = peer.answer(parseSdp(o1.sdp))
  const media = s.acceptAnswer(parseSdp(ans.sdp))
  t.equal(media.codec.name, 'G722')
  t.equal(media.direction, 'sendrecv')
  const hold = s.offer('sendonly')
  t.equal(parseSdp(hold.sdp).media[0].direction, 'sendonly')
  t.equal(parseSdp(hold.sdp).origin.sessionVersion, 1001n)
  const peerHold = peer.answer(parseSdp(hold.sdp))
  t.equal(peerHold.media.direction, 'recvonly')
  t.equal(s.acceptAnswer(parseSdp(peerHold.sdp)).direction, 'sendonly')
  t.throws(() => s.acceptAnswer(parseSdp(peerHold.sdp)), /without an outstanding offer/)
  const held = s.answer(offer(1, { proto: 'RTP/AVP' }), { localHold: true })
  t.equal(held.media.direction, 'sendonly', 'peer re-offers while we hold it: we stay on hold')
})

t.test('re-offer (hold, offerless re-INVITE) in an SRTP dialog under `allowed` stays SRTP and keeps our key', async t => {
  const s = session()
  const a1 = s.answer(offer(1))
  t.ok(a1.media.srtp, 'SRTP negotiated')
  const hold = s.offer('sendonly')
  const sd = parseSdp(hold.sdp)
  t.equal(sd.media[0].proto, 'RTP/SAVP', 're-offer keeps RTP/SAVP')
  const same = sd.media[0].crypto.find(c => c.suite === 'AES_CM_128_HMAC_SHA1_80')
  t.same(same?.keyParams[0].keySalt, a1.media.srtp?.localKeySalt, 'same key for the same suite')
  t.equal(sd.origin.sessionVersion, 1001n)
  const plain = session()
  plain.answer(offer(1, { proto: 'RTP/AVP' }))
  t.equal(parseSdp(plain.offer('sendonly').sdp).media[0].proto, 'RTP/AVP', 'an RTP dialog re-offers RTP')
})
