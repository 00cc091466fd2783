// RTP fixed header (RFC 3550 §5.1), RFC 4733 §2.3 payload, RTCP SR/RR compound packets (§6.4, A.2) and the
// receive statistics of RFC 3550 A.1 (probation, wrap), A.3 (loss) and A.8 (jitter), plus §6.4.1 RTT.
import crypto from 'node:crypto'
import t from 'tap'
import {
  parseRtp, marshalRtp, parseTelephoneEvent, buildTelephoneEvent, parseRtcp, buildRtcp, rttFromReport, RtpReceiveStats
} from '../../../src/media/dsp'

t.test('RFC 3550 §5.1: marshal then parse in place round-trips every field', async t => {
  const payload = Buffer.from('abcdefghij')
  const ext = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])
  const pkt = marshalRtp({ marker: true, payloadType: 96, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, csrc: [1, 2, 0xffffffff], extensionProfile: 0xbede, extensionData: ext }, payload)
  t.equal(pkt.length, 12 + 12 + 4 + 8 + 10)
  t.equal(pkt[0], 0x80 | 0x10 | 3, 'V=2, X=1, CC=3')
  const p = parseRtp(pkt)
  if ('error' in p) throw new Error(p.error)
  t.match(p, { version: 2, padding: false, extension: true, marker: true, payloadType: 96, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, headerLength: 36, extensionProfile: 0xbede })
  t.same(p.csrc, [1, 2, 0xffffffff])
  t.same(p.extensionData, ext)
  t.same(p.payload, payload)
})

t.test('RFC 3550 §5.1: padding is removed from the payload view; the count octet is validated', async t => {
  const pkt = Buffer.concat([marshalRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 }, Buffer.from([9, 9, 9])), Buffer.from([0, 0, 3])])
  pkt[0] |= 0x20
  const p = parseRtp(pkt)
  if ('error' in p) throw new Error(p.error)
  t.equal(p.paddingLength, 3)
  t.same(p.payload, Buffer.from([9, 9, 9]))
  const zero = Buffer.from(pkt); zero[zero.length - 1] = 0
  t.same(parseRtp(zero), { error: 'bad-padding' }, 'padding count 0')
  const big = Buffer.from(pkt); big[big.length - 1] = 7
  t.same(parseRtp(big), { error: 'bad-padding' }, 'padding larger than the payload')
})

t.test('malformed packets are rejected without reading out of bounds', async t => {
  t.same(parseRtp(Buffer.alloc(11, 0x80)), { error: 'too-short' })
  const v1 = marshalRtp({ payloadType: 0, sequence: 1, timestamp: 1, ssrc: 1 }, Buffer.alloc(4)); v1[0] = 0x40
  t.same(parseRtp(v1), { error: 'bad-version' })
  const cc = marshalRtp({ payloadType: 0, sequence: 1, timestamp: 1, ssrc: 1 }, Buffer.alloc(4)); cc[0] = 0x8f // claims 15 CSRCs
  t.same(parseRtp(cc), { error: 'too-short' })
  const x = marshalRtp({ payloadType: 0, sequence: 1, timestamp: 1, ssrc: 1, extensionProfile: 1, extensionData: Buffer.alloc(4) }, Buffer.alloc(0))
  x.writeUInt16BE(100, 14) // extension length 100 words
  t.same(parseRtp(x), { error: 'bad-extension' })
  // Fuzz: random datagrams (the sanitizer build in asan.test.ts runs the same on the C++ side).
  let accepted = 0; let inconsistent = 0
  for (let i = 0; i < 20000; i++) {
    const b = crypto.randomBytes(i % 64)
    if (i % 2 === 0 && b.length > 0) b[0] = (b[0] & 0x3f) | 0x80
    const r = parseRtp(b)
    if ('error' in r) continue
    accepted++
    if (r.headerLength + r.payload.length + r.paddingLength !== b.length) inconsistent++
  }
  t.ok(accepted > 1000, `${accepted} random datagrams parsed`)
  t.equal(inconsistent, 0, 'header + payload + padding always add up to the datagram')
})

