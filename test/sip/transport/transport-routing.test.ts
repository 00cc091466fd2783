// send(): responses over the request's connection (RFC 3261 §18.2.2) with the Via fallback, requests
// reusing a live connection to the peer (§18.1.1, RFC 5923 alias), received/rport stamping (§18.2.1,
// RFC 3581), and clear rejections when a peer cannot be reached.
import t from 'tap'
import net from 'node:net'
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message/types'
import type { TransportSource } from '../../../src/sip/transport/transport-types'
import { RawClient, collect, nextEvent, options, startTransport, statusCodes, waitFor } from './helpers'

function header (msg: SipMessage, name: string): string | undefined {
  return msg.headers.find(h => h.name.toLowerCase() === name.toLowerCase())?.value
}

function okFor (req: SipRequest): SipResponse {
  return {
    kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', body: Buffer.alloc(0),
    headers: req.headers.filter(h => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name))
  }
}

function request (callId: string, via = 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-' + callId): SipRequest {
  return {
    kind: 'request', method: 'OPTIONS', uri: 'sip:peer@127.0.0.1', version: 'SIP/2.0', body: Buffer.alloc(0),
    headers: [
      { name: 'Via', value: via }, { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: '<sip:gw@127.0.0.1>;tag=g1' }, { name: 'To', value: '<sip:peer@127.0.0.1>' },
      { name: 'Call-ID', value: callId }, { name: 'CSeq', value: '1 OPTIONS' }
    ]
  }
}

/** A plain TCP SIP peer that listens and records what arrives on each accepted connection. */
async function listeningPeer (): Promise<{ port: number, accepted: RawClient[], close: () => Promise<void> }> {
  const accepted: RawClient[] = []
  const server = net.createServer(s => accepted.push(new RawClient(s)))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    close: () => new Promise(resolve => { accepted.forEach(c => c.destroy()); server.close(() => resolve()) })
  }
}

t.test('a response sent to {connectionId} goes back over the request\'s connection', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const a = await RawClient.connect(tl.localAddressFor('tcp').port)
  const b = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => { a.destroy(); b.destroy() })
  const got = collect<[SipRequest, TransportSource]>(tl, 'message')
  a.write(options({ callId: 'from-a' }))
  b.write(options({ callId: 'from-b' }))
  await waitFor(() => got.length === 2, 3000, 'two requests')
  for (const [req, source] of got) await tl.send(okFor(req), { connectionId: source.connectionId })
  await a.untilText(/Call-ID: from-a/)
  await b.untilText(/Call-ID: from-b/)
  t.same(statusCodes(a.text), [200])
  t.notMatch(a.text, /from-b/, 'nothing crossed over')
  t.notMatch(b.text, /from-a/)
  t.not(got[0][1].connectionId, got[1][1].connectionId)
})

t.test('received and rport are stamped on the top Via (RFC 3261 §18.2.1, RFC 3581 §4)', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  const event = nextEvent<[SipRequest]>(tl, 'message')
  c.write(options({ callId: 'nat', via: 'SIP/2.0/TCP pbx.example.com:5070;branch=z9hG4bK-nat;rport, SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK-2' }))
  const [req] = await event
  t.equal(header(req, 'Via'), `SIP/2.0/TCP pbx.example.com:5070;branch=z9hG4bK-nat;rport=${c.socket.localPort};received=127.0.0.1, SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK-2`)

  const same = nextEvent<[SipRequest]>(tl, 'message')
  c.write(options({ callId: 'direct', via: 'SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-d' }))
  t.equal(header((await same)[0], 'Via'), 'SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-d', 'source matches sent-by: untouched')
})

