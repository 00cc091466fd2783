// The UDP transport on loopback: one message per datagram, keep-alives and garbage counted (never passed up),
// broken requests answered to their source, oversize datagrams dropped, and the RFC 3261 §18.1.1 size rule
// (a request above 1300 bytes goes over TCP, its Via saying so).
import t from 'tap'
import dgram from 'node:dgram'
import net from 'node:net'
import { TransportLayer, UDP_REQUEST_LIMIT } from '../../../src/sip/transport/transport-layer'
import type { SipMessage } from '../../../src/sip/message/types'
import { getHeader } from '../../../src/sip/message/headers'
import { silentLogger } from '../../fixtures/sip/fake-sender'

const OPTIONS = (pad = 0, transport = 'UDP', port = 5999): string => [
  'OPTIONS sip:probe@127.0.0.1 SIP/2.0', `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK-udp${pad};rport`,
  'From: <sip:probe@127.0.0.1>;tag=1', 'To: <sip:probe@127.0.0.1>', `Call-ID: udp-${pad}`, 'CSeq: 1 OPTIONS',
  'Max-Forwards: 70', ...(pad > 0 ? [`X-Pad: ${'a'.repeat(pad)}`] : []), 'Content-Length: 0', '', ''
].join('\r\n')

async function layer (): Promise<TransportLayer> {
  const l = new TransportLayer({ udp: { host: '127.0.0.1', port: 0 }, tcp: { host: '127.0.0.1', port: 0 }, limits: { maxMessageBytes: 4096 } }, silentLogger)
  await l.listen()
  return l
}

async function client (): Promise<{ sock: dgram.Socket, port: number, next: () => Promise<string> }> {
  const sock = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve))
  const queue: string[] = []
  const waiters: Array<(m: string) => void> = []
  sock.on('message', (m) => { const w = waiters.shift(); if (w) w(m.toString()); else queue.push(m.toString()) })
  return { sock, port: sock.address().port, next: () => new Promise((resolve) => { const m = queue.shift(); if (m !== undefined) resolve(m); else waiters.push(resolve) }) }
}

function send (sock: dgram.Socket, data: string | Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => sock.send(data, port, '127.0.0.1', (e) => e ? reject(e) : resolve()))
}

t.test('a datagram is one message; received/rport stamped from the datagram source (RFC 3581)', async (t) => {
  const l = await layer()
  t.teardown(() => l.close())
  const c = await client()
  t.teardown(() => c.sock.close())
  const got = new Promise<{ msg: SipMessage, source: { transport: string, connectionId: string } }>((resolve) => l.once('message', (msg, source) => resolve({ msg, source })))
  await send(c.sock, OPTIONS(), l.localAddressFor('udp').port)
  const { msg, source } = await got
  t.equal(source.transport, 'udp')
  t.equal(source.connectionId, `udp|127.0.0.1|${c.port}`, 'the flow is the connection')
  t.match(getHeader(msg, 'Via') ?? '', new RegExp(`;rport=${c.port}`))
  // A response sent "on the connection" goes to the flow.
  await l.send({ kind: 'response', status: 200, reason: 'OK', version: 'SIP/2.0', headers: msg.headers.filter(h => h.name !== 'Max-Forwards'), body: Buffer.alloc(0) }, { connectionId: source.connectionId })
  t.match(await c.next(), /^SIP\/2\.0 200 OK/)
})

t.test('keep-alives, garbage, broken requests and oversize datagrams: counted, never passed up', async (t) => {
  const l = await layer()
  t.teardown(() => l.close())
  const c = await client()
  t.teardown(() => c.sock.close())
  const port = l.localAddressFor('udp').port
  const passed: SipMessage[] = []
  l.on('message', (m) => passed.push(m))
  const dropped: string[] = []
  l.on('datagramDropped', (reason) => dropped.push(reason))
  await send(c.sock, '\r\n\r\n', port)
  const stun = Buffer.alloc(20); stun.writeUInt16BE(0x0001, 0); stun.writeUInt32BE(0x2112a442, 4)
  await send(c.sock, stun, port)
  await send(c.sock, '\u0016\u0003\u0001 not sip at all', port)
  await send(c.sock, 'SIP/2.0 200 OK\r\nVia: broken\r\n\r\n', port)
  await send(c.sock, OPTIONS(5000), port)
  await send(c.sock, 'OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKbad;rport\r\nCall-ID: bad\r\nCSeq: nope\r\n\r\n', port)
  t.match(await c.next(), /^SIP\/2\.0 400 /, 'a broken request is answered 400 at its source')
  // A valid datagram after the garbage proves the socket keeps working and orders the counters check.
  const ok = new Promise<void>((resolve) => l.once('message', () => resolve()))
  await send(c.sock, OPTIONS(), port)
  await ok
  t.equal(passed.length, 1, 'only the valid OPTIONS reached the layer above')
  const s = l.udpStats()!
  t.equal(s.keepalives, 2, 'CRLF and STUN keep-alives')
  // The TLS-record garbage is not a Status-Line, so it counts as an unparseable request (issue 17 item 5:
  // only a start line that is a Status-Line is a response); the broken 200 is the one broken response.
  t.same(s.dropped, { oversize: 1, unparseable: 2, broken_response: 1, broken_ack: 0 })
  t.same(dropped.sort(), ['broken_response', 'oversize', 'unparseable', 'unparseable'])
})

t.test('§18.1.1: a request above 1300 bytes goes over TCP with a TCP Via; a small one over UDP', async (t) => {
  const l = await layer()
  t.teardown(() => l.close())
  // The peer listens on the same port number for UDP and TCP, as a SIP server does.
  const tcp = net.createServer()
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve))
  const port = (tcp.address() as net.AddressInfo).port
  const udp = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve))
  t.teardown(() => { udp.close(); tcp.close() })
  const overTcp = new Promise<string>((resolve) => tcp.once('connection', (s) => { let b = ''; s.on('data', (d) => { b += d.toString(); if (b.includes('\r\n\r\n')) { resolve(b); s.destroy() } }) }))
  const overUdp = new Promise<string>((resolve) => udp.once('message', (m) => resolve(m.toString())))
  const { parseMessage } = await import('../../../src/sip/parser/parser')
  const big = parseMessage(Buffer.from(OPTIONS(UDP_REQUEST_LIMIT)))
  const small = parseMessage(Buffer.from(OPTIONS()))
  await l.send(big, { transport: 'udp', host: '127.0.0.1', port })
  await l.send(small, { transport: 'udp', host: '127.0.0.1', port })
  const viaTcp = /^Via: (.*)$/m.exec(await overTcp)?.[1] ?? ''
  t.match(viaTcp, new RegExp(`^SIP/2\\.0/TCP 127\\.0\\.0\\.1:${l.localAddressFor('tcp').port};branch=z9hG4bK-udp${UDP_REQUEST_LIMIT};rport`), 'Via rewritten to TCP and our TCP port')
  t.match(await overUdp, /^OPTIONS .*\r\nVia: SIP\/2\.0\/UDP /s, 'the small request stays on UDP')
})
