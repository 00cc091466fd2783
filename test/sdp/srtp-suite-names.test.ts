// SDES suites beyond the RFC 4568 pair: RFC 7714 AEAD_AES_*_GCM and RFC 6188 AES_256_CM_HMAC_SHA1_*
// are answered when the peer offers them and the native core reports them (OpenSSL: always), and
// suite names match case-insensitively (RFC 4568 §9.2 ABNF: quoted literals are case-insensitive).
import t from 'tap'
import pino from 'pino'
import { parseSdp } from '../../src/sdp/sdp-parser'
import { answerOffer, createOffer, acceptAnswer, usableSuites, type MediaPolicy } from '../../src/sdp/negotiate'
import { srtpSuiteOf } from '../../src/sdp/srtp-suites'
import { supportedSrtpSuites } from '../../src/media/dsp'

const silent = pino({ level: 'silent' })
const LOCAL = { address: '198.51.100.7', port: 30000 }
const ORIGIN = { username: 'trunkgate', sessionId: '42', sessionVersion: 42n }
const policy = (p: Partial<MediaPolicy> = {}): MediaPolicy =>
  ({ mediaEncryption: 'required', allowSdesOverTcp: false, signallingTransport: 'tls', supportedSuites: supportedSrtpSuites(), ...p })

function offer (cryptoLines: string[]): string {
  return ['v=0', 'o=peer 7 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 40000 RTP/SAVP 0 101',
    'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', ...cryptoLines, ''].join('\r\n')
}
const key = (n: number): string => Buffer.alloc(n, 5).toString('base64')

t.test('the native core reports the GCM and AES-256-CM suites, so SDP can use them', async t => {
  const suites = supportedSrtpSuites()
  for (const s of ['AEAD_AES_128_GCM', 'AEAD_AES_256_GCM', 'AES_256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_80']) {
    t.ok(suites.includes(s as never), s)
  }
  t.same(usableSuites(policy()), ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32',
    'AES_256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32'], 'offer order: AEAD first, AES-256-CM last')
})

t.test('an offered GCM suite is answered (RFC 7714 §12: 28 or 44 octets of key||salt)', async t => {
  const r = answerOffer(parseSdp(offer([`a=crypto:1 AEAD_AES_128_GCM inline:${key(28)}`, `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${key(30)}`])),
    policy(), LOCAL, { origin: ORIGIN, log: silent })
  t.equal(r.media.srtp?.suite, 'AEAD_AES_128_GCM', 'the offerer\'s first usable line wins (RFC 4568 §7.1.2)')
  t.equal(r.media.srtp?.localKeySalt.length, 28)
  t.match(r.sdp, /a=crypto:1 AEAD_AES_128_GCM inline:/)
})

t.test('suite names are matched case-insensitively; the answer uses the canonical name', async t => {
  const r = answerOffer(parseSdp(offer([`a=crypto:3 aes_256_cm_hmac_sha1_80 inline:${key(46)}`])), policy(), LOCAL, { origin: ORIGIN, log: silent })
  t.equal(r.media.srtp?.suite, 'AES_256_CM_HMAC_SHA1_80')
  t.equal(r.media.srtp?.tag, 3)
  t.equal(r.media.srtp?.remoteKeySalt.length, 46, 'RFC 6188: 32-octet key + 14-octet salt')
  t.equal(srtpSuiteOf('Aead_Aes_256_Gcm'), 'AEAD_AES_256_GCM')
  t.equal(srtpSuiteOf('F8_128_HMAC_SHA1_80'), null)
})

t.test('our GCM offer is accepted from an answer that spells the suite in lower case', async t => {
  const o = createOffer(policy(), LOCAL, { origin: ORIGIN })
  const offered = parseSdp(o.sdp).media[0].crypto
  t.equal(offered[0].suite, 'AEAD_AES_256_GCM')
  const answer = ['v=0', 'o=peer 7 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 40000 RTP/SAVP 0',
    'a=rtpmap:0 PCMU/8000', `a=crypto:${offered[0].tag} aead_aes_256_gcm inline:${key(44)}`, ''].join('\r\n')
  const n = acceptAnswer(o.pending, parseSdp(answer))
  t.equal(n.srtp?.suite, 'AEAD_AES_256_GCM')
  t.equal(n.srtp?.remoteKeySalt.length, 44)
})
