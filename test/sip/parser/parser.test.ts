import t, { type Test } from 'tap'
import { parseMessage, SipParseError, DEFAULT_PARSE_LIMITS } from '../../../src/sip/parser/parser'
import { findHeaderEnd, readContentLength, skipLeadingCrlf } from '../../../src/sip/parser/framing'
import { SipError } from '../../../src/sip/sip-error'
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message/types'
import { getCallId, getContacts, getCSeq, getFrom, getHeader, getHeaders, getMaxForwards, getTo, getVias } from '../../../src/sip/message/headers'

const CORE = [
  'Via: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE'
]

function msg (startLine: string, headers: string[], body: string = '', eol: string = '\r\n'): Buffer {
  return Buffer.from([startLine, ...headers, '', body].join(eol))
}

function invite (headers: string[] = CORE, body: string = ''): Buffer {
  return msg('INVITE sip:bob@biloxi.example.com SIP/2.0', headers, body)
}

function parseReq (buf: Buffer): SipRequest {
  const m = parseMessage(buf)
  if (m.kind !== 'request') throw new Error('expected request')
  return m
}

function parseRes (buf: Buffer): SipResponse {
  const m = parseMessage(buf)
  if (m.kind !== 'response') throw new Error('expected response')
  return m
}

function rejects (t: Test, buf: Buffer, status: number, code: string, what: string, close: boolean = false): SipError | undefined {
  try {
    parseMessage(buf)
    t.fail(`accepted: ${what}`)
    return undefined
  } catch (err) {
    if (!(err instanceof SipError)) { t.fail(`not a SipError: ${String(err)}`); return undefined }
    t.match({ status: err.status, code: err.code, closeConnection: err.closeConnection }, { status, code, closeConnection: close }, what)
    return err
  }
}

t.test('Request-Line (RFC 3261 §7.1)', async t => {
  const r = parseReq(invite())
  t.equal(r.method, 'INVITE')
  t.equal(r.uri, 'sip:bob@biloxi.example.com')
  t.equal(r.version, 'SIP/2.0')
  const lower = parseReq(msg('INVITE sip:bob@biloxi.example.com sip/2.0', CORE))
  t.equal(lower.version, 'SIP/2.0', 'SIP-Version literal is case-insensitive')
  const rows: Array<[string, number, string, string]> = [
    ['INVITE sip:bob@biloxi.example.com SIP/3.0', 505, 'SIP_ERR_VERSION_NOT_SUPPORTED', 'SIP/3.0'],
    ['INVITE sip:bob@biloxi.example.com SIP/2.1', 505, 'SIP_ERR_VERSION_NOT_SUPPORTED', 'SIP/2.1'],
    ['INVITE sip:bob@biloxi.example.com SIP/2', 400, 'SIP_ERR_BAD_START_LINE', 'version without minor'],
    ['INVITE sip:bob@biloxi.example.com HTTP/1.1', 400, 'SIP_ERR_BAD_START_LINE', 'not SIP'],
    ['INVITE sip:bob@biloxi.example.com', 400, 'SIP_ERR_BAD_START_LINE', 'no version'],
    ['INVITE  sip:bob@biloxi.example.com SIP/2.0', 400, 'SIP_ERR_BAD_START_LINE', 'two SP'],
    ['INVITE sip:bob@biloxi.example.com SIP/2.0 ', 400, 'SIP_ERR_BAD_START_LINE', 'trailing SP'],
    ['INVITE\tsip:bob@biloxi.example.com SIP/2.0', 400, 'SIP_ERR_BAD_START_LINE', 'HTAB separator'],
    ['INVITE sip:bob@biloxi.example.com; lr SIP/2.0', 400, 'SIP_ERR_BAD_START_LINE', 'LWS in Request-URI'],
    ['INVITE <sip:bob@biloxi.example.com> SIP/2.0', 400, 'SIP_ERR_BAD_URI', '<> around Request-URI'],
    ['INV:TE sip:bob@biloxi.example.com SIP/2.0', 400, 'SIP_ERR_BAD_START_LINE', 'method not a token'],
    ['INVITE sip:bob@biloxi.example.com?Route=%3Csip:x%3E SIP/2.0', 400, 'SIP_ERR_BAD_REQUEST_URI', 'headers in Request-URI'],
    ['INVITE sip:bob@ SIP/2.0', 400, 'SIP_ERR_BAD_URI', 'no host']
  ]
  for (const [line, status, code, what] of rows) rejects(t, msg(line, CORE), status, code, what)
})