t.test('response whose connection is gone: reconnect to the Via received address and sent-by port (RFC 3261 §18.2.2)', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const peer = await listeningPeer()
  t.teardown(() => peer.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  const event = nextEvent<[SipRequest, TransportSource]>(tl, 'message')
  // sent-by is a name: "received" (127.0.0.1) is where the new connection must go, with the sent-by port.
  c.write(options({ callId: 'gone', via: `SIP/2.0/TCP pbx.invalid:${peer.port};branch=z9hG4bK-gone` }))
  const [req, source] = await event
  const closedEvent = nextEvent(tl, 'connectionClosed')
  c.destroy()
  await closedEvent
  await tl.send(okFor(req), { connectionId: source.connectionId })
  await waitFor(() => peer.accepted.length === 1 && /Call-ID: gone/.test(peer.accepted[0].text), 3000, 'response at the peer listener')
  t.same(statusCodes(peer.accepted[0].text), [200])
})

t.test('a request to a gone connection id rejects (requests never fall back)', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  await t.rejects(tl.send(request('nope'), { connectionId: 'tcp-999999' }), { name: 'TransportError', code: 'SIP_ERR_CONNECTION_CLOSED' })
})

t.test('an outgoing request to the peer\'s address reuses its inbound connection', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  const event = nextEvent<[SipRequest, TransportSource]>(tl, 'message')
  c.write(options({ callId: 'register-like' }))
  const [, source] = await event
  const opened = collect(tl, 'connectionOpened')
  await tl.send(request('toward-peer'), { transport: 'tcp', host: '127.0.0.1', port: c.socket.localPort! })
  await c.untilText(/Call-ID: toward-peer/)
  t.match(c.text, /^OPTIONS sip:peer@127\.0\.0\.1 SIP\/2\.0\r\n/)
  t.equal(opened.length, 0, 'no new connection')
  t.equal(tl.connectionSource(source.connectionId)?.remotePort, c.socket.localPort)
})

t.test('RFC 5923 alias: requests to the peer\'s listening port use the connection it opened; without alias a new one', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const peer = await listeningPeer()
  t.teardown(() => peer.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())

  const plain = nextEvent(tl, 'message')
  c.write(options({ callId: 'no-alias', via: `SIP/2.0/TCP 127.0.0.1:${peer.port};branch=z9hG4bK-na` }))
  await plain
  await tl.send(request('new-conn'), { transport: 'tcp', host: '127.0.0.1', port: peer.port })
  await waitFor(() => peer.accepted.length === 1 && /new-conn/.test(peer.accepted[0].text), 3000, 'request on a new connection')
  t.notMatch(c.text, /new-conn/)

  const aliased = nextEvent(tl, 'message')
  c.write(options({ callId: 'alias', cseq: 2, via: `SIP/2.0/TCP 127.0.0.1:${peer.port};branch=z9hG4bK-al;alias` }))
  await aliased
  // Two connections now lead to the peer's port; the aliased one is the newest and wins.
  await tl.send(request('via-alias'), { transport: 'tcp', host: '127.0.0.1', port: peer.port })
  await c.untilText(/Call-ID: via-alias/)
  t.notMatch(peer.accepted[0].text, /via-alias/)
})

t.test('concurrent sends to one new peer share a single connection', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const peer = await listeningPeer()
  t.teardown(() => peer.close())
  await Promise.all([1, 2, 3, 4].map(n => tl.send(request(`burst-${n}`), { transport: 'tcp', host: '127.0.0.1', port: peer.port })))
  await waitFor(() => peer.accepted.length === 1 && (peer.accepted[0].text.match(/Call-ID: burst/g) ?? []).length === 4, 3000, 'four requests')
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(peer.accepted.length, 1)
})

t.test('a peer answering over our outbound connection: the response arrives as a message on it', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const peer = await listeningPeer()
  t.teardown(() => peer.close())
  const req = request('round-trip')
  await tl.send(req, { transport: 'tcp', host: '127.0.0.1', port: peer.port })
  await waitFor(() => peer.accepted.length === 1 && /round-trip/.test(peer.accepted[0].text), 3000, 'request at peer')
  const event = nextEvent<[SipResponse, TransportSource]>(tl, 'message')
  peer.accepted[0].write('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-round-trip\r\n' +
    'From: <sip:gw@127.0.0.1>;tag=g1\r\nTo: <sip:peer@127.0.0.1>;tag=p\r\nCall-ID: round-trip\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n')
  const [res, source] = await event
  t.equal(res.kind, 'response')
  t.equal(res.status, 200)
  t.equal(source.remotePort, peer.port)
})

