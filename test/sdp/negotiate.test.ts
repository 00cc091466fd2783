import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import pino from 'pino'
import { parseSdp } from '../../src/sdp/sdp-parser'
import { answerOffer, createOffer, acceptAnswer, type MediaPolicy, type MediaEncryptionMode } from '../../src/sdp/negotiate'
import { SipError } from '../../src/sip/sip-error'

const silent = pino({ level: 'silent' })
const LOCAL = { address: '198.51.100.7', port: 30000 }
const ORIGIN = { username: 'trunkgate', sessionId: '42', sessionVersion: 42n }
const ALL_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM']
const KEY30 = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR' // 30 bytes: AES-CM key||salt (RFC 4568 §4)
const KEY28 = Buffer.alloc(28, 7).toString('base64')
const KEY44 = Buffer.alloc(44, 9).toString('base64')
const KEY_FOR: Record<string, string> = {
  AES_CM_128_HMAC_SHA1_80: KEY30, AES_CM_128_HMAC_SHA1_32: KEY30, AEAD_AES_128_GCM: KEY28, AEAD_AES_256_GCM: KEY44, F8_128_HMAC_SHA1_80: KEY30
}

function offer (o: { proto?: string; suites?: string[]; formats?: string; rtpmaps?: string[]; extra?: string[]; conn?: string; version?: number } = {}): string {
  const formats = o.formats ?? '9 0 8 101'
  const rtpmaps = o.rtpmaps ?? ['a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16']
  const crypto = (o.suites ?? []).map((s, i) => `a=crypto:${i + 1} ${s} inline:${KEY_FOR[s]}|2^31`)
  return ['v=0', `o=peer 7 ${o.version ?? 1} IN IP4 192.0.2.10`, 's=-', `c=IN IP4 ${o.conn ?? '192.0.2.10'}`, 't=0 0',
    `m=audio 40000 ${o.proto ?? 'RTP/AVP'} ${formats}`, ...rtpmaps, ...crypto, ...(o.extra ?? []), ''].join('\r\n')
}

function policy (mode: MediaEncryptionMode, p: Partial<MediaPolicy> = {}): MediaPolicy {
  return { mediaEncryption: mode, allowSdesOverTcp: false, signallingTransport: 'tls', ...p }
}

function expect488 (t: Test, fn: () => unknown, code: string, warn?: RegExp): void {
  try {
    fn()
    t.fail(`expected 488 ${code}`)
  } catch (err) {
    t.ok(err instanceof SipError, 'SipError')
    const e = err as SipError
    t.equal(e.status, 488, '488 Not Acceptable Here')
    t.equal(e.code, code)
    if (warn) {
      const w = e.headers.find(h => h.name === 'Warning')
      t.ok(w, 'has a Warning header')
      t.match(w?.value ?? '', warn)
    }
  }
}

