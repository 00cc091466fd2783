import t from 'tap'
import {
  addHeader, canonicalHeaderName, getCallId, getContacts, getCSeq, getFrom, getHeader, getHeaders, getMaxForwards,
  getTo, getVias, prependHeader, removeHeader, setHeader
} from '../../../src/sip/message/headers'
import type { SipRequest } from '../../../src/sip/message/types'
import { parseMessage } from '../../../src/sip/parser/parser'

function request (headerLines: string[]): SipRequest {
  const text = ['INVITE sip:bob@biloxi.example.com SIP/2.0', ...headerLines, '', ''].join('\r\n')
  const m = parseMessage(Buffer.from(text))
  if (m.kind !== 'request') throw new Error('not a request')
  return m
}

const base = [
  'Via: SIP/2.0/TCP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2',
  'v: SIP/2.0/UDP c.example.com;branch=z9hG4bK3',
  'Max-Forwards: 70',
  'f: "Alice, A." <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  't: <sip:bob@biloxi.example.com>',
  'i: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'm: <sip:alice@client.atlanta.example.com;transport=tcp>, "x,y" <sip:x@y>',
  'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
  'Route: <sip:p3.example.com;lr>',
  'k: 100rel, timer',
  'Authorization: Digest username="alice", realm="atlanta.example.com", nonce="x,y"',
  'Date: Sat, 13 Nov 2010 23:29:00 GMT',
  'X-Custom: a, b',
  'l: 0'
]

t.test('canonicalHeaderName expands every compact form (RFC 3261 §7.3.3) and fixes case', async t => {
  const compact: Record<string, string> = {
    i: 'Call-ID', m: 'Contact', f: 'From', t: 'To', v: 'Via', l: 'Content-Length', c: 'Content-Type', k: 'Supported',
    e: 'Content-Encoding', s: 'Subject', o: 'Event', r: 'Refer-To', b: 'Referred-By', x: 'Session-Expires', u: 'Allow-Events'
  }
  for (const [letter, name] of Object.entries(compact)) {
    t.equal(canonicalHeaderName(letter), name, `${letter} → ${name}`)
    t.equal(canonicalHeaderName(letter.toUpperCase()), name, `${letter.toUpperCase()} → ${name}`)
  }
  t.equal(canonicalHeaderName('MaX-fOrWaRdS'), 'Max-Forwards')
  t.equal(canonicalHeaderName('call-id'), 'Call-ID')
  t.equal(canonicalHeaderName('CSEQ'), 'CSeq')
  t.equal(canonicalHeaderName('www-authenticate'), 'WWW-Authenticate')
  t.equal(canonicalHeaderName('X-Custom-Thing'), 'X-Custom-Thing', 'unknown names kept')
})

t.test('getHeader / getHeaders split only list headers, respecting quotes and <>', async t => {
  const m = request(base)
  t.equal(getHeaders(m, 'Via').length, 3)
  t.equal(getHeader(m, 'via'), 'SIP/2.0/TCP a.example.com;branch=z9hG4bK1', 'first element of a list')
  t.same(getHeaders(m, 'Contact'), ['<sip:alice@client.atlanta.example.com;transport=tcp>', '"x,y" <sip:x@y>'])
  t.same(getHeaders(m, 'Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>', '<sip:p3.example.com;lr>'])
  t.same(getHeaders(m, 'Supported'), ['100rel', 'timer'])
  t.equal(getHeaders(m, 'Authorization').length, 1, 'Authorization commas are not list separators')
  t.equal(getHeader(m, 'Date'), 'Sat, 13 Nov 2010 23:29:00 GMT')
  t.same(getHeaders(m, 'x-custom'), ['a, b'], 'unknown headers: one value per line, name case-insensitive')
  t.equal(getHeader(m, 'Subject'), undefined)
  t.same(getHeaders(m, 'Subject'), [])
})

