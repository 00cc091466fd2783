// Issue 17 item 4: RFC 4568 §9.2 writes the SDES crypto suites (and FEC_ORDER's values) as ABNF
// literal strings, which RFC 5234 §2.3 makes case-insensitive. An offer naming
// "AeS_Cm_128_HmAC_shA1_80" is the 80-bit AES-CM suite, not an unknown one (it got 488).
import t from 'tap'
import pino from 'pino'
import { parseSdp } from '../../src/sdp/sdp-parser'
import { acceptAnswer, answerOffer, createOffer, type MediaPolicy } from '../../src/sdp/negotiate'
import { srtpSuiteOf } from '../../src/sdp/srtp-suites'

const silent = pino({ level: 'silent' })
const LOCAL = { address: '198.51.100.7', port: 30000 }
const ORIGIN = { username: 'trunkgate', sessionId: '42', sessionVersion: 42n }
const KEY30 = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR'
const POLICY: MediaPolicy = { mediaEncryption: 'required', allowSdesOverTcp: false, signallingTransport: 'tls' }

function savpOffer (cryptoLines: string[]): string {
  return ['v=0', 'o=peer 7 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
    'm=audio 40000 RTP/SAVP 0', 'a=rtpmap:0 PCMU/8000', ...cryptoLines, ''].join('\r\n')
}

t.test('suite names match in any case', async t => {
  t.equal(srtpSuiteOf('AeS_Cm_128_HmAC_shA1_80'), 'AES_CM_128_HMAC_SHA1_80')
  t.equal(srtpSuiteOf('aead_aes_256_gcm'), 'AEAD_AES_256_GCM')
  t.equal(srtpSuiteOf('F8_128_HMAC_SHA1_80'), null, 'an unknown suite stays unknown')
  t.equal(srtpSuiteOf('AES_CM_128_HMAC_SHA1_8'), null, 'no prefix match')
})

t.test('an offer with a mixed-case suite is answered, with the canonical suite name', async t => {
  const r = answerOffer(parseSdp(savpOffer([`a=crypto:1 AeS_Cm_128_HmAC_shA1_80 inline:${KEY30}`])), POLICY, LOCAL, { origin: ORIGIN, log: silent })
  t.equal(r.media.srtp?.suite, 'AES_CM_128_HMAC_SHA1_80')
  t.match(r.sdp, /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/)
})

t.test('the FEC_ORDER session parameter is a literal too', async t => {
  const r = answerOffer(parseSdp(savpOffer([`a=crypto:3 aes_cm_128_hmac_sha1_32 inline:${KEY30} fec_order=fec_srtp`])), POLICY, LOCAL, { origin: ORIGIN, log: silent })
  t.equal(r.media.srtp?.tag, 3)
  t.equal(r.media.srtp?.suite, 'AES_CM_128_HMAC_SHA1_32')
})

t.test('an answer to our offer may spell the suite in another case', async t => {
  const o = createOffer(POLICY, LOCAL, { origin: ORIGIN })
  const answer = ['v=0', 'o=p 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 4000 RTP/SAVP 0',
    `a=crypto:1 aes_cm_128_hmac_sha1_80 inline:${KEY30}`, ''].join('\r\n')
  t.equal(acceptAnswer(o.pending, parseSdp(answer)).srtp?.suite, 'AES_CM_128_HMAC_SHA1_80')
})