t.test('Request-URI schemes: kept raw, tel/IPv6/unknown accepted', async t => {
  for (const uri of ['tel:+15550100;phone-context=example.com', 'sip:[2001:db8::1]:5060;transport=tcp', 'urn:service:sos', 'sips:%61lice@example.com']) {
    t.equal(parseReq(msg(`INVITE ${uri} SIP/2.0`, CORE)).uri, uri, uri)
  }
})

t.test('Status-Line (RFC 3261 §7.2)', async t => {
  const res = (line: string): Buffer => msg(line, CORE)
  t.match(parseRes(res('SIP/2.0 180 Ringing')), { status: 180, reason: 'Ringing' })
  t.match(parseRes(res('SIP/2.0 404 Not Found Here')), { status: 404, reason: 'Not Found Here' }, 'reason with spaces')
  t.match(parseRes(res('SIP/2.0 100 ')), { status: 100, reason: '' }, 'empty reason')
  t.match(parseRes(res('SIP/2.0 100')), { status: 100, reason: '' }, 'missing SP tolerated')
  t.match(parseRes(res('SIP/2.0 699 x')), { status: 699 })
  for (const line of ['SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/2.0 2000 OK', 'SIP/2.0 20 OK', 'SIP/2.0 2OO OK',
    'SIP/2.0 4294967301 overflow', 'SIP/2.0 200OK', 'SIP/2.0  200 OK', 'SIP/2.0']) {
    rejects(t, res(line), 400, line === 'SIP/2.0' ? 'SIP_ERR_BAD_START_LINE' : 'SIP_ERR_BAD_STATUS_CODE', line)
  }
  rejects(t, res('SIP/3.0 200 OK'), 505, 'SIP_ERR_VERSION_NOT_SUPPORTED', 'response version')
  rejects(t, res('SIP/2.0 200 O\rK'), 400, 'SIP_ERR_BAD_START_LINE', 'bare CR in the reason phrase')
})

t.test('header folding (RFC 3261 §7.3.1) and HCOLON whitespace', async t => {
  const r = parseReq(invite([
    'Via: SIP/2.0/TCP pc33.atlanta.example.com',
    '\t;branch=z9hG4bK776asdhds',
    'Max-Forwards   :    70',
    'To:',
    '   Bob',
    '   <sip:bob@biloxi.example.com>',
    'From\t: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159',
    ' INVITE',
    'Subject: I know you\'re there,',
    '         pick up the phone',
    '         and talk to me!'
  ]))
  t.equal(getVias(r)[0]?.branch, 'z9hG4bK776asdhds')
  t.equal(getMaxForwards(r), 70)
  t.equal(getHeader(r, 'To'), 'Bob <sip:bob@biloxi.example.com>')
  t.equal(getTo(r).displayName, 'Bob')
  t.same(getCSeq(r), { seq: 314159, method: 'INVITE' })
  t.equal(getHeader(r, 'Subject'), 'I know you\'re there, pick up the phone and talk to me!', 'RFC 3261 §7.3.1 example')
  rejects(t, invite([' folded: first', ...CORE]), 400, 'SIP_ERR_BAD_HEADER_LINE', 'continuation before the first header')
})

