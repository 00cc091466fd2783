// Property/mutation fuzz targets (fast-check) for every parser that reads peer input: the SIP message,
// URI, name-addr, Via, digest auth-params, SDP, SDES a=crypto and sipfrag. One table, used by the
// bounded tap test (test/fuzz/parsers.test.ts) and by the long-running runner (npm run fuzz).
//
// Invariants, for any input:
//  - only typed parse errors escape (SipError; parseAuthHeader answers null);
//  - anything accepted serializes and re-parses equal;
//  - a SIP message rejected after its start line was read can always be answered: the transport's
//    error response builds and serializes, or the transport closes the connection (issue 17 item 1).
import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { parseMessage } from '../../src/sip/parser/parser'
import { serializeMessage } from '../../src/sip/parser/serializer'
import { findHeaderEnd } from '../../src/sip/parser/framing'
import { SipError } from '../../src/sip/sip-error'
import type { SipMessage } from '../../src/sip/message/types'
import { formatUri, parseUri, uriEquals } from '../../src/sip/message/uri'
import { formatNameAddr, parseNameAddr } from '../../src/sip/message/name-addr'
import { formatVia, parseVia } from '../../src/sip/message/via'
import { parseAuthHeader, quote } from '../../src/sip/auth/auth-params'
import { parseSdp } from '../../src/sdp/sdp-parser'
import { serializeSdp } from '../../src/sdp/sdp-serializer'
import { formatCryptoAttribute, parseCryptoAttribute } from '../../src/sdp/crypto-attribute'
import { formatSipfrag, parseSipfrag } from '../../src/transfer/sipfrag'
import { buildErrorResponse, canBeAnswered, readRawMessageHead } from '../../src/sip/transport/error-response'

export interface FuzzTarget {
  name: string
  /** Inputs drawn from seeds (mutated) and from scratch. */
  arbitrary: fc.Arbitrary<string>
  /** Throws an Error describing the broken invariant. */
  check: (input: string) => void
  /** Inputs that once broke an invariant; always run first. */
  regressions: string[]
}

const RFC4475 = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors', 'sip', 'rfc4475')
const RFC4475_DIR = fs.existsSync(RFC4475) ? RFC4475 : path.resolve(__dirname, '..', 'vectors', 'sip', 'rfc4475')

/** The RFC 4475 torture messages (latin1 keeps every octet as one char). */
export function torture (): string[] {
  return fs.readdirSync(RFC4475_DIR).filter(f => f.endsWith('.dat')).sort()
    .map(f => fs.readFileSync(path.join(RFC4475_DIR, f)).toString('latin1'))
}

/** Octets and tokens that have broken SIP/SDP parsers before: separators, quotes, escapes, line breaks. */
const INTERESTING = [' ', '\t', '\r', '\n', '\r\n', '\r\n ', ':', ';', ',', '"', '\\', '<', '>', '%', '%00', '%4', '@',
  '[', ']', '=', '?', '/', '*', '\x00', '\x7f', '\xff', '\u00e9', '\ud83d\ude00', 'SIP/2.0', ';branch=z9hG4bK', ';tag=',
  ';lr', 'sip:', 'sips:', 'tel:', 'inline:', '|2^31', '|1:4', '\r\nContent-Length: 0', '\r\nl: 99999999999']

/**
 * Text as a parser receives it: octets off the wire decoded as UTF-8 (invalid sequences become
 * U+FFFD), so never a lone surrogate that no peer could send.
 */
function wire (maxLength: number): fc.Arbitrary<string> {
  return fc.uint8Array({ maxLength }).map(b => Buffer.from(b).toString('utf8'))
}

type Edit = { at: number, op: 0 | 1 | 2 | 3, text: string, len: number }

const editArb: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
  text: fc.oneof(fc.constantFrom(...INTERESTING), wire(6)),
  len: fc.integer({ min: 1, max: 24 })
})

function applyEdits (seed: string, edits: Edit[]): string {
  let s = seed
  for (const e of edits) {
    const at = s.length === 0 ? 0 : e.at % (s.length + 1)
    switch (e.op) {
      case 0: s = s.slice(0, at) + e.text + s.slice(at); break // insert
      case 1: s = s.slice(0, at) + s.slice(at + e.len); break // delete
      case 2: s = s.slice(0, at) + e.text + s.slice(at + e.text.length); break // overwrite
      case 3: s = s.slice(0, at) + s.slice(at, at + e.len) + s.slice(at); break // duplicate a run
    }
  }
  return s
}