t.test('marshal argument checks', async t => {
  const h = { payloadType: 0, sequence: 1, timestamp: 1, ssrc: 1 }
  t.throws(() => marshalRtp({ ...h, payloadType: 128 }, Buffer.alloc(1)), new RangeError('payloadType must be an integer 0..127'))
  t.throws(() => marshalRtp({ ...h, sequence: 70000 }, Buffer.alloc(1)), new RangeError('sequence must be an integer 0..65535'))
  t.throws(() => marshalRtp({ ...h, csrc: new Array(16).fill(1) }, Buffer.alloc(1)), new RangeError('csrc must be an array of at most 15 SSRCs'))
  t.throws(() => marshalRtp({ ...h, extensionData: Buffer.alloc(3) }, Buffer.alloc(1)), new RangeError('extensionData length must be a multiple of 4'))
  t.throws(() => marshalRtp(h, 'x' as unknown as Buffer), new TypeError('payload must be a Buffer or Uint8Array'))
})

t.test('RFC 4733 §2.3: telephone-event payload', async t => {
  const b = buildTelephoneEvent({ event: 11, end: true, volume: 10, duration: 1600 })
  t.same(Array.from(b), [11, 0x8a, 0x06, 0x40])
  t.same(parseTelephoneEvent(b), { event: 11, digit: '#', end: true, volume: 10, duration: 1600 })
  t.same(parseTelephoneEvent(Buffer.from([1, 0x40 | 5, 0, 160])), { event: 1, digit: '1', end: false, volume: 5, duration: 160 }, 'R bit ignored')
  t.equal(parseTelephoneEvent(Buffer.alloc(3)), null, 'shorter than 4 octets')
  t.throws(() => buildTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 }), new RangeError('volume must be an integer 0..63'))
})

t.test('RTCP: SR + SDES CNAME + BYE compound round trip (§6.4.1, §6.5, §6.6)', async t => {
  const block = { ssrc: 0x11111111, fractionLost: 64, cumulativeLost: -5, extendedHighestSeq: 0x0001fffe, jitter: 123, lastSr: 0xabcd1234, delaySinceLastSr: 65536 }
  const pkt = buildRtcp({ type: 'sr', ssrc: 0x22222222, ntpSeconds: 0xe0000001, ntpFraction: 0x80000000, rtpTimestamp: 160, packetCount: 50, octetCount: 8000, blocks: [block, { ...block, ssrc: 7, cumulativeLost: 0x7fffff }], cname: 'trunkgate@127.0.0.1', bye: true })
  t.equal(pkt.length % 4, 0)
  t.equal(pkt[1], 200)
  const r = parseRtcp(pkt)
  if ('error' in r) throw new Error(r.error)
  t.match(r, { type: 'sr', ssrc: 0x22222222, ntpSeconds: 0xe0000001, ntpFraction: 0x80000000, rtpTimestamp: 160, packetCount: 3, octetCount: 8000, cname: 'trunkgate@127.0.0.1', bye: true })
  t.same(r.blocks[0], block, '24-bit negative cumulative loss survives')
  t.equal(r.blocks[1].cumulativeLost, 0x7fffff)
  const rr = parseRtcp(buildRtcp({ type: 'rr', ssrc: 5, blocks: [] }))
  t.match(rr, { type: 'rr', ssrc: 5, blocks: [], cname: null, bye: false })
})

t.test('RTCP validity checks of RFC 3550 A.2', async t => {
  const good = buildRtcp({ type: 'rr', ssrc: 5, blocks: [], cname: 'x' })
  t.same(parseRtcp(good.subarray(0, 3)), { error: 'too-short' })
  const v = Buffer.from(good); v[0] = (v[0] & 0x3f) | 0x40
  t.same(parseRtcp(v), { error: 'bad-version' })
  t.same(parseRtcp(good.subarray(8)), { error: 'not-sr-or-rr-first' }, 'SDES alone is not a valid compound')
  const l = Buffer.from(good); l.writeUInt16BE(40, 2)
  t.same(parseRtcp(l), { error: 'bad-length' })
  const p = Buffer.from(good); p[0] |= 0x20
  t.same(parseRtcp(p), { error: 'bad-padding' }, 'padding bit on a packet that is not the last')
  const rc = Buffer.from(good); rc[0] = 0x81 // claims one report block that is not there
  t.same(parseRtcp(rc), { error: 'bad-length' })
  t.throws(() => buildRtcp({ type: 'rr', ssrc: 1, blocks: new Array(32).fill({ ssrc: 1, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 0, jitter: 0, lastSr: 0, delaySinceLastSr: 0 }) }), new RangeError('blocks must be an array of at most 31 report blocks'))
  t.throws(() => buildRtcp({ type: 'rr', ssrc: 1, blocks: [], cname: 'x'.repeat(256) }), new RangeError('cname must be at most 255 octets'))
  for (let i = 0; i < 5000; i++) parseRtcp(crypto.randomBytes(i % 80)) // never throws, never crashes
})