t.test('header names: compact forms, case, tokens', async t => {
  const r = parseReq(invite([
    'v: SIP/2.0/UDP a.example.com;branch=z9hG4bKa',
    'MAX-FORWARDS: 70',
    't: <sip:bob@biloxi.example.com>',
    'f: <sip:alice@atlanta.example.com>;tag=1',
    'i: abc@host',
    'cSeQ: 1 INVITE',
    'm: <sip:alice@192.0.2.1>',
    'k: timer',
    'c: application/sdp',
    'l: 3'
  ], 'v=0'))
  t.same(r.headers.map(h => h.name), ['Via', 'Max-Forwards', 'To', 'From', 'Call-ID', 'CSeq', 'Contact', 'Supported', 'Content-Type', 'Content-Length'])
  t.equal(r.body.toString(), 'v=0')
  rejects(t, invite([...CORE, 'Bad Name: x']), 400, 'SIP_ERR_BAD_HEADER_LINE', 'space inside a header name')
  rejects(t, invite([...CORE, 'NoColonHere']), 400, 'SIP_ERR_BAD_HEADER_LINE', 'line without colon')
  rejects(t, invite([...CORE, ': value']), 400, 'SIP_ERR_BAD_HEADER_LINE', 'empty name')
  rejects(t, invite([...CORE, 'X-A: a\rb']), 400, 'SIP_ERR_BAD_HEADER_LINE', 'bare CR inside a value')
  const utf8 = parseReq(invite([...CORE, 'Subject: Grüße 👋']))
  t.equal(getHeader(utf8, 'Subject'), 'Grüße 👋', 'UTF-8 values decoded')
})

t.test('line endings and leading CRLF (RFC 3261 §7.5)', async t => {
  const withKeepalives = Buffer.concat([Buffer.from('\r\n\r\n'), invite()])
  t.equal(parseReq(withKeepalives).method, 'INVITE', 'CRLFs before the start line are ignored')
  const lf = msg('INVITE sip:bob@biloxi.example.com SIP/2.0', [...CORE, 'Content-Length: 4'], 'v=0\n', '\n')
  const r = parseReq(lf)
  t.equal(getCallId(r), 'a84b4c76e66710@pc33.atlanta.example.com', 'bare-LF line endings tolerated')
  t.equal(r.body.toString(), 'v=0\n')
  rejects(t, Buffer.from('INVITE sip:bob@biloxi.example.com SIP/2.0\r\n' + CORE.join('\r\n') + '\r\n'), 400, 'SIP_ERR_INCOMPLETE_MESSAGE', 'no empty line')
  rejects(t, Buffer.from('\r\n\r\n'), 400, 'SIP_ERR_INCOMPLETE_MESSAGE', 'only CRLFs')
  rejects(t, Buffer.alloc(0), 400, 'SIP_ERR_INCOMPLETE_MESSAGE', 'empty buffer')
})

t.test('body is exactly Content-Length octets (RFC 3261 §18.3, §20.14)', async t => {
  const body = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n'
  const exact = parseReq(invite([...CORE, `Content-Length: ${body.length}`], body))
  t.equal(exact.body.toString(), body)
  const shorter = parseReq(invite([...CORE, 'Content-Length: 3'], body))
  t.equal(shorter.body.toString(), 'v=0', 'trailing octets ignored (datagram semantics)')
  const none = parseReq(invite(CORE, body))
  t.equal(none.body.toString(), body, 'no Content-Length: the rest of the datagram')
  const binary = Buffer.concat([invite([...CORE, 'Content-Length: 6']), Buffer.from([0, 0xff, 0x0a, 0x0d, 0x80, 0x7f])])
  t.same([...parseReq(binary).body], [0, 0xff, 0x0a, 0x0d, 0x80, 0x7f], 'binary body octets untouched')
  const source = invite([...CORE, 'Content-Length: 3'], 'abc')
  const parsed = parseReq(source)
  source.fill(0x41)
  t.equal(parsed.body.toString(), 'abc', 'body is a copy, not a view into the receive buffer')

  rejects(t, invite([...CORE, 'Content-Length: 500'], body), 400, 'SIP_ERR_INCOMPLETE_BODY', 'Content-Length beyond the buffer')
  for (const bad of ['-1', 'abc', '1 2', '0x10', '', '99999999999999999999', '+5']) {
    rejects(t, invite([...CORE, `Content-Length: ${bad}`]), 400, 'SIP_ERR_BAD_CONTENT_LENGTH', `Content-Length: ${bad}`, true)
  }
  rejects(t, invite([...CORE, 'Content-Length: 0', 'l: 0']), 400, 'SIP_ERR_BAD_CONTENT_LENGTH', 'two Content-Lengths, even equal', true)
  t.equal(parseReq(invite([...CORE, 'Content-Length:   0007  '], 'abcdefg')).body.length, 7, 'leading zeros and LWS')
})

