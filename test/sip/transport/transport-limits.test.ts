// Resource limits on real sockets: slowloris read timeout, idle timeout, per-source connection cap,
// RFC 4475 §3.1.2.2 (clerr) short body over TCP.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import type { SipMessage } from '../../../src/sip/message/types'
import { RawClient, TORTURE_DIR, captureLogger, collect, options, startTransport, waitFor } from './helpers'

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

t.test('slowloris: header octets dribbled slower than the read timeout get the connection closed', async t => {
  const { logger, lines } = captureLogger()
  const tl = await startTransport({ limits: { headerReadTimeoutMs: 300 } }, logger)
  t.teardown(() => tl.close())
  const got = collect(tl, 'message')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  const m = options({ callId: 'slow' })
  const started = Date.now()
  // One octet every 50 ms: each one is "traffic", so only a timer that is not extended by octets stops it.
  let i = 0
  while (!c.closed && i < m.length - 1 && Date.now() - started < 3000) {
    c.write(m[i++])
    await sleep(50)
  }
  await c.untilClosed(3000)
  const elapsed = Date.now() - started
  t.ok(elapsed >= 250 && elapsed < 1500, `closed after ${elapsed} ms (timeout 300 ms)`)
  t.ok(i < m.length - 1, 'closed before the header section was complete')
  t.equal(got.length, 0)
  t.equal(c.text, '', 'no response: nothing complete to answer')
  t.ok(lines.some(l => l.msg === 'message not complete within the read timeout'), 'logged')
})

t.test('the read timer is per message: a steady client sending complete messages is never cut', async t => {
  const tl = await startTransport({ limits: { headerReadTimeoutMs: 200 } })
  t.teardown(() => tl.close())
  const got = collect(tl, 'message')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  for (let n = 0; n < 6; n++) {
    const m = options({ callId: `steady-${n}`, cseq: n + 1 })
    c.write(m.slice(0, 30))
    await sleep(60)
    c.write(m.slice(30))
    await sleep(60)
  }
  await c.until(() => got.length === 6, 2000, 'six messages')
  t.notOk(c.closed, 'still open after 720 ms of traffic with a 200 ms read timeout')
})

t.test('RFC 4475 clerr.dat over TCP: no 400 at once, the connection closes at the read timeout', async t => {
  const tl = await startTransport({ limits: { headerReadTimeoutMs: 400 } })
  t.teardown(() => tl.close())
  const got = collect(tl, 'message')
  const errors = collect(tl, 'parseError')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  const started = Date.now()
  c.write(fs.readFileSync(path.join(TORTURE_DIR, 'clerr.dat')))
  await sleep(200)
  t.notOk(c.closed, 'still waiting for the rest of the body at 200 ms')
  t.equal(c.text, '', 'no immediate 400')
  await c.untilClosed(3000)
  t.ok(Date.now() - started >= 350, 'closed at the read timeout')
  t.equal(got.length, 0)
  t.equal(errors.length, 0)
})

t.test('idle timeout: a connection with no traffic is closed and logged', async t => {
  const { logger, lines } = captureLogger()
  const tl = await startTransport({ limits: { idleTimeoutMs: 300 } }, logger)
  t.teardown(() => tl.close())
  const closed = collect<[string, string]>(tl, 'connectionClosed')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.write(options({ callId: 'then-quiet' }))
  const started = Date.now()
  await c.untilClosed(3000)
  const elapsed = Date.now() - started
  t.ok(elapsed >= 250 && elapsed < 2000, `closed after ${elapsed} ms idle (timeout 300 ms)`)
  // The peer sees our FIN before the server socket's 'close' fires: wait for the event, don't assume a tick.
  await waitFor(() => closed.length >= 1, 2000, 'connectionClosed event')
  t.equal(closed.length, 1)
  t.equal(closed[0][1], 'idle timeout')
  t.ok(lines.some(l => l.msg === 'closing connection' && l.reason === 'idle timeout'))
})

