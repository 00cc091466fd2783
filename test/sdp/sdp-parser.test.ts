import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseSdp, effectiveDirection } from '../../src/sdp/sdp-parser'
import { serializeSdp } from '../../src/sdp/sdp-serializer'
import { parseCryptoAttribute, formatCryptoAttribute } from '../../src/sdp/crypto-attribute'
import { SipError } from '../../src/sip/sip-error'

const TESTDATA = path.resolve(__dirname, '..', '..', 'test', 'vectors')

// An offer in the shape Asterisk/FreeSWITCH send: session c=, two codecs + telephone-event, SRTP.
const OFFER = [
  'v=0',
  'o=- 1234567890123456789 2 IN IP4 192.0.2.10',
  's=Asterisk',
  'c=IN IP4 192.0.2.10',
  'b=CT:384',
  't=0 0',
  'a=sendrecv',
  'm=audio 40000 RTP/SAVP 9 0 8 101',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:150',
  'a=rtcp:40001',
  'a=rtcp-mux',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
  'a=x-custom:keep me',
  'a=label:1',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=inactive',
  ''
].join('\r\n')

function expectSipError (t: Test, fn: () => unknown, status: number, detail: RegExp): void {
  try {
    fn()
    t.fail(`expected SipError ${status}`)
  } catch (err) {
    t.ok(err instanceof SipError, 'throws SipError')
    t.equal((err as SipError).status, status, `status ${status}`)
    t.match((err as Error).message, detail)
  }
}

t.test('RFC 8866 session and media fields are parsed', async t => {
  const sd = parseSdp(OFFER)
  t.equal(sd.origin.sessionId, '1234567890123456789', 'sess-id beyond 2^53 kept as text')
  t.equal(sd.origin.sessionVersion, 2n)
  t.equal(sd.sessionName, 'Asterisk')
  t.same(sd.connection, { netType: 'IN', addrType: 'IP4', address: '192.0.2.10' })
  t.same(sd.bandwidths, ['CT:384'])
  t.equal(sd.direction, 'sendrecv')
  t.equal(sd.media.length, 2)
  const a = sd.media[0]
  t.equal(a.port, 40000)
  t.equal(a.proto, 'RTP/SAVP')
  t.same(a.formats, ['9', '0', '8', '101'])
  t.same(a.rtpmaps[0], { payloadType: 9, encodingName: 'G722', clockRate: 8000 })
  t.same(a.fmtps, [{ format: '101', parameters: '0-16' }])
  t.equal(a.ptime, 20)
  t.equal(a.maxptime, 150)
  t.same(a.rtcp, { port: 40001 })
  t.equal(a.rtcpMux, true)
  t.equal(a.crypto.length, 1)
  t.equal(a.crypto[0].suite, 'AES_CM_128_HMAC_SHA1_80')
  t.same(a.attributes, [{ name: 'x-custom', value: 'keep me' }, { name: 'label', value: '1' }], 'unknown attributes kept in order')
  t.equal(effectiveDirection(sd, a), 'sendrecv', 'session-level direction applies')
  t.equal(effectiveDirection(sd, sd.media[1]), 'inactive', 'media-level direction wins')
})

t.test('serialize → parse round-trips', async t => {
  const sd = parseSdp(OFFER)
  const text = serializeSdp(sd)
  t.ok(text.endsWith('\r\n'))
  t.notMatch(text, /[^\r]\n/, 'every line ends in CRLF')
  t.same(parseSdp(text), sd, 'model survives a round trip')
  t.equal(serializeSdp(parseSdp(text)), text, 'text is stable after one round trip')
  const lf = OFFER.replace(/\r\n/g, '\n')
  t.same(parseSdp(lf), sd, 'bare LF accepted')
})

t.test('direction attributes at session or media level', async t => {
  for (const dir of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const) {
    const s = parseSdp(`v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\na=${dir}\r\nm=audio 5000 RTP/AVP 0\r\n`)
    t.equal(s.direction, dir)
    t.equal(s.media[0].direction, undefined)
    const m = parseSdp(`v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=${dir}\r\n`)
    t.equal(m.media[0].direction, dir)
    t.equal(effectiveDirection(m, m.media[0]), dir)
  }
})

