// SRTP/SRTCP (RFC 3711) through libsrtp2: an independent AES-CM + HMAC-SHA1 model (Node crypto) is first
// checked against RFC 3711 B.2 (keystream) and B.3 (key derivation), then predicts our protected packets
// byte for byte; libsrtp's own known-answer packets; tamper -> auth failure; replay -> replay failure; GCM.
import crypto from 'node:crypto'
import fs from 'node:fs'
import t from 'tap'
import { SrtpSession, supportedSrtpSuites, srtpSuiteInfo, sdesMki, type SrtpSuiteName } from '../../../src/media/dsp'
import { td } from './helpers'

const json = (f: string): any => JSON.parse(fs.readFileSync(td('vectors', f), 'utf8')) // eslint-disable-line @typescript-eslint/no-explicit-any
const hex = (s: string): Buffer => Buffer.from(s, 'hex')
const b2 = json('rfc3711_appendixB.json')['B.2_AES-CM']
const b3 = json('rfc3711_appendixB.json')['B.3_KDF']
const kat = json('libsrtp_known_answer.json').srtp_validate

// RFC 3711 §4.1.1 AES in counter mode: keystream = AES_k(IV), AES_k(IV+1), ...
function aesCm (key: Buffer, iv: Buffer, n: number): Buffer {
  const c = crypto.createCipheriv(key.length === 16 ? 'aes-128-ctr' : 'aes-256-ctr', key, iv)
  return c.update(Buffer.alloc(n))
}
// RFC 3711 §4.3.1 with kdr = 0: x = (label << 48) XOR master_salt, IV = x * 2^16.
function kdf (masterKey: Buffer, masterSalt: Buffer, label: number, n: number): Buffer {
  const iv = Buffer.alloc(16)
  masterSalt.copy(iv, 0)
  iv[7] ^= label
  return aesCm(masterKey, iv, n)
}

t.test('the test model reproduces RFC 3711 B.2 keystream blocks', async t => {
  const key = hex(b2.session_key)
  for (const [iv, block] of b2.keystream_blocks as Array<[string, string]>) {
    t.equal(aesCm(key, hex(iv), 16).toString('hex').toUpperCase(), block)
  }
})

t.test('the test model reproduces RFC 3711 B.3 session keys (labels 0, 1, 2)', async t => {
  const mk = hex(b3.master_key); const ms = hex(b3.master_salt)
  t.equal(kdf(mk, ms, 0, 16).toString('hex').toUpperCase(), b3.cipher_key)
  t.equal(kdf(mk, ms, 2, 14).toString('hex').toUpperCase(), b3.cipher_salt)
  t.equal(kdf(mk, ms, 1, 94).toString('hex').toUpperCase(), b3.auth_key)
})

t.test('AES_CM_128_HMAC_SHA1_80: our SRTP packet equals the RFC 3711 model and libsrtp known answer', async t => {
  t.same(hex(kat.master_key_hex), hex(b3.master_key.toLowerCase()), 'libsrtp KAT uses the B.3 master key')
  const keySalt = Buffer.concat([hex(kat.master_key_hex), hex(kat.master_salt_hex)])
  const tx = new SrtpSession(); tx.setOutbound('AES_CM_128_HMAC_SHA1_80', keySalt)
  const plain = hex(kat.rtp_plaintext_hex)
  const r = tx.protectRtp(plain)
  if (!r.ok) throw new Error(r.error)
  t.equal(r.packet.toString('hex'), kat.srtp_protected_hex, 'libsrtp known answer')
  // Independent prediction: §3.1 IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), tag over packet || ROC.
  const ks = hex(b3.cipher_salt); const iv = Buffer.alloc(16); ks.copy(iv, 0)
  const ssrc = plain.readUInt32BE(8); const seq = plain.readUInt16BE(2)
  iv.writeUInt32BE(iv.readUInt32BE(4) ^ ssrc, 4)
  iv.writeUInt16BE(iv.readUInt16BE(12) ^ seq, 12) // i = ROC(0) * 2^16 + SEQ, shifted by 16 bits
  const payload = plain.subarray(12)
  const ks1 = aesCm(hex(b3.cipher_key), iv, payload.length)
  const enc = Buffer.concat([plain.subarray(0, 12), Buffer.from(payload.map((b, i) => b ^ ks1[i]))])
  // HMAC-SHA1 key n_a = 160 bits: the first 20 octets of the label-1 keystream (B.3 prints a longer run).
  const tag = crypto.createHmac('sha1', hex(b3.auth_key).subarray(0, 20)).update(Buffer.concat([enc, Buffer.alloc(4)])).digest().subarray(0, 10)
  t.equal(r.packet.toString('hex'), Buffer.concat([enc, tag]).toString('hex'), 'RFC 3711 model')
  const rx = new SrtpSession(); rx.setInbound('AES_CM_128_HMAC_SHA1_80', keySalt)
  t.same(rx.unprotectRtp(r.packet), { ok: true, packet: plain })
})

