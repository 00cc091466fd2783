// RFC 3261 §18.3 framing and RFC 5626 §4.4.1 keep-alive over real TCP sockets into TransportLayer.
import t from 'tap'
import type { SipMessage } from '../../../src/sip/message/types'
import type { SipError } from '../../../src/sip/sip-error'
import type { TransportSource } from '../../../src/sip/transport/transport-types'
import { RawClient, collect, nextEvent, options, startTransport, statusCodes } from './helpers'

function header (msg: SipMessage, name: string): string | undefined {
  return msg.headers.find(h => h.name.toLowerCase() === name.toLowerCase())?.value
}

const tick = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

t.test('two pipelined messages in one write are two message events, in order', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const got = collect<[SipMessage, TransportSource]>(tl, 'message')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.write(options({ callId: 'p1', body: 'first' }) + options({ callId: 'p2', cseq: 2 }))
  await c.until(() => got.length === 2, 3000, 'two messages')
  t.same(got.map(([m]) => header(m, 'Call-ID')), ['p1', 'p2'])
  t.equal(got[0][0].body.toString(), 'first')
  t.equal(got[0][1].connectionId, got[1][1].connectionId, 'same connection')
  t.equal(got[0][1].transport, 'tcp')
  t.equal(got[0][1].remoteAddress, '127.0.0.1')
  t.equal(got[0][1].remotePort, c.socket.localPort)
})

t.test('one message written byte by byte is delivered once, complete', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const got = collect<[SipMessage]>(tl, 'message')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.socket.setNoDelay(true)
  const m = Buffer.from(options({ callId: 'bytewise', body: 'v=0\r\n' }))
  for (let i = 0; i < m.length; i++) {
    c.write(m.subarray(i, i + 1))
    await tick()
  }
  await c.until(() => got.length === 1, 3000, 'message')
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(got.length, 1, 'exactly one message')
  t.equal(header(got[0][0], 'Call-ID'), 'bytewise')
  t.equal(got[0][0].body.toString(), 'v=0\r\n')
})

t.test('a folded header split across two writes is unfolded into one value (RFC 3261 §7.3.1)', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.socket.setNoDelay(true)
  const m = options({ callId: 'fold', extra: 'Subject: first part\r\n second part\r\n' })
  const cut = m.indexOf('\r\n second') + 2
  const event = nextEvent<[SipMessage]>(tl, 'message')
  c.write(m.slice(0, cut))
  await new Promise(resolve => setTimeout(resolve, 30))
  c.write(m.slice(cut))
  const [msg] = await event
  t.match(header(msg, 'Subject'), /^first part\s+second part$/)
})

t.test('CRLFCRLF ping is answered with one CRLF pong; the connection stays usable (RFC 5626 §4.4.1)', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.write('\r\n\r\n')
  await c.until(() => c.received.length >= 2, 2000, 'pong')
  t.equal(c.text, '\r\n')
  const event = nextEvent<[SipMessage]>(tl, 'message')
  c.write('\r\n' + options({ callId: 'after-ping' })) // a lone CRLF before the start line is skipped
  const [msg] = await event
  t.equal(header(msg, 'Call-ID'), 'after-ping')
  await new Promise(resolve => setTimeout(resolve, 30))
  t.equal(c.text, '\r\n', 'a lone CRLF is not a ping and gets no pong')
})

async function expectFramingClose (t: tap.Test, wire: string, status: number, code: string): Promise<string> {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const errors = collect<[SipError, TransportSource, string | undefined]>(tl, 'parseError')
  const messages = collect(tl, 'message')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.write(wire)
  await c.untilClosed()
  t.same(statusCodes(c.text), [status], `exactly one ${status} response`)
  t.equal(messages.length, 0, 'no message event')
  t.equal(errors.length, 1, 'one parseError event')
  t.equal(errors[0][0].code, code)
  t.ok(errors[0][0].closeConnection)
  t.match(errors[0][2], /^OPTIONS sip:service@127\.0\.0\.1 SIP\/2\.0$/, 'raw start line reported')
  return c.text
}

t.test('missing Content-Length: 400 copying Via/From/To/Call-ID/CSeq, To tag added, then close', async t => {
  const wire = options({ callId: 'no-cl' }).replace(/Content-Length: 0\r\n/, '')
  const text = await expectFramingClose(t, wire, 400, 'SIP_ERR_MISSING_CONTENT_LENGTH')
  t.match(text, /^Via: SIP\/2\.0\/TCP 127\.0\.0\.1:5999;branch=z9hG4bK-no-cl\r$/m)
  t.match(text, /^From: <sip:alice@127\.0\.0\.1>;tag=a1\r$/m)
  t.match(text, /^To: <sip:service@127\.0\.0\.1>;tag=[0-9a-f]+\r$/m, 'RFC 3261 §8.2.6.2 To tag')
  t.match(text, /^Call-ID: no-cl\r$/m)
  t.match(text, /^CSeq: 1 OPTIONS\r$/m)
  t.match(text, /^Content-Length: 0\r$/m)
})

t.test('negative Content-Length: 400 then close (RFC 4475 §3.1.2.3)', async t => {
  await expectFramingClose(t, options({ callId: 'neg' }).replace('Content-Length: 0', 'Content-Length: -999'), 400, 'SIP_ERR_BAD_CONTENT_LENGTH')
})

t.test('non-numeric Content-Length: 400 then close', async t => {
  await expectFramingClose(t, options({ callId: 'nan' }).replace('Content-Length: 0', 'Content-Length: 0x10'), 400, 'SIP_ERR_BAD_CONTENT_LENGTH')
})

