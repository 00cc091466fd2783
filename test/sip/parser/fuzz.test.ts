// Mutation fuzzing of the parser: random edits of valid (and invalid) messages must only ever end in
// a parsed message or a SipError — never a TypeError, RangeError or a hang. A message the parser
// accepts must also be usable: the core typed accessors work and serialize → parse round-trips.
// The PRNG is seeded so a failure reproduces; set SIP_FUZZ_SEED / SIP_FUZZ_ITERATIONS to explore.

import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { parseMessage } from '../../../src/sip/parser/parser'
import { serializeMessage } from '../../../src/sip/parser/serializer'
import { SipError } from '../../../src/sip/sip-error'
import type { SipMessage } from '../../../src/sip/message/types'
import {
  getCallId, getContacts, getCSeq, getFrom, getHeader, getHeaders, getMaxForwards, getTo, getVias
} from '../../../src/sip/message/headers'
import { formatUri, parseUri, uriEquals } from '../../../src/sip/message/uri'
import { formatNameAddr } from '../../../src/sip/message/name-addr'
import { formatVia } from '../../../src/sip/message/via'

const seed = Number(process.env.SIP_FUZZ_SEED ?? 0x5eed4475)
const iterations = Number(process.env.SIP_FUZZ_ITERATIONS ?? 20000)

/** mulberry32: small, fast, good enough to spread mutations. */
function prng (s: number): () => number {
  let a = s >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const dir = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors', 'sip', 'rfc4475')
const corpus: Buffer[] = fs.readdirSync(dir).filter(f => f.endsWith('.dat')).map(f => fs.readFileSync(path.join(dir, f)))
corpus.push(Buffer.from([
  'INVITE sip:+15550100@trunk.example.net;user=phone SIP/2.0',
  'Via: SIP/2.0/TLS [2001:db8::5]:5061;branch=z9hG4bK-1;rport;received=2001:db8::6',
  'Max-Forwards: 70',
  'From: "Caller, Inc." <sip:+15550199@pbx.example.com>;tag=abc',
  'To: <tel:+15550100;phone-context=example.net>',
  'Call-ID: 1@pbx',
  'CSeq: 1 INVITE',
  'Contact: <sip:pbx.example.com;transport=tls>;expires=60, *',
  'Route: <sip:p1.example.net;lr>, <sip:p2.example.net;lr;x=%41>',
  'Content-Type: application/sdp',
  'Content-Length: 10',
  '',
  'v=0\r\ns=-\r\n'
].join('\r\n')))

const INTERESTING = [' ', '\t', '\r', '\n', ':', ';', ',', '"', '<', '>', '%', '\\', '@', '[', ']', '=', '?', '/', '0', '9', '\x00', '\x7f', '\xff', '*']
const INSERTS = ['\r\n', '\r\n ', '\r\n\r\n', '%00', '%', '"', '<', 'SIP/2.0/', ';branch=', ';tag=', ',',
  'Content-Length: 5\r\n', 'l: 99999999999\r\n', 'Via: ,\r\n', 'CSeq: 4294967296 INVITE\r\n', 'To: a, b\r\n',
  'Contact: "\r\n', 'Max-Forwards: 256\r\n', 'i: x\r\n', '\u00e9', '\ud83d\ude00', 'SIP/2.0 200 OK\r\n']

function mutate (input: Buffer, rnd: () => number): Buffer {
  let buf = Buffer.from(input)
  const pick = (n: number): number => Math.floor(rnd() * n)
  const edits = 1 + pick(4)
  for (let e = 0; e < edits; e++) {
    const at = pick(buf.length + 1)
    switch (pick(7)) {
      case 0: if (buf.length > 0) buf[Math.min(at, buf.length - 1)] = pick(256); break
      case 1: if (buf.length > 0) buf[Math.min(at, buf.length - 1)] = Buffer.from(INTERESTING[pick(INTERESTING.length)] ?? ' ', 'latin1')[0] ?? 32; break
      case 2: buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + 1 + pick(20)))]); break
      case 3: {
        const len = 1 + pick(40)
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + len), buf.subarray(at)])
        break
      }
      case 4: buf = Buffer.concat([buf.subarray(0, at), Buffer.from(INSERTS[pick(INSERTS.length)] ?? '', 'utf8'), buf.subarray(at)]); break
      case 5: buf = buf.subarray(0, at); break
      case 6: {
        const lines = buf.toString('latin1').split('\r\n')
        const i = pick(lines.length)
        const j = pick(lines.length)
        const li = lines[i] ?? ''
        lines[i] = lines[j] ?? ''
        lines[j] = li
        buf = Buffer.from(lines.join('\r\n'), 'latin1')
        break
      }
    }
  }
  return buf
}