t.test('media encryption mode × offer kind', async t => {
  type Expect = { proto: string; suite?: string } | { error: string; warn?: RegExp }
  const SRTP_REQ = /^399 198\.51\.100\.7 "SRTP \(RTP\/SAVP with a=crypto\) required by this trunk"$/
  const rows: Array<{ name: string; offer: string; transport?: 'tcp' | 'tls'; allowTcp?: boolean; suites?: string[]; expect: Record<MediaEncryptionMode, Expect> }> = [
    { name: 'RTP/AVP', offer: offer(), expect: { disabled: { proto: 'RTP/AVP' }, allowed: { proto: 'RTP/AVP' }, required: { error: 'SIP_ERR_SRTP_REQUIRED', warn: SRTP_REQ } } },
    { name: 'RTP/AVPF', offer: offer({ proto: 'RTP/AVPF' }), expect: { disabled: { proto: 'RTP/AVPF' }, allowed: { proto: 'RTP/AVPF' }, required: { error: 'SIP_ERR_SRTP_REQUIRED', warn: /^399 / } } },
    { name: 'RTP/AVP with best-effort a=crypto', offer: offer({ suites: ['AES_CM_128_HMAC_SHA1_80'] }), expect: { disabled: { proto: 'RTP/AVP' }, allowed: { proto: 'RTP/AVP' }, required: { error: 'SIP_ERR_SRTP_REQUIRED' } } },
    ...ALL_SUITES.map(s => ({
      name: `RTP/SAVP ${s} over TLS, native core has all suites`, offer: offer({ proto: 'RTP/SAVP', suites: [s] }), suites: ALL_SUITES,
      expect: { disabled: { error: 'SIP_ERR_SRTP_DISABLED', warn: /^399 198\.51\.100\.7 "/ }, allowed: { proto: 'RTP/SAVP', suite: s }, required: { proto: 'RTP/SAVP', suite: s } }
    })),
    ...['AEAD_AES_128_GCM', 'AEAD_AES_256_GCM'].map(s => ({
      name: `RTP/SAVP ${s} when the native core reports no GCM`, offer: offer({ proto: 'RTP/SAVP', suites: [s] }),
      expect: { disabled: { error: 'SIP_ERR_SRTP_DISABLED' }, allowed: { error: 'SIP_ERR_SRTP_NO_SUITE', warn: /^399 / }, required: { error: 'SIP_ERR_SRTP_NO_SUITE' } }
    })),
    { name: 'RTP/SAVPF AES_CM_128_HMAC_SHA1_32', offer: offer({ proto: 'RTP/SAVPF', suites: ['AES_CM_128_HMAC_SHA1_32'] }), expect: { disabled: { error: 'SIP_ERR_SRTP_DISABLED' }, allowed: { proto: 'RTP/SAVPF', suite: 'AES_CM_128_HMAC_SHA1_32' }, required: { proto: 'RTP/SAVPF', suite: 'AES_CM_128_HMAC_SHA1_32' } } },
    { name: 'RTP/SAVP with an unknown suite only', offer: offer({ proto: 'RTP/SAVP', suites: ['F8_128_HMAC_SHA1_80'] }), suites: ALL_SUITES, expect: { disabled: { error: 'SIP_ERR_SRTP_DISABLED' }, allowed: { error: 'SIP_ERR_SRTP_NO_SUITE' }, required: { error: 'SIP_ERR_SRTP_NO_SUITE' } } },
    { name: 'RTP/SAVP without a=crypto', offer: offer({ proto: 'RTP/SAVP' }), expect: { disabled: { error: 'SIP_ERR_SRTP_DISABLED' }, allowed: { error: 'SIP_ERR_SRTP_NO_SUITE' }, required: { error: 'SIP_ERR_SRTP_NO_SUITE' } } },
    { name: 'RTP/SAVP over TCP', offer: offer({ proto: 'RTP/SAVP', suites: ['AES_CM_128_HMAC_SHA1_80'] }), transport: 'tcp', expect: { disabled: { error: 'SIP_ERR_SRTP_DISABLED' }, allowed: { error: 'SIP_ERR_SDES_OVER_TCP', warn: /^399 198\.51\.100\.7 "SDES requires TLS/ }, required: { error: 'SIP_ERR_SDES_OVER_TCP', warn: /^399 / } } },
    { name: 'RTP/SAVP over TCP with allowSdesOverTcp', offer: offer({ proto: 'RTP/SAVP', suites: ['AES_CM_128_HMAC_SHA1_80'] }), transport: 'tcp', allowTcp: true, expect: { disabled: { error: 'SIP_ERR_SRTP_DISABLED' }, allowed: { proto: 'RTP/SAVP', suite: 'AES_CM_128_HMAC_SHA1_80' }, required: { proto: 'RTP/SAVP', suite: 'AES_CM_128_HMAC_SHA1_80' } } },
    { name: 'RTP/AVP over TCP', offer: offer(), transport: 'tcp', expect: { disabled: { proto: 'RTP/AVP' }, allowed: { proto: 'RTP/AVP' }, required: { error: 'SIP_ERR_SRTP_REQUIRED' } } },
    { name: 'no common codec (G729 only)', offer: offer({ formats: '18', rtpmaps: ['a=rtpmap:18 G729/8000'] }), expect: { disabled: { error: 'SIP_ERR_SDP_NO_COMMON_CODEC', warn: /^305 198\.51\.100\.7 "Incompatible media format/ }, allowed: { error: 'SIP_ERR_SDP_NO_COMMON_CODEC' }, required: { error: 'SIP_ERR_SRTP_REQUIRED' } } },
    { name: 'no common codec over SRTP', offer: offer({ proto: 'RTP/SAVP', suites: ['AES_CM_128_HMAC_SHA1_80'], formats: '18', rtpmaps: [] }), expect: { disabled: { error: 'SIP_ERR_SRTP_DISABLED' }, allowed: { error: 'SIP_ERR_SDP_NO_COMMON_CODEC' }, required: { error: 'SIP_ERR_SDP_NO_COMMON_CODEC' } } },
    { name: 'DTLS-SRTP transport', offer: offer({ proto: 'UDP/TLS/RTP/SAVP' }), expect: { disabled: { error: 'SIP_ERR_SDP_UNSUPPORTED_PROTO', warn: /^302 / }, allowed: { error: 'SIP_ERR_SDP_UNSUPPORTED_PROTO' }, required: { error: 'SIP_ERR_SDP_UNSUPPORTED_PROTO' } } }
  ]
  for (const row of rows) {
    for (const mode of ['disabled', 'allowed', 'required'] as const) {
      const want = row.expect[mode]
      const p = policy(mode, { signallingTransport: row.transport ?? 'tls', allowSdesOverTcp: row.allowTcp ?? false, supportedSuites: row.suites })
      const parsed = parseSdp(row.offer)
      await t.test(`${row.name} / ${mode}`, async t => {
        if ('error' in want) {
          expect488(t, () => answerOffer(parsed, p, LOCAL, { origin: ORIGIN, log: silent }), want.error, want.warn)
          return
        }
        const r = answerOffer(parsed, p, LOCAL, { origin: ORIGIN, log: silent })
        const back = parseSdp(r.sdp)
        t.equal(back.media[0].proto, want.proto, 'answer transport')
        t.equal(r.media.proto, want.proto)
        if (want.suite) {
          t.equal(r.media.srtp?.suite, want.suite, 'suite')
          t.equal(back.media[0].crypto.length, 1, 'one a=crypto in the answer')
          const c = back.media[0].crypto[0]
          t.equal(c.suite, want.suite)
          t.equal(c.tag, 1, 'answer echoes the offered tag')
          t.same(c.keyParams[0].keySalt, r.media.srtp?.localKeySalt, 'answer carries our key')
          t.same(r.media.srtp?.remoteKeySalt, Buffer.from(KEY_FOR[want.suite], 'base64'), 'peer key for the inbound direction')
          t.not(c.keyParams[0].keySalt.toString('hex'), r.media.srtp?.remoteKeySalt.toString('hex'), 'our key is not the peer key')
        } else {
          t.equal(r.media.srtp, null, 'no SRTP')
          t.equal(back.media[0].crypto.length, 0, 'no a=crypto in an RTP answer')
        }
      })
    }
  }
})

t.test('answer parameters', async t => {
  const p = policy('allowed')
  const r = answerOffer(parseSdp(offer({ extra: ['a=ptime:30', 'a=rtcp-mux'] })), p, LOCAL, { origin: ORIGIN, log: silent })
  t.equal(r.media.codec.name, 'G722', 'G722 preferred by default')
  t.equal(r.media.payloadType, 9)
  t.same(r.media.telephoneEvent, { payloadType: 101, clockRate: 8000 })
  t.equal(r.media.ptime, 30, 'offered ptime kept')
  t.equal(r.media.rtcpMux, true)
  t.same(r.media.remote, { address: '192.0.2.10', port: 40000, rtcpAddress: '192.0.2.10', rtcpPort: 40000 }, 'rtcp-mux: RTCP on the RTP port')
  const a = parseSdp(r.sdp)
  t.same(a.media[0].formats, ['9', '101'])
  t.same(a.media[0].rtpmaps, [{ payloadType: 9, encodingName: 'G722', clockRate: 8000 }, { payloadType: 101, encodingName: 'telephone-event', clockRate: 8000 }])
  t.same(a.media[0].fmtps, [{ format: '101', parameters: '0-15' }])
  t.equal(a.media[0].rtcpMux, true, 'rtcp-mux answered when offered (RFC 5761 §5.1.1)')
  t.equal(a.media[0].ptime, 30)
  t.equal(a.media[0].direction, 'sendrecv')
  t.same(a.connection, { netType: 'IN', addrType: 'IP4', address: '198.51.100.7' })
  t.equal(a.media[0].port, 30000)
  t.equal(a.origin.sessionVersion, 42n)

  const pcma = answerOffer(parseSdp(offer()), policy('allowed', { codecs: ['PCMA', 'PCMU'], ptime: 20 }), LOCAL, { origin: ORIGIN, log: silent })
  t.equal(pcma.media.codec.name, 'PCMA', 'trunk preference order wins over the offer order')
  t.equal(pcma.media.ptime, 20)
  const noRtcpMux = answerOffer(parseSdp(offer({ extra: ['a=rtcp:40005'] })), p, LOCAL, { origin: ORIGIN, log: silent })
  t.equal(noRtcpMux.media.remote.rtcpPort, 40005, 'RFC 3605 a=rtcp port')
  t.equal(parseSdp(noRtcpMux.sdp).media[0].rtcpMux, false)
  const plain = answerOffer(parseSdp(offer({ extra: [] })), p, LOCAL, { origin: ORIGIN, log: silent })
  t.equal(plain.media.remote.rtcpPort, 40001, 'RTCP on port+1 by default')
  const clamp = answerOffer(parseSdp(offer({ extra: ['a=maxptime:20'] })), policy('allowed', { ptime: 40 }), LOCAL, { origin: ORIGIN, log: silent })
  t.equal(clamp.media.ptime, 20, 'ptime clamped to the peer maxptime')
})

t.test('codec matching: static PT without rtpmap, dynamic G722, telephone-event clock', async t => {
  const p = policy('disabled')
  const stat = answerOffer(parseSdp(offer({ formats: '0 8', rtpmaps: [] })), p, LOCAL, { origin: ORIGIN, log: silent })
  t.equal(stat.media.codec.name, 'PCMU', 'static PT 0 without rtpmap is PCMU')
  t.equal(stat.media.telephoneEvent, null, 'no telephone-event offered')
  t.same(parseSdp(stat.sdp).media[0].formats, ['0'])
  const dyn = answerOffer(parseSdp(offer({ formats: '0 96 97 98', rtpmaps: ['a=rtpmap:96 g722/8000', 'a=rtpmap:97 telephone-event/16000', 'a=rtpmap:98 telephone-event/8000'] })), p, LOCAL, { origin: ORIGIN, log: silent })
  t.equal(dyn.media.codec.name, 'G722', 'dynamic PT, case-insensitive name')
  t.equal(dyn.media.payloadType, 96)
  t.same(dyn.media.telephoneEvent, { payloadType: 98, clockRate: 8000 }, 'telephone-event at the codec clock (8000 for G.722)')
  expect488(t, () => answerOffer(parseSdp(offer({ formats: '96', rtpmaps: ['a=rtpmap:96 G722/16000'] })), p, LOCAL, { origin: ORIGIN, log: silent }), 'SIP_ERR_SDP_NO_COMMON_CODEC')
  expect488(t, () => answerOffer(parseSdp(offer({ formats: '96', rtpmaps: ['a=rtpmap:96 PCMU/8000/2'] })), p, LOCAL, { origin: ORIGIN, log: silent }), 'SIP_ERR_SDP_NO_COMMON_CODEC')
})

t.test('direction: answer mirrors the offer (RFC 3264 §6.1), old-style hold c=0.0.0.0', async t => {
  const cases: Array<[string, string]> = [['sendrecv', 'sendrecv'], ['sendonly', 'recvonly'], ['recvonly', 'sendonly'], ['inactive', 'inactive']]
  for (const [offered, answered] of cases) {
    const r = answerOffer(parseSdp(offer({ extra: [`a=${offered}`] })), policy('allowed'), LOCAL, { origin: ORIGIN, log: silent })
    t.equal(parseSdp(r.sdp).media[0].direction, answered, `${offered} → ${answered}`)
  }
  const old = answerOffer(parseSdp(offer({ conn: '0.0.0.0' })), policy('allowed'), LOCAL, { origin: ORIGIN, log: silent })
  t.equal(old.media.direction, 'recvonly', 'c=0.0.0.0: the peer cannot receive, so we do not send')
  const held = answerOffer(parseSdp(offer()), policy('allowed'), LOCAL, { origin: ORIGIN, log: silent, localHold: true })
  t.equal(held.media.direction, 'sendonly', 'localHold removes our sending')
})

t.test('several m= lines: one audio accepted, the rest rejected with port 0', async t => {
  const text = offer({ proto: 'RTP/SAVP', suites: ['AES_CM_128_HMAC_SHA1_80'], extra: ['m=audio 40002 RTP/AVP 0', 'm=video 40004 RTP/AVP 96', 'a=rtpmap:96 H264/90000'] })
  const r = answerOffer(parseSdp(text), policy('disabled'), LOCAL, { origin: ORIGIN, log: silent })
  const a = parseSdp(r.sdp)
  t.equal(a.media.length, 3, 'same number of m= lines as the offer')
  t.equal(a.media[0].port, 0, 'SAVP line rejected when encryption is disabled')
  t.equal(a.media[0].proto, 'RTP/SAVP')
  t.equal(a.media[1].port, 30000, 'the RTP/AVP alternative is accepted')
  t.equal(r.media.mediaIndex, 1)
  t.same([a.media[2].media, a.media[2].port, a.media[2].formats], ['video', 0, ['96']])
  expect488(t, () => answerOffer(parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n'), policy('allowed'), LOCAL, { origin: ORIGIN, log: silent }), 'SIP_ERR_SDP_NO_AUDIO')
  expect488(t, () => answerOffer(parseSdp(offer({ conn: 'pbx.example.com' })), policy('allowed'), LOCAL, { origin: ORIGIN, log: silent }), 'SIP_ERR_SDP_UNSUPPORTED')
})

t.test('SRTP crypto line selection follows the offerer order and skips unusable lines', async t => {
  const lines = [
    'a=crypto:1 F8_128_HMAC_SHA1_80 inline:' + KEY30,
    'a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:' + KEY30 + '|2^20|1:4',
    'a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:' + KEY28,
    'a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:' + KEY30 + ' UNENCRYPTED_SRTP',
    'a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:' + KEY30 + '|2^31 FEC_ORDER=FEC_SRTP',
    'a=crypto:6 AES_CM_128_HMAC_SHA1_80 inline:' + KEY30
  ]
  const r = answerOffer(parseSdp(offer({ proto: 'RTP/SAVP', extra: lines })), policy('required'), LOCAL, { origin: ORIGIN, log: silent })
  t.equal(r.media.srtp?.tag, 5, 'skips unknown suite, MKI, wrong key length, unknown session param')
  t.equal(r.media.srtp?.suite, 'AES_CM_128_HMAC_SHA1_32')
  t.equal(r.media.srtp?.remoteLifetime?.packets, 2 ** 31)
  t.equal(r.media.srtp?.localKeySalt.length, 30)
  const r2 = answerOffer(parseSdp(offer({ proto: 'RTP/SAVP', extra: lines })), policy('required'), LOCAL, { origin: ORIGIN, log: silent })
  t.not(r2.media.srtp?.localKeySalt.toString('hex'), r.media.srtp?.localKeySalt.toString('hex'), 'fresh key material per answer')
  const gcm = answerOffer(parseSdp(offer({ proto: 'RTP/SAVP', suites: ['AEAD_AES_256_GCM'] })), policy('required', { supportedSuites: ALL_SUITES }), LOCAL, { origin: ORIGIN, log: silent })
  t.equal(gcm.media.srtp?.localKeySalt.length, 44, 'AEAD_AES_256_GCM key||salt is 32+12 bytes (RFC 7714 §12)')
})

t.test('SDES over TCP refusal is logged with the reason', async t => {
  const lines: string[] = []
  const log = pino({ level: 'warn' }, new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } }))
  expect488(t, () => answerOffer(parseSdp(offer({ proto: 'RTP/SAVP', suites: ['AES_CM_128_HMAC_SHA1_80'] })),
    policy('allowed', { signallingTransport: 'tcp' }), LOCAL, { origin: ORIGIN, log }), 'SIP_ERR_SDES_OVER_TCP')
  t.equal(lines.length, 1)
  t.match(JSON.parse(lines[0]).msg, /keys would travel in clear/)
})

t.test('createOffer per mode, answered by our own answerer, keys cross over', async t => {
  for (const mode of ['disabled', 'allowed'] as const) {
    const o = createOffer(policy(mode), LOCAL, { origin: ORIGIN })
    const sd = parseSdp(o.sdp)
    t.equal(sd.media[0].proto, 'RTP/AVP', `${mode} offers RTP/AVP`)
    t.equal(sd.media[0].crypto.length, 0)
    t.same(sd.media[0].formats, ['9', '0', '8', '101'])
  }
  const p = policy('required', { supportedSuites: ALL_SUITES })
  const o = createOffer(p, LOCAL, { origin: ORIGIN })
  const sd = parseSdp(o.sdp)
  t.equal(sd.media[0].proto, 'RTP/SAVP', 'required offers RTP/SAVP')
  t.same(sd.media[0].crypto.map(c => c.suite), ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'])
  t.same(sd.media[0].crypto.map(c => c.keyParams[0].keySalt.length), [44, 28, 30, 30])
  t.same(parseSdp(createOffer(policy('required'), LOCAL, { origin: ORIGIN }).sdp).media[0].crypto.map(c => c.suite),
    ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'], 'no GCM unless the native core reports it')
  // The peer (another trunkgate with only AES-CM and PCMU) answers.
  const peerLocal = { address: '203.0.113.9', port: 50000 }
  const ans = answerOffer(sd, policy('required', { codecs: ['PCMU'] }), peerLocal, { origin: { username: 'peer', sessionId: '9', sessionVersion: 9n }, log: silent })
  t.equal(ans.media.srtp?.suite, 'AES_CM_128_HMAC_SHA1_80', 'peer picks the first suite it supports, in our order')
  const ours = acceptAnswer(o.pending, parseSdp(ans.sdp))
  t.equal(ours.codec.name, 'PCMU')
  t.equal(ours.payloadType, 0)
  t.same(ours.telephoneEvent, { payloadType: 101, clockRate: 8000 })
  t.same(ours.remote, { address: '203.0.113.9', port: 50000, rtcpAddress: '203.0.113.9', rtcpPort: 50001 })
  t.same(ours.srtp?.localKeySalt, ans.media.srtp?.remoteKeySalt, 'our send key is the peer receive key')
  t.same(ours.srtp?.remoteKeySalt, ans.media.srtp?.localKeySalt, 'the peer send key is our receive key')
  expect488(t, () => createOffer(policy('required', { signallingTransport: 'tcp' }), LOCAL, { origin: ORIGIN }), 'SIP_ERR_SDES_OVER_TCP')
  t.equal(parseSdp(createOffer(policy('required', { signallingTransport: 'tcp', allowSdesOverTcp: true }), LOCAL, { origin: ORIGIN }).sdp).media[0].proto, 'RTP/SAVP')
})

t.test('acceptAnswer refuses answers that do not fit the offer', async t => {
  const o = createOffer(policy('required'), LOCAL, { origin: ORIGIN })
  const ans = (m: string, extra: string[]): string => ['v=0', 'o=p 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', m, ...extra, ''].join('\r\n')
  expect488(t, () => acceptAnswer(o.pending, parseSdp(ans('m=audio 0 RTP/SAVP 0', []))), 'SIP_ERR_SDP_ANSWER_REJECTED')
  expect488(t, () => acceptAnswer(o.pending, parseSdp(ans('m=audio 4000 RTP/AVP 0', []))), 'SIP_ERR_SDP_ANSWER_MISMATCH')
  expect488(t, () => acceptAnswer(o.pending, parseSdp(ans('m=audio 4000 RTP/SAVP 18', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`]))), 'SIP_ERR_SDP_NO_COMMON_CODEC')
  expect488(t, () => acceptAnswer(o.pending, parseSdp(ans('m=audio 4000 RTP/SAVP 0', [`a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`]))), 'SIP_ERR_SRTP_NO_SUITE')
  expect488(t, () => acceptAnswer(o.pending, parseSdp(ans('m=audio 4000 RTP/SAVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`]))), 'SIP_ERR_SRTP_NO_SUITE')
  expect488(t, () => acceptAnswer(o.pending, parseSdp(ans('m=audio 4000 RTP/SAVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY28}`]))), 'SIP_ERR_SRTP_NO_SUITE')
  const ok = acceptAnswer(o.pending, parseSdp(ans('m=audio 4000 RTP/SAVP 8', [`a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`, 'a=ptime:30', 'a=recvonly'])))
  t.equal(ok.codec.name, 'PCMA')
  t.equal(ok.ptime, 30, 'we send at the ptime the peer asked for')
  t.equal(ok.direction, 'sendonly', 'peer recvonly → we sendonly')
  t.equal(ok.srtp?.suite, 'AES_CM_128_HMAC_SHA1_32')
})