t.test('repeated equal Content-Length: 400 then close (RFC 4475 §3.3.9)', async t => {
  await expectFramingClose(t, options({ callId: 'dup' }).replace('Content-Length: 0', 'Content-Length: 0\r\nl: 0'), 400, 'SIP_ERR_DUPLICATE_CONTENT_LENGTH')
})

t.test('differing Content-Length values: 400 then close', async t => {
  await expectFramingClose(t, options({ callId: 'diff' }).replace('Content-Length: 0', 'Content-Length: 5\r\nContent-Length: 0'), 400, 'SIP_ERR_DUPLICATE_CONTENT_LENGTH')
})

t.test('header section over maxMessageBytes: 513 then close', async t => {
  const tl = await startTransport({ limits: { maxMessageBytes: 1024 } })
  t.teardown(() => tl.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  // No blank line yet: the limit must trip before the header section ends.
  c.write(options({ callId: 'big' }).replace('\r\n\r\n', '\r\n') + 'X-Pad: ' + 'a'.repeat(2000) + '\r\n')
  await c.untilClosed()
  t.same(statusCodes(c.text), [513])
  t.match(c.text, /^Call-ID: big\r$/m)
})

t.test('Content-Length over maxMessageBytes: 413 then close, body never awaited', async t => {
  const tl = await startTransport({ limits: { maxMessageBytes: 1024 } })
  t.teardown(() => tl.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.write(options({ callId: 'huge' }).replace('Content-Length: 0', 'Content-Length: 5000000'))
  await c.untilClosed()
  t.same(statusCodes(c.text), [413])
})

t.test('a framing-broken response is dropped without an answer, connection closed', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const errors = collect<[SipError]>(tl, 'parseError')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.write('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\nCall-ID: r\r\nCSeq: 1 OPTIONS\r\n\r\n')
  await c.untilClosed()
  t.equal(c.text, '', 'nothing sent back for a response')
  t.equal(errors.length, 1)
  t.equal(errors[0][0].status, 400)
})

t.test('framing loss on one connection does not disturb another connection', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const got = collect<[SipMessage]>(tl, 'message')
  const good = await RawClient.connect(tl.localAddressFor('tcp').port)
  const bad = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => { good.destroy(); bad.destroy() })
  good.write(options({ callId: 'g1' }).slice(0, 40))
  bad.write(options({ callId: 'b1' }).replace('Content-Length: 0', 'Content-Length: -1'))
  await bad.untilClosed()
  good.write(options({ callId: 'g1' }).slice(40) + options({ callId: 'g2', cseq: 2 }))
  await good.until(() => got.length === 2, 3000, 'two messages on the good connection')
  t.same(got.map(([m]) => header(m, 'Call-ID')), ['g1', 'g2'])
  t.notOk(good.closed)
})

t.test('a message that frames but fails parsing is answered with the parser\'s status; the connection carries on', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const errors = collect<[SipError, TransportSource, string | undefined]>(tl, 'parseError')
  const got = collect<[SipMessage]>(tl, 'message')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  // RFC 3261 §8.1.1.1 / §21.5.6: an unsupported SIP version gets 505 — and framing is not affected.
  c.write(options({ callId: 'v7' }).replace('OPTIONS sip:service@127.0.0.1 SIP/2.0', 'OPTIONS sip:service@127.0.0.1 SIP/7.0') +
    options({ callId: 'v2', cseq: 2 }))
  await c.until(() => got.length === 1 && statusCodes(c.text).length === 1, 3000, 'a 505 and a message')
  t.same(statusCodes(c.text), [505])
  t.match(c.text, /^Call-ID: v7\r$/m)
  t.equal(errors.length, 1)
  t.equal(errors[0][0].status, 505)
  t.equal(errors[0][2], 'OPTIONS sip:service@127.0.0.1 SIP/7.0')
  t.equal(header(got[0][0], 'Call-ID'), 'v2')
  t.notOk(c.closed)
})

t.test('a broken ACK is never answered (RFC 3261 §17.1.1.3: no response to ACK)', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const errors = collect<[SipError]>(tl, 'parseError')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.write(options({ callId: 'ack', method: 'ACK' }).replace('CSeq: 1 ACK', 'CSeq: 1 INVITE'))
  await c.until(() => errors.length === 1, 3000, 'parseError')
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(errors[0][0].code, 'SIP_ERR_CSEQ_METHOD_MISMATCH')
  t.equal(c.text, '')
})

t.test('backpressure: a peer that stops reading makes send() reject instead of buffering without bound', async t => {
  const tl = await startTransport({ limits: { maxPendingWriteBytes: 256 * 1024 } })
  t.teardown(() => tl.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.socket.pause() // stop reading: the kernel buffers fill, then Node's
  const event = nextEvent<[SipMessage, TransportSource]>(tl, 'message')
  c.write(options({ callId: 'slow-reader' }))
  const [req, source] = await event
  const big = { ...req, body: Buffer.alloc(60000, 0x61), headers: req.headers.filter(h => h.name !== 'Content-Length') }
  let rejected: (Error & { code?: string }) | null = null
  let sent = 0
  // Bounded: 1000 × 60 kB is far more than loopback socket buffers hold.
  for (let i = 0; i < 1000 && !rejected; i++) {
    tl.send(big, { connectionId: source.connectionId }).catch(err => { rejected = rejected ?? err })
    sent++
    await new Promise(resolve => setImmediate(resolve))
  }
  t.ok(rejected, `rejected after ${sent} sends`)
  t.equal(rejected!.code, 'SIP_ERR_SEND_QUEUE_FULL')
})
