import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { parseMessage } from '../../../src/sip/parser/parser'
import { serializeMessage } from '../../../src/sip/parser/serializer'
import { getHeaders } from '../../../src/sip/message/headers'
import type { SipMessage, SipRequest } from '../../../src/sip/message/types'

const CORE = [
  'Via: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE'
]

function request (extra: string[] = [], body: string = ''): SipRequest {
  return parseMessage(Buffer.from(['INVITE sip:bob@biloxi.example.com SIP/2.0', ...CORE, ...extra, '', body].join('\r\n'))) as SipRequest
}

t.test('wire format: start line, headers in order, Content-Length, CRLF, body', async t => {
  const m = request(['Contact: <sip:alice@pc33.atlanta.example.com>', 'Content-Type: application/sdp', 'Content-Length: 5'], 'v=0\r\n')
  const wire = serializeMessage(m).toString()
  t.equal(wire, ['INVITE sip:bob@biloxi.example.com SIP/2.0', ...CORE, 'Contact: <sip:alice@pc33.atlanta.example.com>',
    'Content-Type: application/sdp', 'Content-Length: 5', '', 'v=0', ''].join('\r\n'))
  const res: SipMessage = { kind: 'response', status: 486, reason: 'Busy Here', version: 'SIP/2.0', headers: [], body: Buffer.alloc(0) }
  t.equal(serializeMessage(res).toString(), 'SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n')
})

t.test('Content-Length is recomputed from the body (RFC 3261 §20.14)', async t => {
  const m = request(['Content-Length: 3', 'Subject: x'], 'abc')
  m.body = Buffer.from('a longer body')
  const wire = serializeMessage(m).toString()
  t.match(wire, /\r\nContent-Length: 13\r\nSubject: x\r\n\r\na longer body$/, 'rewritten in place')
  m.headers.push({ name: 'l', value: '99' }, { name: 'content-length', value: '1' })
  t.equal(serializeMessage(m).toString().match(/Content-Length/gi)?.length, 1, 'duplicates (any spelling) dropped')
  const none = request()
  t.match(serializeMessage(none).toString(), /\r\nContent-Length: 0\r\n\r\n$/, 'appended when absent')
})

t.test('binary bodies are written octet for octet', async t => {
  const m = request()
  m.body = Buffer.from([0, 1, 0xfe, 0xff, 0x0d, 0x0a, 0x0a])
  const out = serializeMessage(m)
  t.same([...out.subarray(out.length - 7)], [0, 1, 0xfe, 0xff, 0x0d, 0x0a, 0x0a])
  t.same([...parseMessage(out).body], [0, 1, 0xfe, 0xff, 0x0d, 0x0a, 0x0a])
})

t.test('UTF-8 header values and reason phrases survive', async t => {
  const m = request(['Subject: Grüße', 'From-Name: 日本', 'Content-Length: 0'])
  const again = parseMessage(serializeMessage(m))
  t.same(again.headers, m.headers)
  const res: SipMessage = { kind: 'response', status: 200, reason: 'Ça marche', version: 'SIP/2.0', headers: [...m.headers], body: Buffer.alloc(0) }
  const back = parseMessage(serializeMessage(res))
  t.equal(back.kind === 'response' ? back.reason : '', 'Ça marche')
})

t.test('a header value with a line break is refused, never written (header injection)', async t => {
  for (const value of ['x\r\nVia: SIP/2.0/UDP evil', 'x\nX: y', 'x\ry']) {
    const m = request()
    m.headers.push({ name: 'Subject', value })
    t.throws(() => serializeMessage(m), { status: 500, code: 'SIP_ERR_HEADER_INJECTION' }, JSON.stringify(value))
  }
  const m = request()
  m.headers.push({ name: 'X\r\nEvil', value: 'x' })
  t.throws(() => serializeMessage(m), { code: 'SIP_ERR_HEADER_INJECTION' }, 'in a name too')
  const uri = request()
  uri.uri = 'sip:a@b SIP/2.0\r\nVia: x\r\n\r\nINVITE sip:c@d'
  t.throws(() => serializeMessage(uri), { code: 'SIP_ERR_HEADER_INJECTION' }, 'in the Request-URI')
  const res: SipMessage = { kind: 'response', status: 200, reason: 'OK\r\nX: y', version: 'SIP/2.0', headers: [], body: Buffer.alloc(0) }
  t.throws(() => serializeMessage(res), { code: 'SIP_ERR_HEADER_INJECTION' }, 'in a reason phrase')
})

t.test('parse → serialize → parse round-trips a table of messages', async t => {
  const rows = [
    request(['Contact: "A, B" <sip:a@b>;q=0.5, <sip:c@d>', 'Route: <sip:p1;lr>,<sip:p2;lr>', 'Supported: 100rel, timer', 'l: 0']),
    request(['Content-Type: multipart/mixed;boundary=x', 'Content-Length: 16'], '--x\r\n\r\nhi\r\n--x--'),
    request(['X-Empty:', 'Subject:   padded   ', 'Content-Length: 0']),
    parseMessage(Buffer.from('SIP/2.0 100 \r\n' + CORE.join('\r\n') + '\r\nContent-Length: 0\r\n\r\n')),
    parseMessage(Buffer.from('ACK sip:[2001:db8::1]:5060;transport=tcp SIP/2.0\r\n' + CORE.join('\r\n').replace('314159 INVITE', '314159 ACK') + '\r\nl: 0\r\n\r\n'))
  ]
  for (const m of rows) {
    const once = serializeMessage(m)
    const again = parseMessage(once)
    t.same(again, m, `${m.kind === 'request' ? m.method : m.status} round-trips`)
    t.ok(serializeMessage(again).equals(once), 'and the bytes are stable')
  }
  t.same(getHeaders(rows[0]!, 'Contact'), ['"A, B" <sip:a@b>;q=0.5', '<sip:c@d>'])
})

t.test('every accepted RFC 4475 message: serialize is stable after one normalisation', async t => {
  const dir = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors', 'sip', 'rfc4475')
  let accepted = 0
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.dat'))) {
    let m: SipMessage
    try { m = parseMessage(fs.readFileSync(path.join(dir, file))) } catch { continue }
    accepted++
    const once = serializeMessage(m)
    const twice = serializeMessage(parseMessage(once))
    t.ok(once.equals(twice), file)
  }
  t.ok(accepted >= 25, `${accepted} messages accepted`)
})