t.test('§6.4.1 RTT = A - LSR - DLSR', async t => {
  // A = 0xb7100000 (…), LSR = 0xb7050000, DLSR = 5 s (0x00050000) -> 6 s of 11 s elapsed: (0x0b0000 - 0x50000)/65536 = 6 s
  t.equal(rttFromReport(0xb7100000, 0xb7050000, 0x00050000), 6_000_000)
  t.equal(rttFromReport(0x00010000, 0xffff0000, 0), 2_000_000, 'wraps modulo 2^32')
  t.equal(rttFromReport(0xb7100000, 0, 0), -1, 'no SR received yet')
  t.equal(rttFromReport(0xb7000000, 0xb7050000, 0), -1, 'negative')
})

t.test('A.1: probation, 16-bit wrap into the extended sequence number, A.3 loss and fraction lost', async t => {
  const s = new RtpReceiveStats(8000, 0x1234)
  t.equal(s.onPacket(65530, 0, 0), false, 'first packet: probation')
  t.equal(s.onPacket(65531, 160, 20000), true, 'second in sequence: valid')
  let ts = 320; let at = 40000
  for (let seq = 65532; seq < 65536 + 100; seq++) {
    if (seq % 10 === 0) { ts += 160; at += 20000; continue } // drop every 10th
    s.onPacket(seq & 0xffff, ts >>> 0, at); ts += 160; at += 20000
  }
  const snap = s.snapshot()
  t.equal(snap.extendedHighestSeq, 65536 + 99, 'one cycle counted')
  t.equal(snap.expected, 65536 + 99 - 65531 + 1)
  t.equal(snap.cumulativeLost, 10)
  const rb = s.makeReportBlock(at)
  t.equal(rb.cumulativeLost, 10)
  t.equal(rb.fractionLost, Math.floor(10 * 256 / snap.expected))
  t.equal(rb.jitter, 0, 'perfectly paced arrivals: no jitter')
  // Second interval: no loss -> fraction 0 while the cumulative count stays.
  for (let seq = 100; seq < 150; seq++) { s.onPacket(seq, ts >>> 0, at); ts += 160; at += 20000 }
  const rb2 = s.makeReportBlock(at)
  t.equal(rb2.fractionLost, 0)
  t.equal(rb2.cumulativeLost, 10)
  // Duplicates are counted as received: cumulative loss may shrink (A.3).
  s.onPacket(149, (ts - 160) >>> 0, at)
  t.equal(s.makeReportBlock(at).cumulativeLost, 9)
})

t.test('A.1: a large jump restarts the sequence only when the next packet confirms it', async t => {
  const s = new RtpReceiveStats(8000, 1)
  s.onPacket(1, 0, 0); s.onPacket(2, 160, 20000); s.onPacket(3, 320, 40000)
  t.equal(s.onPacket(30000, 480, 60000), false, 'jump beyond MAX_DROPOUT is held back')
  t.equal(s.onPacket(30001, 640, 80000), true, 'confirmed by the next in-sequence packet')
  t.equal(s.snapshot().restarts, 1)
  t.equal(s.snapshot().extendedHighestSeq, 30001)
})

t.test('A.8: interarrival jitter converges to the mean deviation of transit times', async t => {
  const s = new RtpReceiveStats(8000, 1)
  // Alternating +0 / +10 ms arrival offsets: |D| = 80 units each packet, J -> 80 (J += (|D| - J)/16).
  for (let i = 0; i < 400; i++) s.onPacket(i, i * 160, i * 20000 + (i % 2) * 10000)
  const snap = s.snapshot()
  t.ok(Math.abs(snap.jitter - 80) <= 2, `jitter ${snap.jitter} units`)
  t.ok(Math.abs(snap.jitterMs - 10) < 0.3, `${snap.jitterMs.toFixed(2)} ms`)
})

t.test('LSR/DLSR: the report block carries the middle 32 bits of the last SR and the delay since', async t => {
  const s = new RtpReceiveStats(8000, 9)
  s.onPacket(1, 0, 0); s.onPacket(2, 160, 20000)
  t.equal(s.makeReportBlock(30000).lastSr, 0, 'no SR yet')
  s.onSenderReport(0x0000abcd, 0x12340000, 1_000_000)
  const rb = s.makeReportBlock(1_500_000)
  t.equal(rb.lastSr, 0xabcd1234)
  t.equal(rb.delaySinceLastSr, 32768, '0.5 s in 1/65536 s units')
})