t.test('mandatory headers (RFC 3261 §8.1.1) and single-value headers (§7.3.1)', async t => {
  const names = ['Via', 'To', 'From', 'Call-ID', 'CSeq']
  for (const name of names) {
    const headers = CORE.filter(h => !h.startsWith(name + ':'))
    rejects(t, invite(headers), 400, 'SIP_ERR_MISSING_HEADER', `missing ${name}`)
    rejects(t, msg('SIP/2.0 200 OK', headers), 400, 'SIP_ERR_MISSING_HEADER', `response missing ${name}`)
  }
  t.equal(getMaxForwards(parseReq(invite(CORE.filter(h => !h.startsWith('Max-Forwards'))))), null, 'Max-Forwards may be absent (RFC 2543 peers)')
  const dups: Array<[string, string]> = [
    ['To', 'To: <sip:carol@chicago.example.com>'],
    ['From', 'From: <sip:carol@chicago.example.com>;tag=2'],
    ['Call-ID', 'Call-ID: other@host'],
    ['CSeq', 'CSeq: 2 INVITE'],
    ['Max-Forwards', 'Max-Forwards: 10']
  ]
  for (const [name, line] of dups) rejects(t, invite([...CORE, line]), 400, 'SIP_ERR_MULTIPLE_VALUES', `second ${name} line`)
  const commaRows: Array<[string, string, string]> = [
    ['To', 'To: <sip:bob@biloxi.example.com>, <sip:carol@chicago.example.com>', 'SIP_ERR_MULTIPLE_VALUES'],
    ['From', 'From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43', 'SIP_ERR_MULTIPLE_VALUES'],
    ['Call-ID', 'Call-ID: a@b, c@d', 'SIP_ERR_BAD_CALL_ID'],
    ['CSeq', 'CSeq: 1 INVITE, 2 INVITE', 'SIP_ERR_BAD_CSEQ'],
    ['Max-Forwards', 'Max-Forwards: 70, 69', 'SIP_ERR_BAD_MAX_FORWARDS']
  ]
  for (const [name, line, code] of commaRows) {
    rejects(t, invite([...CORE.filter(h => !h.startsWith(name + ':')), line]), 400, code, `two ${name} values in one line`)
  }
  const quoted = parseReq(invite([...CORE.filter(h => !h.startsWith('To:')), 'To: "Bob, the builder" <sip:bob@biloxi.example.com>']))
  t.equal(getTo(quoted).displayName, 'Bob, the builder', 'a comma inside quotes is not a separator')
})

t.test('scalar values (RFC 3261 §8.1.1.5, §20.22; RFC 4475 §3.1.2.4)', async t => {
  const withHeader = (name: string, value: string): Buffer => invite([...CORE.filter(h => !h.startsWith(name + ':')), `${name}: ${value}`])
  t.equal(getCSeq(parseReq(withHeader('CSeq', '4294967295 INVITE'))).seq, 4294967295, '2^32-1 accepted')
  t.equal(getCSeq(parseReq(withHeader('CSeq', '0 INVITE'))).seq, 0)
  rejects(t, withHeader('CSeq', '4294967296 INVITE'), 400, 'SIP_ERR_BAD_CSEQ', 'CSeq 2^32')
  rejects(t, withHeader('CSeq', '-1 INVITE'), 400, 'SIP_ERR_BAD_CSEQ', 'negative CSeq')
  rejects(t, withHeader('CSeq', 'INVITE'), 400, 'SIP_ERR_BAD_CSEQ', 'CSeq without number')
  rejects(t, withHeader('CSeq', '1INVITE'), 400, 'SIP_ERR_BAD_CSEQ', 'CSeq without LWS')
  t.equal(getMaxForwards(parseReq(withHeader('Max-Forwards', '255'))), 255)
  t.equal(getMaxForwards(parseReq(withHeader('Max-Forwards', '0'))), 0)
  rejects(t, withHeader('Max-Forwards', '256'), 400, 'SIP_ERR_BAD_MAX_FORWARDS', 'Max-Forwards 256')
  rejects(t, withHeader('Max-Forwards', 'seventy'), 400, 'SIP_ERR_BAD_MAX_FORWARDS', 'Max-Forwards text')
})