t.test('pings keep an otherwise idle connection open (RFC 5626 §4.4.1 keep-alive is traffic)', async t => {
  const tl = await startTransport({ limits: { idleTimeoutMs: 250 } })
  t.teardown(() => tl.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  for (let n = 0; n < 5; n++) {
    c.write('\r\n\r\n')
    await sleep(100)
  }
  t.notOk(c.closed, 'open after 500 ms with pings every 100 ms')
  t.equal(c.text, '\r\n'.repeat(5))
  await c.untilClosed(2000)
  t.pass('closed once the pings stopped')
})

t.test('per-source cap: connections beyond maxConnectionsPerSource are refused and logged; closing one frees a slot', async t => {
  const { logger, lines } = captureLogger()
  const tl = await startTransport({ limits: { maxConnectionsPerSource: 3 } }, logger)
  t.teardown(() => tl.close())
  const got = collect<[SipMessage]>(tl, 'message')
  const port = tl.localAddressFor('tcp').port
  const clients = await Promise.all([0, 1, 2, 3, 4].map(() => RawClient.connect(port)))
  t.teardown(() => clients.forEach(c => c.destroy()))
  clients.forEach((c, n) => c.write(options({ callId: `cap-${n}` })))
  await clients[0].until(() => got.length === 3 && clients.filter(c => c.closed).length === 2, 3000,
    'three messages and two refused connections')
  await sleep(50)
  const admitted = clients.map((c, n) => c.closed ? -1 : n).filter(n => n >= 0)
  t.equal(admitted.length, 3, 'three admitted connections stay open')
  t.equal(got.length, 3, 'refused connections delivered nothing')
  t.same(got.map(([m]) => m.headers.find(h => h.name === 'Call-ID')?.value).sort(), admitted.map(n => `cap-${n}`))
  t.equal(lines.filter(l => l.msg === 'connection refused: too many connections from this source').length, 2)

  const freed = clients[admitted[0]]
  freed.destroy()
  await freed.untilClosed()
  await sleep(50)
  const again = await RawClient.connect(port)
  t.teardown(() => again.destroy())
  again.write(options({ callId: 'cap-again' }))
  await again.until(() => got.length === 4, 2000, 'the freed slot is usable')
  t.notOk(again.closed)
})

t.test('ECONNRESET from a client mid-message is tolerated', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const closed = collect<[string, string]>(tl, 'connectionClosed')
  const got = collect(tl, 'message')
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  c.write(options({ callId: 'reset' }).slice(0, 50))
  await sleep(30)
  c.socket.resetAndDestroy()
  const c2 = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c2.destroy())
  c2.write(options({ callId: 'after-reset' }))
  await c2.until(() => got.length === 1 && closed.length === 1, 2000, 'message and close')
  t.equal(got.length, 1)
})

/** Timers under test control (STYLE.md: injected clocks), so the read timeout is checked to the millisecond. */
class ManualTimers {
  private now = 0
  private seq = 0
  readonly pending = new Map<number, { fn: () => void, at: number, ms: number }>()
  setTimeout = (fn: () => void, ms: number): unknown => { const id = ++this.seq; this.pending.set(id, { fn, at: this.now + ms, ms }); return id }
  clearTimeout = (handle: unknown): void => { this.pending.delete(handle as number) }
  advance (ms: number): void {
    this.now += ms
    for (const [id, p] of [...this.pending]) {
      if (p.at <= this.now) { this.pending.delete(id); p.fn() }
    }
  }
}

t.test('injected timers: the read timer starts at the first octet and fires exactly at headerReadTimeoutMs', async t => {
  const timers = new ManualTimers()
  const tl = await startTransport({ timers, limits: { headerReadTimeoutMs: 10_000 } })
  t.teardown(() => tl.close())
  const c = await RawClient.connect(tl.localAddressFor('tcp').port)
  t.teardown(() => c.destroy())
  c.write('\r\n\r\n')
  await c.untilText(/^\r\n$/)
  t.equal(timers.pending.size, 0, 'a keep-alive does not arm the read timer')
  c.write('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-m\r\n')
  await waitFor(() => timers.pending.size === 1, 2000, 'read timer armed')
  t.same([...timers.pending.values()].map(p => p.ms), [10_000])
  c.write('Max-Forwards: 70\r\n')
  await sleep(50)
  t.equal(timers.pending.size, 1, 'more octets do not re-arm it')
  timers.advance(9_999)
  await sleep(50)
  t.notOk(c.closed, 'open at 9.999 s')
  timers.advance(1)
  await c.untilClosed(2000)
  t.pass('closed at 10 s')
})