function withoutLength (m: SipMessage): unknown {
  return { ...m, headers: m.headers.filter(h => h.name !== 'Content-Length'), body: m.body.toString('hex') }
}

/** What an accepted message promises to the layers above. */
function exercise (m: SipMessage): void {
  for (const v of getVias(m)) formatVia(v)
  formatNameAddr(getFrom(m))
  formatNameAddr(getTo(m))
  getCSeq(m)
  getCallId(m)
  for (const c of getContacts(m)) formatNameAddr(c)
  getMaxForwards(m)
  if (m.kind === 'request') {
    const u = parseUri(m.uri)
    if (!uriEquals(u, u)) throw new Error('URI not equal to itself')
    if (u.scheme === 'sip' || u.scheme === 'sips') {
      if (!uriEquals(parseUri(formatUri(u)), u)) throw new Error(`formatUri changed the URI: ${m.uri}`)
    }
  }
  const again = parseMessage(serializeMessage(m))
  if (JSON.stringify(withoutLength(again)) !== JSON.stringify(withoutLength(m))) throw new Error('round-trip changed the message')
}

t.test(`random mutations (seed ${seed}, ${iterations} iterations) only ever yield SipError`, async t => {
  const rnd = prng(seed)
  const failures: string[] = []
  let accepted = 0
  let rejected = 0
  for (let i = 0; i < iterations && failures.length < 5; i++) {
    const input = mutate(corpus[Math.floor(rnd() * corpus.length)] ?? Buffer.alloc(0), rnd)
    let m: SipMessage
    try {
      m = parseMessage(input)
    } catch (err) {
      if (err instanceof SipError) { rejected++; continue }
      failures.push(`parse threw ${String(err)} on ${JSON.stringify(input.toString('latin1'))}`)
      continue
    }
    accepted++
    try {
      exercise(m)
    } catch (err) {
      failures.push(`accepted message failed downstream: ${String(err)} on ${JSON.stringify(input.toString('latin1'))}`)
    }
    // Optional accessors may reject odd values, but only with SipError.
    for (const name of ['Route', 'Record-Route', 'Supported', 'Require', 'Accept', 'Subject']) {
      try { getHeaders(m, name); getHeader(m, name) } catch (err) {
        if (!(err instanceof SipError)) failures.push(`getHeaders(${name}) threw ${String(err)}`)
      }
    }
  }
  t.same(failures, [], 'no non-SipError failures')
  t.ok(accepted > iterations / 20, `some mutants still parse (${accepted})`)
  t.ok(rejected > iterations / 20, `some mutants are rejected (${rejected})`)
})

t.test('adversarial shapes finish (no quadratic blow-up, no hang)', async t => {
  const head = 'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n'
  const shapes = [
    `Via: SIP/2.0/UDP h${';'.repeat(60000)}\r\n`,
    `Via: ${'SIP/2.0/UDP h,'.repeat(4000)}\r\n`,
    `Route: ${'"'.repeat(60001)}\r\n`,
    `Contact: ${'<'.repeat(60000)}\r\n`,
    `X: a\r\n${' b\r\n'.repeat(15000)}`,
    `To: <sip:${'%41'.repeat(18000)}@b>\r\n`,
    `${'X: y\r\n'.repeat(10000)}`
  ]
  for (const shape of shapes) {
    const buf = Buffer.from(head + shape + '\r\n')
    try {
      parseMessage(buf)
      t.pass(`accepted ${shape.slice(0, 20)}…`)
    } catch (err) {
      t.ok(err instanceof SipError, `SipError for ${shape.slice(0, 20)}…`)
    }
  }
})