t.test('send to a closed port rejects with ECONNREFUSED', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const probe = net.createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
  const closedPort = (probe.address() as net.AddressInfo).port
  await new Promise(resolve => probe.close(resolve))
  await t.rejects(tl.send(request('refused'), { transport: 'tcp', host: '127.0.0.1', port: closedPort }),
    { name: 'TransportError', code: 'ECONNREFUSED' })
})

t.test('localAddressFor: bound address, or the advertised one for Via/Contact behind NAT', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const bound = tl.localAddressFor('tcp')
  t.equal(bound.host, '127.0.0.1')
  t.ok(bound.port > 0)
  t.equal(bound.transport, 'tcp')
  const nat = await startTransport({ advertise: { host: '203.0.113.7', port: 5060 } })
  t.teardown(() => nat.close())
  t.same(nat.localAddressFor('tcp'), { host: '203.0.113.7', port: 5060, transport: 'tcp' })
})

t.test('a peer that accepts TCP but never completes the TLS handshake: send rejects with ETIMEDOUT at connectTimeoutMs', async t => {
  const tl = await startTransport({ limits: { connectTimeoutMs: 300 } })
  t.teardown(() => tl.close())
  const accepted: net.Socket[] = []
  const silent = net.createServer(s => { accepted.push(s); s.on('error', () => {}); s.resume() }) // reads, never answers
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => { accepted.forEach(s => s.destroy()); silent.close(resolve) }))
  const started = Date.now()
  const err = await tl.send(request('tls-stall'), { transport: 'tls', host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port })
    .then(() => null, (e: Error & { code?: string, isTimeout?: boolean }) => e)
  t.equal(err?.code, 'ETIMEDOUT')
  t.equal(err?.isTimeout, true, 'maps to 408 for the transaction layer')
  t.ok(Date.now() - started >= 280, 'waited for the connect timeout')
})

t.test('listen() on a port already in use rejects with EADDRINUSE and leaves nothing listening', async t => {
  const first = await startTransport()
  t.teardown(() => first.close())
  const port = first.localAddressFor('tcp').port
  await t.rejects(startTransport({ tcp: { host: '127.0.0.1', port } }), { code: 'EADDRINUSE' })
})

t.test('a transport other than tcp/tls is refused with SIP_ERR_UNSUPPORTED_TRANSPORT', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  await t.rejects(tl.send(request('udp'), { transport: 'udp' as 'tcp', host: '127.0.0.1', port: 5060 }),
    { name: 'TransportError', code: 'SIP_ERR_UNSUPPORTED_TRANSPORT' })
})

t.test('close() does not wait for connections that are open or stuck in a TLS handshake', async t => {
  const tl = await startTransport({ tls: { host: '127.0.0.1', port: 0 } })
  const plain = await RawClient.connect(tl.localAddressFor('tcp').port)
  const stuck = await RawClient.connect(tl.localAddressFor('tls').port) // TCP only: never sends a ClientHello
  t.teardown(() => { plain.destroy(); stuck.destroy() })
  plain.write(options({ callId: 'open' }).slice(0, 20))
  await new Promise(resolve => setTimeout(resolve, 50))
  const started = Date.now()
  await tl.close()
  t.ok(Date.now() - started < 1000, `closed in ${Date.now() - started} ms`)
  await plain.untilClosed()
  await stuck.untilClosed()
  await t.rejects(tl.send(request('after-close'), { transport: 'tcp', host: '127.0.0.1', port: 1 }), { code: 'SIP_ERR_TRANSPORT_CLOSED' })
})
