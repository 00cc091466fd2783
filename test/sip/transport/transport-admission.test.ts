// Connections that never become SIP (issue 17 item 2): a half-sent TLS ClientHello, a TCP peer that
// never sends an octet, and many sources together. Each must be closed or refused, and its slot
// given back, so neither one address nor many can lock the listener.
import t from 'tap'
import net from 'node:net'
import { RawClient, captureLogger, collect, options, startTransport, waitFor } from './helpers'

/** The first octets of a TLS 1.2 ClientHello record (handshake, version, length, ClientHello…) and no more. */
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x11, 0x22])

function rawConnect (port: number, localAddress = '127.0.0.1'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(new RawClient(s)))
    s.once('error', reject)
  })
}

t.test('half-open TLS: a client that stops mid-ClientHello is closed at the handshake timeout and frees its slot', async t => {
  const { logger, lines } = captureLogger()
  const tl = await startTransport({
    tcp: undefined,
    tls: { host: '127.0.0.1', port: 0 },
    limits: { headerReadTimeoutMs: 300, maxConnectionsPerSource: 2 }
  }, logger)
  t.teardown(() => tl.close())
  const handshakeErrors = collect(tl, 'tlsClientError')
  const port = tl.localAddressFor('tls').port
  const stalled = await Promise.all([rawConnect(port), rawConnect(port)])
  t.teardown(() => stalled.forEach(c => c.destroy()))
  for (const c of stalled) c.write(PARTIAL_CLIENT_HELLO)
  await Promise.all(stalled.map(c => c.untilClosed(5000)))
  t.equal(handshakeErrors.length, 2, 'both handshake timeouts reported')
  t.ok(lines.some(l => l.msg === 'TLS handshake failed'), 'logged')
  // Both slots of the source are free again: a real client gets in and is served.
  const got = collect(tl, 'message')
  const ok = await RawClient.connectTls(port, { rejectUnauthorized: false })
  t.teardown(() => ok.destroy())
  ok.write(options({ callId: 'after-half-open', via: 'SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-ho' }))
  await waitFor(() => got.length === 1, 3000, 'the request of a real client')
  t.notOk(ok.closed)
})

/** Timers under test control (STYLE.md: injected clocks). */
class ManualTimers {
  private seq = 0
  readonly pending = new Map<number, { fn: () => void, ms: number }>()
  setTimeout = (fn: () => void, ms: number): unknown => { const id = ++this.seq; this.pending.set(id, { fn, ms }); return id }
  clearTimeout = (handle: unknown): void => { this.pending.delete(handle as number) }
  fireAll (): void {
    for (const [id, p] of [...this.pending]) { this.pending.delete(id); p.fn() }
  }
}

t.test('a TCP connection that never sends an octet is closed at the read timeout, not the idle timeout', async t => {
  const { logger, lines } = captureLogger()
  const timers = new ManualTimers()
  const tl = await startTransport({ timers, limits: { headerReadTimeoutMs: 300, idleTimeoutMs: 600_000 } }, logger)
  t.teardown(() => tl.close())
  const opened = collect(tl, 'connectionOpened')
  const closed = collect<[string, string]>(tl, 'connectionClosed')
  const silent = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => silent.destroy())
  await waitFor(() => opened.length === 1, 3000, 'connectionOpened')
  t.same([...timers.pending.values()].map(p => p.ms), [300], 'the read timer runs from accept')
  timers.fireAll()
  await silent.untilClosed(3000)
  await waitFor(() => closed.length === 1, 3000, 'connectionClosed')
  t.equal(closed[0][1], 'read timeout')
  t.ok(lines.some(l => l.msg === 'message not complete within the read timeout'))
})

t.test('a client that speaks at once is not affected by the first-octet timer', async t => {
  const timers = new ManualTimers()
  const tl = await startTransport({ timers, limits: { headerReadTimeoutMs: 300 } })
  t.teardown(() => tl.close())
  const got = collect(tl, 'message')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.write(options({ callId: 'speaks' }))
  await waitFor(() => got.length === 1, 3000, 'message')
  t.equal(timers.pending.size, 0, 'no read timer once the first message is complete: only the idle timeout applies')
  c.write('\r\n\r\n')
  await c.untilText(/^\r\n$/)
  t.notOk(c.closed)
})

t.test('global cap: connections beyond maxConnections are refused whatever their source, and a slot is reused after a close', async t => {
  const { logger, lines } = captureLogger()
  const tl = await startTransport({ limits: { maxConnections: 3, maxConnectionsPerSource: 64 } }, logger)
  t.teardown(() => tl.close())
  const got = collect(tl, 'message')
  const closed = collect(tl, 'connectionClosed')
  const port = tl.localAddressFor('tcp').port
  // Four source addresses on loopback: the per-source cap alone would admit all of them.
  const clients = await Promise.all(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'].map(a => rawConnect(port, a)))
  t.teardown(() => clients.forEach(c => c.destroy()))
  clients.forEach((c, n) => c.write(options({ callId: `g-${n}` })))
  await waitFor(() => got.length === 3 && clients.filter(c => c.closed).length === 1, 3000, 'three served, one refused')
  t.equal(lines.filter(l => l.msg === 'connection refused: too many connections in all').length, 1)

  const admitted = clients.filter(c => !c.closed)
  admitted[0].destroy()
  await waitFor(() => closed.length === 1, 3000, 'the server saw the close')
  const again = await rawConnect(port, '127.0.0.5')
  t.teardown(() => again.destroy())
  again.write(options({ callId: 'g-again' }))
  await waitFor(() => got.length === 4, 3000, 'the freed slot is usable')
})
