// Every rejected request ends in a response or a closed connection, never neither (issue 17 items 1
// and 5): a bare CR inside one of the fields a 400 must copy, and a Request-Line whose method is not
// a token. Real TCP and TLS sockets: the defect was a connection left open with nothing sent.
import t from 'tap'
import type { TransportLayer } from '../../../src/sip/transport/transport-layer'
import type { SipError } from '../../../src/sip/sip-error'
import type { TransportSource } from '../../../src/sip/transport/transport-types'
import { RawClient, collect, options, startTransport, statusCodes, waitFor } from './helpers'

/** An OPTIONS whose `field` line gets a bare CR (not followed by LF) in the middle of its value. */
function withBareCr (field: string, callId: string): string {
  const m = options({ callId, via: `SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-${callId}` })
  const start = m.indexOf(`\r\n${field}: `) + 2
  const end = m.indexOf('\r\n', start)
  const line = m.slice(start, end)
  const cut = line.length - 3
  return m.slice(0, start) + line.slice(0, cut) + '\r' + line.slice(cut) + m.slice(end)
}

async function exchange (tl: TransportLayer, data: string, transport: 'tcp' | 'tls' = 'tcp'): Promise<RawClient> {
  const port = tl.localAddressFor(transport).port
  const c = transport === 'tls'
    ? await RawClient.connectTls(port, { rejectUnauthorized: false })
    : await RawClient.connect(port)
  c.write(data)
  // The outcome is one of the two; which one is asserted by the caller.
  await c.until(() => statusCodes(c.text).length > 0 || c.closed, 3000, 'a response or a close')
  return c
}

for (const field of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
  t.test(`bare CR in ${field}: answered 400 on the connection, matchable by the client`, async t => {
    const tl = await startTransport()
    t.teardown(() => tl.close())
    const errors = collect<[SipError, TransportSource, string]>(tl, 'parseError')
    const callId = `cr-${field.toLowerCase()}`
    const c = await exchange(tl, withBareCr(field, callId))
    t.teardown(() => c.destroy())
    t.same(statusCodes(c.text), [400], `got ${JSON.stringify(c.text.slice(0, 200))}`)
    t.equal(errors[0]?.[0].code, 'SIP_ERR_BAD_HEADER_LINE')
    // The copied fields keep what the client matches on (the CR became one SP, like folding).
    t.match(c.text, /\r\nVia: SIP\/2\.0\/TCP 127\.0\.0\.1:5999;branch=z9hG4bK-cr-/)
    t.match(c.text, /\r\nCSeq: 1 ?OPTI ?ONS\r\n/)
    t.notOk(/\r(?!\n)/.test(c.text), 'no bare CR on the wire')
    t.notOk(c.closed, 'framing is intact: the connection stays usable')
    c.write(options({ callId: 'after-cr' }))
    const got = collect(tl, 'message')
    await waitFor(() => got.length === 1, 3000, 'the next request on the same connection')
  })
}

t.test('bare CR over TLS: answered 400 too', async t => {
  const tl = await startTransport({ tcp: undefined, tls: { host: '127.0.0.1', port: 0 } })
  t.teardown(() => tl.close())
  const c = await exchange(tl, withBareCr('From', 'cr-tls'), 'tls')
  t.teardown(() => c.destroy())
  t.same(statusCodes(c.text), [400])
})

t.test('method is not a token but the request has a Via: 400 Bad Request, not a silent drop', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const errors = collect<[SipError, TransportSource, string]>(tl, 'parseError')
  const m = options({ callId: 'not-token' }).replace(/^OPTIONS /, 'OPT@IONS ')
  const c = await exchange(tl, m)
  t.teardown(() => c.destroy())
  t.same(statusCodes(c.text), [400])
  t.equal(errors[0]?.[0].code, 'SIP_ERR_BAD_START_LINE')
  t.match(c.text, /\r\nCall-ID: not-token\r\n/)
  t.notOk(c.closed)
})

t.test('a start line that is neither a request nor a status line, with nothing to answer: the connection closes', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const c = await exchange(tl, '\u0001\u0002 garbage\r\nX-Foo: bar\r\nContent-Length: 0\r\n\r\n')
  t.teardown(() => c.destroy())
  t.equal(c.text, '', 'nothing sent')
  t.ok(c.closed, 'closed instead of left open')
})

t.test('a garbled method in a Request-Line without Via is still answered (the line reads as a request)', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const m = options({ callId: 'no-via' }).replace(/Via: [^\r]*\r\n/, '').replace(/^OPTIONS /, 'OPT{IONS} ')
  const c = await exchange(tl, m)
  t.teardown(() => c.destroy())
  t.same(statusCodes(c.text), [400])
  t.match(c.text, /\r\nCall-ID: no-via\r\n/)
})

t.test('a broken response is still dropped without an answer and the connection kept (RFC 3261 §18.1.2)', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const errors = collect(tl, 'parseError')
  const port = tl.localAddressFor('tcp').port
  const c = await RawClient.connect(port)
  t.teardown(() => c.destroy())
  c.write('SIP/2.0 2000 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-r\r\nContent-Length: 0\r\n\r\n')
  await waitFor(() => errors.length === 1, 3000, 'parseError')
  // Prove the connection is still served: the next request on it is delivered.
  const got = collect(tl, 'message')
  c.write(options({ callId: 'after-broken-response' }))
  await waitFor(() => got.length === 1, 3000, 'the next request')
  t.equal(c.text, '')
  t.notOk(c.closed)
})