t.test('typed accessors', async t => {
  const m = request(base)
  t.same(getVias(m).map(v => v.host), ['a.example.com', 'b.example.com', 'c.example.com'])
  t.equal(getFrom(m).displayName, 'Alice, A.')
  t.equal(getFrom(m).params.get('tag'), '9fxced76sl')
  t.equal(getTo(m).params.has('tag'), false)
  t.equal(getCallId(m), '3848276298220188511@atlanta.example.com')
  t.same(getCSeq(m), { seq: 1, method: 'INVITE' })
  t.equal(getContacts(m).length, 2)
  t.equal(getContacts(m)[1]?.displayName, 'x,y')
  t.equal(getMaxForwards(m), 70)
})

t.test('typed accessors throw 400 on malformed or missing values', async t => {
  const m = request(base)
  const cases: Array<[string, () => unknown, string]> = [
    ['CSeq', () => getCSeq(m), 'SIP_ERR_BAD_CSEQ'],
    ['Max-Forwards', () => getMaxForwards(m), 'SIP_ERR_BAD_MAX_FORWARDS'],
    ['To', () => getTo(m), 'SIP_ERR_BAD_URI'],
    ['Via', () => getVias(m), 'SIP_ERR_BAD_VIA'],
    ['Contact', () => getContacts(m), 'SIP_ERR_BAD_NAME_ADDR']
  ]
  const bad: Record<string, string> = {
    CSeq: '4294967296 INVITE', 'Max-Forwards': '256', To: '<sip:a b@c>', Via: 'SIP/2.0/UDP h,,SIP/2.0/UDP i', Contact: '<sip:a@b'
  }
  for (const [name, call, code] of cases) {
    const saved = m.headers.map(h => ({ ...h }))
    setHeader(m, name, bad[name] ?? '')
    t.throws(call, { status: 400, code }, `${name}: ${bad[name] ?? ''}`)
    m.headers = saved
  }
  removeHeader(m, 'Call-ID')
  t.throws(() => getCallId(m), { status: 400, code: 'SIP_ERR_MISSING_HEADER' })
  addHeader(m, 'Max-Forwards', '10')
  t.throws(() => getMaxForwards(m), { status: 400, code: 'SIP_ERR_MULTIPLE_VALUES' })
  removeHeader(m, 'Max-Forwards')
  t.equal(getMaxForwards(m), null, 'absent Max-Forwards is null')
  setHeader(m, 'To', '<sip:a@b>, <sip:c@d>')
  t.throws(() => getTo(m), { status: 400, code: 'SIP_ERR_MULTIPLE_VALUES' })
  t.equal(getCSeq(m).seq, 1)
  setHeader(m, 'CSeq', '4294967295 INVITE')
  t.equal(getCSeq(m).seq, 4294967295, '2^32-1 is the largest CSeq')
})

t.test('editing keeps wire order and canonical names', async t => {
  const m = request(base)
  prependHeader(m, 'v', 'SIP/2.0/TLS proxy.example.com;branch=z9hG4bKtop')
  t.equal(m.headers[0]?.name, 'Via')
  t.equal(getVias(m)[0]?.host, 'proxy.example.com', 'prepended Via is the top one')
  prependHeader(m, 'Record-Route', '<sip:rr.example.com;lr>')
  t.equal(m.headers[0]?.name, 'Record-Route', 'no existing field: goes to the top')
  const routeIndex = m.headers.findIndex(h => h.name === 'Route')
  setHeader(m, 'route', '<sip:only.example.com;lr>')
  t.same(getHeaders(m, 'Route'), ['<sip:only.example.com;lr>'], 'setHeader replaces every field')
  t.equal(m.headers.findIndex(h => h.name === 'Route'), routeIndex, 'at the position of the first')
  addHeader(m, 'x', '1800;refresher=uac')
  t.equal(m.headers[m.headers.length - 1]?.name, 'Session-Expires')
  setHeader(m, 'Subject', 'new')
  t.equal(m.headers[m.headers.length - 1]?.value, 'new', 'absent: appended')
  removeHeader(m, 'VIA')
  t.same(getHeaders(m, 'Via'), [])
})