t.test('CSeq method must match the request method (RFC 4475 §3.1.2.17/18)', async t => {
  const withCSeq = (line: string, cseq: string): Buffer => msg(line, [...CORE.filter(h => !h.startsWith('CSeq')), `CSeq: ${cseq}`])
  rejects(t, withCSeq('OPTIONS sip:bob@biloxi.example.com SIP/2.0', '1 INVITE'), 400, 'SIP_ERR_CSEQ_METHOD_MISMATCH', 'known method, mismatch')
  rejects(t, withCSeq('NEWMETHOD sip:bob@biloxi.example.com SIP/2.0', '1 INVITE'), 501, 'SIP_ERR_METHOD_NOT_IMPLEMENTED', 'unknown method, mismatch')
  rejects(t, withCSeq('INVITE sip:bob@biloxi.example.com SIP/2.0', '1 invite'), 400, 'SIP_ERR_CSEQ_METHOD_MISMATCH', 'methods are case-sensitive')
  t.equal(parseReq(withCSeq('NEWMETHOD sip:bob@biloxi.example.com SIP/2.0', '1 NEWMETHOD')).method, 'NEWMETHOD', 'unknown but consistent: the UA answers 501')
  t.equal(parseRes(msg('SIP/2.0 200 OK', [...CORE.filter(h => !h.startsWith('CSeq')), 'CSeq: 1 BYE'])).status, 200, 'responses are not checked against a method')
})

t.test('Via and Contact are validated on arrival', async t => {
  rejects(t, invite([...CORE, 'Via: SIP/2.0/UDP 192.0.2.15;;,;,,']), 400, 'SIP_ERR_BAD_PARAM', 'empty Via params')
  rejects(t, invite([...CORE, 'Via: SIP/2.0/UDP a.example.com, , SIP/2.0/UDP b.example.com']), 400, 'SIP_ERR_BAD_VIA', 'empty Via element')
  rejects(t, invite([...CORE, 'Contact: <sip:a@b']), 400, 'SIP_ERR_BAD_NAME_ADDR', 'unterminated <')
  rejects(t, invite([...CORE, 'Contact: "Joe <sip:a@b>']), 400, 'SIP_ERR_UNTERMINATED_QUOTE', 'unterminated quote')
  const r = parseReq(invite([...CORE, 'Via: SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKv6;received=2001:db8::2;rport=5061',
    'Contact: *', 'Contact: <sip:a@[2001:db8::9]:5070;transport=tls>;expires=60']))
  t.equal(getVias(r)[1]?.host, '2001:db8::1')
  t.equal(getVias(r)[1]?.params.get('received'), '2001:db8::2')
  t.equal(getContacts(r)[0]?.star, true)
  t.equal(getContacts(r)[1]?.uri.host, '2001:db8::9')
})