t.test('SRTCP known answer (E bit + index 1, 80-bit tag) and the _32 suite truncates only the RTP tag', async t => {
  const keySalt = Buffer.concat([hex(kat.master_key_hex), hex(kat.master_salt_hex)])
  const tx = new SrtpSession(); tx.setOutbound('AES_CM_128_HMAC_SHA1_80', keySalt)
  const r = tx.protectRtcp(hex(kat.rtcp_plaintext_hex))
  if (!r.ok) throw new Error(r.error)
  t.equal(r.packet.toString('hex'), kat.srtcp_protected_hex)
  const rx = new SrtpSession(); rx.setInbound('AES_CM_128_HMAC_SHA1_80', keySalt)
  t.same(rx.unprotectRtcp(r.packet), { ok: true, packet: hex(kat.rtcp_plaintext_hex) })
  const tx32 = new SrtpSession(); tx32.setOutbound('AES_CM_128_HMAC_SHA1_32', keySalt)
  const p32 = tx32.protectRtp(hex(kat.rtp_plaintext_hex))
  t.same(p32, { ok: true, packet: hex(kat.srtp_protected_hex).subarray(0, 28 + 4) }, '4-octet tag = first 4 of the 80-bit tag')
  t.same(tx32.protectRtcp(hex(kat.rtcp_plaintext_hex)), { ok: true, packet: hex(kat.srtcp_protected_hex) }, 'SRTCP keeps HMAC-SHA1-80')
})

function pair (suite: SrtpSuiteName): { tx: SrtpSession, rx: SrtpSession } {
  const info = srtpSuiteInfo(suite)
  const key = crypto.randomBytes(info.keyLength + info.saltLength)
  const tx = new SrtpSession(); tx.setOutbound(suite, key)
  const rx = new SrtpSession(); rx.setInbound(suite, key)
  return { tx, rx }
}
const rtp = (seq: number, payload = Buffer.alloc(160, 0x55)): Buffer =>
  Buffer.concat([Buffer.from([0x80, 0, seq >> 8, seq & 0xff, 0, 0, 0, seq & 0xff, 1, 2, 3, 4]), payload])

t.test('supportedSrtpSuites() reports what this libsrtp2 build can create', async t => {
  const s = supportedSrtpSuites()
  t.ok(s.includes('AES_CM_128_HMAC_SHA1_80') && s.includes('AES_CM_128_HMAC_SHA1_32'))
  for (const suite of s) {
    const { tx, rx } = pair(suite)
    const p = tx.protectRtp(rtp(1))
    if (!p.ok) throw new Error(p.error)
    t.equal(p.packet.length, rtp(1).length + srtpSuiteInfo(suite).rtpOverhead, `${suite}: overhead`)
    t.same(rx.unprotectRtp(p.packet), { ok: true, packet: rtp(1) }, `${suite}: round trip`)
  }
  t.match(srtpSuiteInfo('AEAD_AES_256_GCM'), { keyLength: 32, saltLength: 12, rtpOverhead: 16, rtcpOverhead: 20 })
})