/** Seeds, mutated by up to five edits, plus free-form strings. */
function mutated (seeds: string[], free: fc.Arbitrary<string> = wire(80)): fc.Arbitrary<string> {
  return fc.oneof(
    // Edits can split a surrogate pair; what a peer sends is octets, so re-decode as the wire would.
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(editArb, { minLength: 1, maxLength: 5 })).map(([s, e]) => Buffer.from(applyEdits(s, e), 'utf8').toString('utf8')) },
    { weight: 1, arbitrary: fc.constantFrom(...seeds) },
    { weight: 1, arbitrary: free }
  )
}

/**
 * A header value as the message parser hands it on: unfolded, and never with a CR or LF (a bare one
 * is a 400 before any header parser runs), so those targets are fuzzed on that domain.
 */
function headerValue (arb: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return arb.map(s => s.replace(/[\r\n]+/g, ' '))
}

/** Runs fn; a SipError is a legitimate rejection (returns null), anything else breaks the invariant. */
function typed<T> (what: string, input: string, fn: () => T): T | null {
  try {
    return fn()
  } catch (err) {
    if (err instanceof SipError) return null
    throw new Error(`${what} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} on ${JSON.stringify(input)}`)
  }
}

function same (what: string, input: string, a: unknown, b: unknown): void {
  const ja = JSON.stringify(a, mapsAsEntries)
  const jb = JSON.stringify(b, mapsAsEntries)
  if (ja !== jb) throw new Error(`${what} round-trip changed ${JSON.stringify(input)}: ${ja} != ${jb}`)
}

function mapsAsEntries (_k: string, v: unknown): unknown {
  if (v instanceof Map) return [...v.entries()]
  if (Buffer.isBuffer(v)) return v.toString('hex')
  if (typeof v === 'bigint') return v.toString()
  return v
}

function withoutLength (m: SipMessage): unknown {
  return { ...m, headers: m.headers.filter(h => h.name !== 'Content-Length'), body: m.body.toString('hex') }
}

const MESSAGE_SEED = [
  'INVITE sip:+15550100@trunk.example.net;user=phone SIP/2.0',
  'Via: SIP/2.0/TLS [2001:db8::5]:5061;branch=z9hG4bK-1;rport;received=2001:db8::6',
  'Max-Forwards: 70',
  'From: "Caller, Inc." <sip:+15550199@pbx.example.com>;tag=abc',
  'To: <tel:+15550100;phone-context=example.net>',
  'Call-ID: 1@pbx',
  'CSeq: 1 INVITE',
  'Contact: <sip:pbx.example.com;transport=tls>;expires=60',
  'Record-Route: <sip:p1.example.net;lr>, "Proxy" <sip:p2.example.net;lr;x=%41>',
  'Allow: INVITE, ACK, BYE, CANCEL, OPTIONS',
  'Content-Type: application/sdp',
  'Content-Length: 10',
  '',
  'v=0\r\ns=-\r\n'
].join('\r\n')

function checkMessage (input: string): void {
  const buf = Buffer.from(input, 'latin1')
  let msg: SipMessage | null = null
  let rejection: SipError | null = null
  try {
    msg = parseMessage(buf)
  } catch (err) {
    if (!(err instanceof SipError)) throw new Error(`parseMessage threw ${String(err)} on ${JSON.stringify(input)}`)
    rejection = err
  }
  if (msg !== null) {
    const again = typed('re-parse', input, () => parseMessage(serializeMessage(msg)))
    if (again === null) throw new Error(`accepted message does not re-parse: ${JSON.stringify(input)}`)
    same('message', input, withoutLength(again), withoutLength(msg))
    return
  }
  // What the stream transport does with a rejected message: answer it if it can, else close.
  const end = findHeaderEnd(buf)
  const head = readRawMessageHead(end < 0 ? buf : buf.subarray(0, end))
  if (rejection !== null && canBeAnswered(head)) {
    try {
      serializeMessage(buildErrorResponse(head, rejection))
    } catch (err) {
      throw new Error(`no error response can be sent for ${JSON.stringify(input)}: ${String(err)}`)
    }
  }
}

const URI_SEEDS = ['sip:alice@atlanta.com', 'sips:+15550100@trunk.example.net:5061;user=phone;transport=tls',
  'sip:[2001:db8::10]:5070;lr;maddr=192.0.2.1', 'sip:%61lice:secret@host;x=%20y?subject=project%20x&priority=urgent',
  'tel:+1-201-555-0123;phone-context=example.com', 'sip:user;par=v@host', 'SIP:A@B.COM;TRANSPORT=TCP']