t.test('limits → 513 Message Too Large (RFC 3261 §21.5.14)', async t => {
  t.same(DEFAULT_PARSE_LIMITS, { maxMessageBytes: 65535, maxHeaders: 256, maxHeaderLineBytes: 16384 })
  const big = invite([...CORE, `Content-Length: 70000`], 'x'.repeat(70000))
  rejects(t, big, 513, 'SIP_ERR_MESSAGE_TOO_LARGE', 'over 65535 octets')
  t.throws(() => parseMessage(invite(), { maxMessageBytes: 100 }), { status: 513, code: 'SIP_ERR_MESSAGE_TOO_LARGE' }, 'custom maxMessageBytes')
  rejects(t, invite([...CORE, ...Array.from({ length: 251 }, (_, i) => `X-H${i}: ${i}`)]), 513, 'SIP_ERR_TOO_MANY_HEADERS', '257 header fields')
  t.equal(parseReq(invite([...CORE, ...Array.from({ length: 250 }, (_, i) => `X-H${i}: ${i}`)])).headers.length, 256, '256 header fields accepted')
  rejects(t, invite([...CORE, `X-Long: ${'a'.repeat(20000)}`]), 513, 'SIP_ERR_HEADER_LINE_TOO_LONG', 'one long line')
  const folded = Array.from({ length: 40 }, () => ` ${'b'.repeat(500)}`)
  rejects(t, invite([...CORE, 'X-Folded: a', ...folded]), 513, 'SIP_ERR_HEADER_LINE_TOO_LONG', 'long only after unfolding')
  t.throws(() => parseMessage(invite([...CORE, 'X-A: 12345678901234567890']), { maxHeaderLineBytes: 20 }), { status: 513, code: 'SIP_ERR_HEADER_LINE_TOO_LONG' }, 'custom maxHeaderLineBytes')
})

t.test('errors carry closeConnection only when stream framing is lost', async t => {
  const framing = rejects(t, invite([...CORE, 'Content-Length: -5']), 400, 'SIP_ERR_BAD_CONTENT_LENGTH', 'negative', true)
  t.ok(framing instanceof SipParseError && framing.partial !== null, 'partial message kept for the best-effort answer')
  const other = rejects(t, invite([...CORE, 'CSeq: 2 INVITE']), 400, 'SIP_ERR_MULTIPLE_VALUES', 'dup CSeq')
  t.equal(other?.closeConnection, false)
  const partial = (other as SipParseError).partial as SipMessage
  t.equal(getFrom(partial).params.get('tag'), '1928301774', 'the partial message has the headers to answer with')
  t.same(getHeaders(partial, 'CSeq'), ['314159 INVITE', '2 INVITE'])
})

t.test('framing helpers', async t => {
  t.equal(findHeaderEnd(Buffer.from('A\r\nB: c\r\n\r\nbody')), 11)
  t.equal(findHeaderEnd(Buffer.from('A\nB: c\n\nbody')), 8, 'bare LF')
  t.equal(findHeaderEnd(Buffer.from('A\r\nB: c\r\n')), -1, 'incomplete')
  t.equal(findHeaderEnd(Buffer.from('A\r\n\r\nB\r\n\r\n'), 5), 10, 'from an offset')
  t.equal(skipLeadingCrlf(Buffer.from('\r\n\r\nINVITE')), 4)
})

t.test('readContentLength for stream framers (RFC 3261 §18.3)', async t => {
  const read = (text: string): number | null => {
    const buf = Buffer.from(text)
    return readContentLength(buf, 0, findHeaderEnd(buf))
  }
  t.equal(read('INVITE sip:a@b SIP/2.0\r\nContent-Length: 150\r\n\r\n'), 150)
  t.equal(read('INVITE sip:a@b SIP/2.0\r\nl:0\r\n\r\n'), 0, 'compact form')
  t.equal(read('INVITE sip:a@b SIP/2.0\r\ncontent-LENGTH   :\r\n   42\r\n\r\n'), 42, 'any case, folded')
  t.equal(read('INVITE sip:a@b SIP/2.0\r\nX-Content-Length: 5\r\n\r\n'), null, 'absent')
  for (const bad of ['Content-Length: -999', 'Content-Length: 13\r\nl: 5', 'Content-Length: x']) {
    t.throws(() => read(`OPTIONS sip:a@b SIP/2.0\r\n${bad}\r\n\r\n`), { status: 400, code: 'SIP_ERR_BAD_CONTENT_LENGTH', closeConnection: true }, bad)
  }
})