t.test('tampering is an auth failure, for every supported suite', async t => {
  for (const suite of supportedSrtpSuites()) {
    const { tx, rx } = pair(suite)
    const p = tx.protectRtp(rtp(7))
    if (!p.ok) throw new Error(p.error)
    const bad = Buffer.from(p.packet); bad[20] ^= 1
    t.same(rx.unprotectRtp(bad), { ok: false, error: 'auth-fail' }, `${suite}: payload bit flip`)
    const badTag = Buffer.from(p.packet); badTag[badTag.length - 1] ^= 0x80
    t.same(rx.unprotectRtp(badTag), { ok: false, error: 'auth-fail' }, `${suite}: tag bit flip`)
    t.same(rx.unprotectRtp(p.packet), { ok: true, packet: rtp(7) }, 'the genuine packet still passes afterwards')
    const wrongKey = pair(suite).rx
    t.same(wrongKey.unprotectRtp(p.packet), { ok: false, error: 'auth-fail' }, `${suite}: other key`)
  }
})

t.test('RFC 3711 §3.3.2 replay protection: repeats fail, packets older than the window fail', async t => {
  const { tx, rx } = pair('AES_CM_128_HMAC_SHA1_80')
  const pkts: Buffer[] = []
  for (let seq = 1; seq <= 300; seq++) { const p = tx.protectRtp(rtp(seq)); if (!p.ok) throw new Error(p.error); pkts.push(p.packet) }
  t.same(rx.unprotectRtp(pkts[299]), { ok: true, packet: rtp(300) })
  t.same(rx.unprotectRtp(pkts[299]), { ok: false, error: 'replay-fail' }, 'same index again')
  t.same(rx.unprotectRtp(pkts[250]), { ok: true, packet: rtp(251) }, 'reordered within the 128 window')
  t.same(rx.unprotectRtp(pkts[10]), { ok: false, error: 'replay-old' }, 'older than the window')
  t.same(tx.protectRtp(rtp(300)), { ok: false, error: 'replay-fail' }, 'the sender refuses to reuse an index (keystream reuse)')
  const rtcpTx = pair('AES_CM_128_HMAC_SHA1_80')
  const c = rtcpTx.tx.protectRtcp(Buffer.from('81c8000bcafebabeabababababababababababababababab', 'hex'))
  if (!c.ok) throw new Error(c.error)
  t.equal(rtcpTx.rx.unprotectRtcp(c.packet).ok, true)
  t.same(rtcpTx.rx.unprotectRtcp(c.packet), { ok: false, error: 'replay-fail' }, 'SRTCP index replay')
})

t.test('capacity: too small for the tag is no-space; exactly enough works through the scratch buffer', async t => {
  const { tx, rx } = pair('AES_CM_128_HMAC_SHA1_80')
  const p = rtp(1)
  t.same(tx.protectRtp(p, p.length + 9), { ok: false, error: 'no-space' })
  const ok = tx.protectRtp(p, p.length + 10)
  if (!ok.ok) throw new Error(ok.error)
  t.equal(ok.packet.length, p.length + 10)
  t.same(rx.unprotectRtp(ok.packet), { ok: true, packet: p })
  t.same(new SrtpSession().protectRtp(p), { ok: false, error: 'not-ready' }, 'no outbound context yet')
})

t.test('RFC 4568 SDES inline keys decode to this suite\'s master key + salt sizes and work as keys', async t => {
  for (const ex of json('rfc4568_sdes_examples.json').examples) {
    const suiteName = (ex.line as string).split(' ')[1]
    for (const k of ex.keys) {
      const raw = Buffer.from(k.b64, 'base64')
      t.equal(raw.toString('hex'), k.master_key_hex + k.master_salt_hex, `${ex.rfc4568_section}: base64 = key || salt`)
      if (!['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'].includes(suiteName)) {
        t.throws(() => srtpSuiteInfo(suiteName as SrtpSuiteName), new TypeError(`unknown SRTP suite: ${suiteName}`), 'F8 is not offered')
        continue
      }
      const info = srtpSuiteInfo(suiteName as SrtpSuiteName)
      t.equal(raw.length, info.keyLength + info.saltLength)
      t.equal(hex(k.master_key_hex).length, info.keyLength)
      const tx = new SrtpSession(); tx.setOutbound(suiteName as SrtpSuiteName, raw)
      const rx = new SrtpSession(); rx.setInbound(suiteName as SrtpSuiteName, raw)
      const p = tx.protectRtp(rtp(3))
      t.same(p.ok && rx.unprotectRtp(p.packet), { ok: true, packet: rtp(3) })
    }
  }
})