function checkUri (input: string): void {
  const u = typed('parseUri', input, () => parseUri(input))
  if (u === null) return
  if (!uriEquals(u, u)) throw new Error(`URI not equal to itself: ${JSON.stringify(input)}`)
  if (u.scheme !== 'sip' && u.scheme !== 'sips') return
  const again = typed('re-parse', input, () => parseUri(formatUri(u)))
  if (again === null || !uriEquals(again, u)) throw new Error(`formatUri changed ${JSON.stringify(input)} to ${formatUri(u)}`)
}

const NAME_ADDR_SEEDS = ['"Alice \\"A\\" Liddell" <sip:alice@atlanta.com>;tag=1928301774', '<sip:bob@biloxi.com>',
  'sip:carol@chicago.com;tag=x', 'Bob <sips:bob@biloxi.com:5061;transport=tls>;expires=60;q=0.5', '*',
  '<tel:+15550100;phone-context=example.net>', '"\u00e9\u00e8" <sip:u@h>;x="quoted;value"']

function checkNameAddr (input: string): void {
  const n = typed('parseNameAddr', input, () => parseNameAddr(input))
  if (n === null) return
  const text = formatNameAddr(n)
  const again = typed('re-parse', input, () => parseNameAddr(text))
  if (again === null) throw new Error(`formatNameAddr output does not parse: ${JSON.stringify(input)} → ${JSON.stringify(text)}`)
  // An empty display name ("" <sip:…>) and none are the same name-addr; the formatter omits it.
  same('name-addr', input, again, n.displayName === '' ? { ...n, displayName: null } : n)
}

const VIA_SEEDS = ['SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9', 'SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK-x;rport=5061;received=2001:db8::1',
  'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1;rport;alias', 'SIP / 2.0 / TCP host ; branch = z9hG4bK-2 ; maddr=224.2.0.1;ttl=16']

function checkVia (input: string): void {
  const v = typed('parseVia', input, () => parseVia(input))
  if (v === null) return
  const text = formatVia(v)
  const again = typed('re-parse', input, () => parseVia(text))
  if (again === null) throw new Error(`formatVia output does not parse: ${JSON.stringify(input)} → ${JSON.stringify(text)}`)
  same('via', input, again, v)
}

const DIGEST_SEEDS = ['Digest realm="trunkgate", nonce="abc123", algorithm=SHA-256, qop="auth", opaque="x"',
  'Digest username="trunk1", realm="trunkgate", nonce="n", uri="sip:+15550100@gw", response="0123456789abcdef", algorithm=MD5, cnonce="c", qop=auth, nc=00000001',
  'Digest realm="a\\"b\\\\c", nonce="", stale=TRUE']

function checkDigest (input: string): void {
  let v
  try {
    v = parseAuthHeader(input)
  } catch (err) {
    throw new Error(`parseAuthHeader threw ${String(err)} on ${JSON.stringify(input)}`)
  }
  if (v === null) return
  const text = `${v.scheme} ${[...v.params].map(([k, x]) => `${k}=${quote(x)}`).join(', ')}`
  const again = parseAuthHeader(text)
  if (again === null) throw new Error(`re-quoted auth-params do not parse: ${JSON.stringify(input)} → ${JSON.stringify(text)}`)
  same('auth-params', input, again, v)
}