t.test('media-level c= and IPv6, rtcp with address, fractional ptime', async t => {
  const sd = parseSdp('v=0\r\no=u 1 1 IN IP6 ::1\r\ns= \r\nt=0 0\r\nm=audio 7000 RTP/AVPF 0\r\nc=IN IP6 2001:db8::1\r\na=rtcp:7001 IN IP6 2001:db8::2\r\na=ptime:0.125\r\n')
  t.same(sd.media[0].connection, { netType: 'IN', addrType: 'IP6', address: '2001:db8::1' })
  t.same(sd.media[0].rtcp, { port: 7001, netType: 'IN', addrType: 'IP6', address: '2001:db8::2' })
  t.equal(sd.media[0].ptime, 0.125)
  t.equal(sd.sessionName, ' ', 's= with a single space (RFC 8866 §5.3) kept')
  t.same(parseSdp(serializeSdp(sd)), sd)
})

t.test('missing t= is tolerated as "0 0"', async t => {
  const sd = parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 0\r\n')
  t.same(sd.timing, [{ start: '0', stop: '0' }])
})

t.test('syntax errors are 400 with the line number', async t => {
  const base = 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n'
  expectSipError(t, () => parseSdp(''), 400, /empty/)
  expectSipError(t, () => parseSdp('o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n'), 400, /line 1: the description must start with v=/)
  expectSipError(t, () => parseSdp('v=1\r\n'), 400, /unsupported SDP version/)
  expectSipError(t, () => parseSdp('v=0\r\ns=-\r\nt=0 0\r\n'), 400, /no o= line/)
  expectSipError(t, () => parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n'), 400, /no s= line/)
  expectSipError(t, () => parseSdp('v=0\r\no=- x 1 IN IP4 1.2.3.4\r\ns=-\r\n'), 400, /line 2: o= sess-id/)
  expectSipError(t, () => parseSdp('v=0\r\no=- 1 1 IN IP4\r\ns=-\r\n'), 400, /o= needs 6 fields/)
  expectSipError(t, () => parseSdp(base + 'm=audio 70000 RTP/AVP 0\r\n'), 400, /line 6: m= port "70000"/)
  expectSipError(t, () => parseSdp(base + 'm=audio 5000 RTP/AVP\r\n'), 400, /m= needs/)
  expectSipError(t, () => parseSdp(base + 'm=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n'), 400, /line 7: a=rtpmap/)
  expectSipError(t, () => parseSdp(base + 'm=audio 5000 RTP/AVP 0\r\na=rtpmap:200 X/8000\r\n'), 400, /a=rtpmap/)
  expectSipError(t, () => parseSdp(base + 'm=audio 5000 RTP/AVP 0\r\na=ptime:abc\r\n'), 400, /a=ptime "abc"/)
  expectSipError(t, () => parseSdp(base + 'm=audio 5000 RTP/AVP 0\r\na=fmtp:101\r\n'), 400, /a=fmtp/)
  expectSipError(t, () => parseSdp(base + 'm=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!\r\n'), 400, /line 7: a=crypto inline key "!!!" is not base64/)
  expectSipError(t, () => parseSdp(base + 'x = y\r\n'), 400, /line 6: .* is not <type>=<value>/)
  expectSipError(t, () => parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n'), 400, /no c= line/)
  expectSipError(t, () => parseSdp(base + 'c=IN IP4 5.6.7.8\r\n'), 400, /second c= at session level/)
  expectSipError(t, () => parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\ns=again\r\n'), 400, /s= appears twice/)
  expectSipError(t, () => parseSdp(Buffer.alloc(70000, 'a')), 400, /larger than/)
})

t.test('well-formed but unusable connection data is 488', async t => {
  expectSipError(t, () => parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=ATM NSAP 47.0091\r\nt=0 0\r\n'), 488, /network type "ATM" is not IN/)
  expectSipError(t, () => parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IPX 1.2.3.4\r\nt=0 0\r\n'), 488, /address type "IPX"/)
})

t.test('a port-0 (rejected) section needs no address', async t => {
  const sd = parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n')
  t.equal(sd.media[0].port, 0)
})

t.test('RFC 4568 a=crypto examples decode to the published keys', async t => {
  const vectors = JSON.parse(readFileSync(path.join(TESTDATA, 'vectors', 'rfc4568_sdes_examples.json'), 'utf8')) as {
    examples: Array<{ rfc4568_section: string; line: string; keys: Array<{ master_key_hex: string; master_salt_hex: string; rest: string[] }> }>
  }
  t.ok(vectors.examples.length >= 8)
  for (const ex of vectors.examples) {
    const c = parseCryptoAttribute(ex.line.replace(/^a=crypto:/, ''))
    t.equal(c.keyParams.length, ex.keys.length, `${ex.rfc4568_section}: key count`)
    ex.keys.forEach((k, i) => {
      const p = c.keyParams[i]
      t.equal(p.keySalt.subarray(0, 16).toString('hex'), k.master_key_hex, `${ex.rfc4568_section}: master key ${i}`)
      t.equal(p.keySalt.subarray(16).toString('hex'), k.master_salt_hex, `${ex.rfc4568_section}: master salt ${i}`)
      const lifetime = k.rest.find(r => !r.includes(':'))
      const mki = k.rest.find(r => r.includes(':'))
      t.equal(p.lifetime?.text, lifetime, `${ex.rfc4568_section}: lifetime`)
      t.equal(p.mki ? `${p.mki.value}:${p.mki.length}` : undefined, mki, `${ex.rfc4568_section}: MKI`)
    })
    t.equal(formatCryptoAttribute(c), ex.line.replace(/^a=crypto:/, ''), `${ex.rfc4568_section}: formats back byte-exact`)
  }
  const noLifetime = parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80 inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|1066:4')
  t.equal(noLifetime.keyParams[0].lifetime, undefined, '|1066:4 is not a lifetime')
  t.equal(noLifetime.keyParams[0].mki?.value, 1066n)
  t.equal(noLifetime.keyParams[0].mki?.length, 4)
  const twoKeys = parseCryptoAttribute('2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP')
  t.same(twoKeys.sessionParams, ['FEC_ORDER=FEC_SRTP'])
  t.equal(twoKeys.keyParams[0].lifetime?.packets, 2 ** 20)
})

t.test('a=crypto syntax errors', async t => {
  expectSipError(t, () => parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80'), 400, /needs/)
  expectSipError(t, () => parseCryptoAttribute('1234567890 AES_CM_128_HMAC_SHA1_80 inline:QUJD'), 400, /tag/)
  expectSipError(t, () => parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80 inline:QUJD|1:0'), 400, /MKI length 0/)
  expectSipError(t, () => parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80 inline:QUJD|1:4|2^20'), 400, /lifetime out of place/)
  expectSipError(t, () => parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80 inline:QUJD|2^x'), 400, /lifetime/)
  expectSipError(t, () => parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80 nomethod'), 400, /no key method/)
  const other = parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80 uri:https://kms.example/key')
  t.equal(other.keyParams[0].method, 'uri', 'unknown key methods are kept for the answerer to skip')
})

t.test('an SDP syntax error answers 400 with the reason in a Warning (RFC 3261 §20.43), naming the line', async t => {
  const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4x000 RTP/AVP 8\r\n'
  try {
    parseSdp(sdp)
    t.fail('expected a SipError')
  } catch (err) {
    t.ok(err instanceof SipError)
    const e = err as SipError
    t.equal(e.status, 400)
    const warning = e.headers.find(h => h.name === 'Warning')
    t.match(warning?.value, /^399 trunkgate "SDP line 6: [^"]*"$/)
  }
})
