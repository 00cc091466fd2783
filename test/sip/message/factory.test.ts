import t from 'tap'
import { createRequest, createResponse, newBranch, newCallId, newTag } from '../../../src/sip/message/factory'
import { getCallId, getCSeq, getFrom, getHeader, getHeaders, getTo, getVias } from '../../../src/sip/message/headers'
import { parseNameAddr } from '../../../src/sip/message/name-addr'
import { parseVia } from '../../../src/sip/message/via'
import type { SipRequest } from '../../../src/sip/message/types'
import { parseMessage } from '../../../src/sip/parser/parser'
import { serializeMessage } from '../../../src/sip/parser/serializer'

const invite = (to: string = '<sip:bob@biloxi.example.com>'): SipRequest => {
  const text = [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/TCP client.example.com;branch=z9hG4bKc1;received=192.0.2.1',
    'Max-Forwards: 69',
    'Record-Route: <sip:proxy.example.com;lr>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    `To: ${to}`,
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'Timestamp: 54',
    'Contact: <sip:alice@pc33.atlanta.example.com>',
    'Content-Length: 0', '', ''
  ].join('\r\n')
  return parseMessage(Buffer.from(text)) as SipRequest
}

t.test('createResponse copies Via list, From, To, Call-ID, CSeq (RFC 3261 §8.2.6.2)', async t => {
  const req = invite()
  const res = createResponse(req, 180, undefined, { toTag: 'a6c85cf' })
  t.equal(res.status, 180)
  t.equal(res.reason, 'Ringing', 'default reason phrase')
  t.same(getHeaders(res, 'Via'), getHeaders(req, 'Via'), 'all Vias, same order, same values (received kept)')
  t.equal(getHeader(res, 'From'), getHeader(req, 'From'))
  t.equal(getCallId(res), getCallId(req))
  t.same(getCSeq(res), getCSeq(req))
  t.equal(getTo(res).params.get('tag'), 'a6c85cf', 'To tag added')
  t.equal(getHeader(res, 'Record-Route'), undefined, 'Record-Route is the dialog layer\'s business')
  t.equal(getHeader(res, 'Contact'), undefined)
  t.equal(getHeader(res, 'Timestamp'), undefined, 'Timestamp only echoed on 100')
  const again = parseMessage(serializeMessage(res))
  t.equal(again.kind, 'response', 'the response serializes and parses back')
})

t.test('no To tag on 100 Trying, Timestamp echoed (§8.2.6.1)', async t => {
  const res = createResponse(invite(), 100, undefined, { toTag: 'abc' })
  t.equal(res.reason, 'Trying')
  t.notOk(getTo(res).params.has('tag'))
  t.equal(getHeader(res, 'Timestamp'), '54')
})

t.test('an existing To tag is kept (in-dialog request)', async t => {
  const res = createResponse(invite('<sip:bob@biloxi.example.com>;tag=existing'), 200, 'OK', { toTag: 'other' })
  t.equal(getTo(res).params.get('tag'), 'existing')
  t.equal(getHeaders(res, 'To').length, 1)
})

t.test('createResponse with extra headers and a body', async t => {
  const body = Buffer.from('v=0\r\n')
  const res = createResponse(invite(), 200, 'OK', {
    toTag: 't', headers: [{ name: 'Contact', value: '<sip:bob@192.0.2.4>' }], body, contentType: 'application/sdp'
  })
  t.equal(getHeader(res, 'Content-Type'), 'application/sdp')
  t.equal(getHeader(res, 'Contact'), '<sip:bob@192.0.2.4>')
  const wire = serializeMessage(res).toString()
  t.match(wire, /\r\nContent-Length: 5\r\n\r\nv=0\r\n$/)
  t.equal(createResponse(invite(), 699).reason, 'Busy Everywhere', 'an unknown 6xx reads as 600 (§8.1.3.2)')
})

t.test('createResponse works on a partially valid request (answering a 400)', async t => {
  const req = invite()
  const to = req.headers.find(h => h.name === 'To')!
  to.value = '"unterminated <sip:bob@biloxi.example.com>'
  const res = createResponse(req, 400, 'Bad Request', { toTag: 'x' })
  t.match(getHeader(res, 'To'), /;tag=x$/, 'tag appended textually')
})

t.test('createRequest builds the mandatory headers (§8.1.1)', async t => {
  const req = createRequest({
    method: 'INVITE',
    uri: 'sip:+15550100@trunk.example.net',
    from: { displayName: 'Agent', uri: parseNameAddr('<sip:agent@tg.example.com>').uri, params: new Map([['tag', 'f1']]) },
    to: '<sip:+15550100@trunk.example.net>',
    callId: 'c1@tg',
    cseq: 7,
    via: [parseVia('SIP/2.0/TLS tg.example.com:5061;branch=z9hG4bKx;rport')],
    headers: [{ name: 'Contact', value: '<sip:agent@tg.example.com;transport=tls>' }],
    body: Buffer.from('v=0\r\n'),
    contentType: 'application/sdp'
  })
  const parsed = parseMessage(serializeMessage(req)) as SipRequest
  t.equal(parsed.method, 'INVITE')
  t.equal(parsed.uri, 'sip:+15550100@trunk.example.net')
  t.equal(getVias(parsed)[0]?.branch, 'z9hG4bKx')
  t.equal(getFrom(parsed).displayName, 'Agent')
  t.equal(getFrom(parsed).params.get('tag'), 'f1')
  t.same(getCSeq(parsed), { seq: 7, method: 'INVITE' })
  t.equal(getHeader(parsed, 'Max-Forwards'), '70')
  t.equal(parsed.body.toString(), 'v=0\r\n')
})

t.test('identifiers: branch cookie, unique random values', async t => {
  const branches = new Set<string>()
  for (let i = 0; i < 2000; i++) branches.add(newBranch())
  t.equal(branches.size, 2000, 'no repeats across pool refills')
  for (const b of branches) if (!b.startsWith('z9hG4bK')) t.fail(b)
  t.match(newTag(), /^[0-9a-f]{16}$/)
  t.match(newCallId(), /^[0-9a-f]{32}$/)
  t.not(newTag(), newTag())
})