const SDP_SEEDS = [
  ['v=0', 'o=- 1 2 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 40000 RTP/SAVP 9 0 8 101', 'a=rtpmap:9 G722/8000',
    'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=rtcp:40001 IN IP4 192.0.2.11', 'a=rtcp-mux', 'a=sendonly',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4', ''].join('\r\n'),
  ['v=0', 'o=peer 7 1 IN IP6 2001:db8::1', 's=call', 'c=IN IP6 2001:db8::1', 'b=AS:64', 't=0 0', 'm=audio 5004 RTP/AVP 0', 'a=recvonly',
    'm=video 0 RTP/AVP 96', ''].join('\r\n')
]

function checkSdp (input: string): void {
  const sd = typed('parseSdp', input, () => parseSdp(input))
  if (sd === null) return
  const text = serializeSdp(sd)
  const again = typed('re-parse', input, () => parseSdp(text))
  if (again === null) throw new Error(`serialized SDP does not parse: ${JSON.stringify(input)} → ${JSON.stringify(text)}`)
  same('sdp', input, serializeSdp(again), text)
}

const SDES_SEEDS = ['1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4',
  '2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31 FEC_ORDER=FEC_SRTP',
  '3 AEAD_AES_256_GCM inline:CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=',
  '4 aes_cm_128_hmac_sha1_80 INLINE:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR;inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1066:4 UNENCRYPTED_SRTP']

function checkSdes (input: string): void {
  const c = typed('parseCryptoAttribute', input, () => parseCryptoAttribute(input))
  if (c === null) return
  const text = formatCryptoAttribute(c)
  const again = typed('re-parse', input, () => parseCryptoAttribute(text))
  if (again === null) throw new Error(`formatted a=crypto does not parse: ${JSON.stringify(input)} → ${JSON.stringify(text)}`)
  same('a=crypto', input, formatCryptoAttribute(again), text)
}

const SIPFRAG_SEEDS = ['SIP/2.0 100 Trying\r\n', 'SIP/2.0 180 Ringing\r\nContact: <sip:x@y>\r\n', '  SIP/2.0 200 OK', 'SIP/2.0 503 Service Unavailable\r\n\r\n', 'SIP/2.0 486']

function checkSipfrag (input: string): void {
  const f = typed('parseSipfrag', input, () => parseSipfrag(input))
  if (f === null) return
  const again = typed('re-parse', input, () => parseSipfrag(formatSipfrag(f.status, f.reason)))
  if (again === null) throw new Error(`formatted sipfrag does not parse: ${JSON.stringify(input)}`)
  same('sipfrag', input, again, f)
}

/** The issue 17 defects, kept as regression inputs of the message target. */
const MESSAGE_REGRESSIONS = [
  // item 1: bare CR inside fields the 400 copies
  'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK-\r1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
  'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK-1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\ry\r\nCSeq: 1 OPT\rIONS\r\nContent-Length: 0\r\n\r\n',
  // item 3: unterminated quoted strings in headers read later
  'INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK-1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nAllow: INVITE, "ACK\r\nRecord-Route: <sip:p;lr>;x="open\r\nContent-Length: 0\r\n\r\n',
  // item 5: a method that is not a token
  'OPT@IONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK-1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'
]

export const TARGETS: readonly FuzzTarget[] = [
  { name: 'message', arbitrary: mutated([MESSAGE_SEED, ...torture()]), check: checkMessage, regressions: MESSAGE_REGRESSIONS },
  { name: 'uri', arbitrary: headerValue(mutated(URI_SEEDS)), check: checkUri, regressions: ['sip:a@[::1', 'sip:@', 'sip:a@b;=x'] },
  { name: 'name-addr', arbitrary: headerValue(mutated(NAME_ADDR_SEEDS)), check: checkNameAddr, regressions: ['"unterminated <sip:a@b>', '<sip:a@b>;x="open'] },
  { name: 'via', arbitrary: headerValue(mutated(VIA_SEEDS)), check: checkVia, regressions: ['SIP/2.0/UDP 192.0.2.1;branch', 'SIP/2.0/TCP [::1', 'SIP/2.0/TLS [8p{$2009]:5061;branch=z9hG4bK-1'] },
  { name: 'digest', arbitrary: headerValue(mutated(DIGEST_SEEDS)), check: checkDigest, regressions: ['Digest a="\\', 'Digest a=b, a=c'] },
  { name: 'sdp', arbitrary: mutated(SDP_SEEDS), check: checkSdp, regressions: [] },
  { name: 'sdes', arbitrary: mutated(SDES_SEEDS), check: checkSdes, regressions: ['1 AeS_Cm_128_HmAC_shA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR', '4 X INLNLINE:abc;inline:P 1uQ|1066:4'] },
  { name: 'sipfrag', arbitrary: mutated(SIPFRAG_SEEDS), check: checkSipfrag, regressions: ['SIP/2.0 200 \r\n', 'SIP/2.0 200 OK \t'] }
]

export function targetByName (name: string): FuzzTarget | undefined {
  return TARGETS.find(t => t.name === name)
}

/** Runs one target: regressions first, then fast-check for numRuns or until the time limit. */
export function runTarget (target: FuzzTarget, opts: { seed: number, numRuns?: number, timeLimitMs?: number }): { runs: number } {
  for (const input of target.regressions) target.check(input)
  let runs = 0
  fc.assert(fc.property(target.arbitrary, input => { runs++; target.check(input) }), {
    seed: opts.seed,
    numRuns: opts.numRuns ?? Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: opts.timeLimitMs,
    markInterruptAsFailure: false,
    endOnFailure: true
  })
  return { runs }
}