t.test('RFC 3711 §3.1 MKI (RFC 4568 "|1:4"): carried before the tag, required to match on receive', async t => {
  const ex = json('rfc4568_sdes_examples.json').examples.find((e: { line: string }) => e.line.endsWith('|2^20|1:4'))
  const key = Buffer.from(ex.keys[0].b64, 'base64')
  const mki = sdesMki(1, 4)
  t.same(Array.from(mki), [0, 0, 0, 1])
  const tx = new SrtpSession(); tx.setOutbound('AES_CM_128_HMAC_SHA1_80', key, mki)
  const rx = new SrtpSession(); rx.setInbound('AES_CM_128_HMAC_SHA1_80', key, 128, mki)
  const p = tx.protectRtp(rtp(5))
  if (!p.ok) throw new Error(p.error)
  t.equal(p.packet.length, rtp(5).length + 4 + 10, 'MKI (4) + tag (10)')
  t.same(Array.from(p.packet.subarray(rtp(5).length, rtp(5).length + 4)), [0, 0, 0, 1], 'MKI precedes the tag')
  t.same(rx.unprotectRtp(p.packet), { ok: true, packet: rtp(5) })
  const noMki = new SrtpSession(); noMki.setInbound('AES_CM_128_HMAC_SHA1_80', key)
  t.same(noMki.unprotectRtp(p.packet), { ok: false, error: 'auth-fail' }, 'a receiver without the MKI rejects it')
  const otherMki = new SrtpSession(); otherMki.setInbound('AES_CM_128_HMAC_SHA1_80', key, 128, sdesMki(2, 4))
  t.same(otherMki.unprotectRtp(p.packet), { ok: false, error: 'auth-fail' }, 'unknown MKI value')
  const c = tx.protectRtcp(Buffer.from('81c8000bcafebabeabababababababababababababababab', 'hex'))
  t.same(c.ok && rx.unprotectRtcp(c.packet), { ok: true, packet: Buffer.from('81c8000bcafebabeabababababababababababababababab', 'hex') }, 'SRTCP with MKI')
  t.same(tx.protectRtp(rtp(6), rtp(6).length + 13), { ok: false, error: 'no-space' }, 'capacity counts the MKI')
  t.throws(() => tx.setOutbound('AES_CM_128_HMAC_SHA1_80', key, Buffer.alloc(0)), new RangeError('mki must be 1..128 octets'))
  t.throws(() => sdesMki(256, 1), new RangeError('value does not fit in 1 octets'))
})

t.test('argument checks', async t => {
  const s = new SrtpSession()
  t.throws(() => s.setOutbound('AES_CM_256' as SrtpSuiteName, Buffer.alloc(30)), new TypeError('unknown SRTP suite: AES_CM_256'))
  t.throws(() => s.setOutbound('AES_CM_128_HMAC_SHA1_80', Buffer.alloc(29)), new RangeError('AES_CM_128_HMAC_SHA1_80 needs 30 octets of key+salt, got 29'))
  t.throws(() => s.setInbound('AEAD_AES_256_GCM', Buffer.alloc(30)), new RangeError('AEAD_AES_256_GCM needs 44 octets of key+salt, got 30'))
  t.throws(() => s.setInbound('AES_CM_128_HMAC_SHA1_80', Buffer.alloc(30), 10), new RangeError('replayWindow must be an integer 64..32767'))
  t.throws(() => s.protectRtp('x' as unknown as Buffer), new TypeError('packet must be a Buffer or Uint8Array'))
})
