// Post-call webhook against a real HTTP server on loopback: retries with exponential backoff, bounded
// attempts, the record kept whatever the webhook does, and a verifiable signature.
import t, { type Test } from 'tap'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { CallRecordStore, PostCallWebhook, backoffDelay } from '../../src/records'

const logger = pino({ level: 'silent' })

interface Hook { url: string, bodies: string[], headers: http.IncomingHttpHeaders[], statuses: number[] }

async function hookServer (t: Test, statuses: number[]): Promise<Hook> {
  const hook: Hook = { url: '', bodies: [], headers: [], statuses }
  let i = 0
  const srv = http.createServer((req, res) => {
    let body = ''
    req.on('data', d => { body += d })
    req.on('end', () => {
      hook.bodies.push(body)
      hook.headers.push(req.headers)
      res.statusCode = statuses[Math.min(i++, statuses.length - 1)]
      res.end('x')
    })
  })
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  hook.url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/post-call`
  t.teardown(() => new Promise<void>(resolve => srv.close(() => resolve())))
  return hook
}

function endedCall (t: Test, now: () => number): CallRecordStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-hook-'))
  const store = new CallRecordStore(path.join(dir, 'calls.db'), { outbox: true, now })
  t.teardown(() => { store.close(); fs.rmSync(dir, { recursive: true, force: true }) })
  store.begin({ conversationId: 'conv-1', agentId: 'support', direction: 'outbound', fromNumber: '+15550100', toNumber: '+15550199' })
  store.finish('conv-1', { status: 'completed', hangupCause: 'remote_bye', hangupSide: 'remote' })
  return store
}

const noTimers = { setTimeout: () => null, clearTimeout: () => undefined }

t.test('backoff doubles and is capped', async t => {
  t.same([0, 1, 2, 3, 4, 10].map(a => backoffDelay(a, 1000, 10000)), [1000, 2000, 4000, 8000, 10000, 10000])
})

t.test('retries failed deliveries with backoff until the receiver accepts', async t => {
  let now = 1_000_000
  const hook = await hookServer(t, [500, 503, 200])
  const store = endedCall(t, () => now)
  const latencies: boolean[] = []
  const wh = new PostCallWebhook(store, { url: hook.url, baseDelayMs: 1000, maxAttempts: 5, secret: 's3cret' },
    { now: () => now, timers: noTimers, logger, onAttempt: (_ms, ok) => latencies.push(ok) })
  await wh.pass()
  t.equal(hook.bodies.length, 1)
  t.same(store.outboxState('conv-1'), { state: 'pending', attempts: 1, lastError: 'HTTP 500' })
  await wh.pass()
  t.equal(hook.bodies.length, 1, 'not due before the backoff delay')
  now += 1000
  await wh.pass()
  t.equal(hook.bodies.length, 2, 'second attempt after 1 s')
  now += 1999
  await wh.pass()
  t.equal(hook.bodies.length, 2, 'third attempt not before 2 s')
  now += 1
  await wh.pass()
  t.equal(hook.bodies.length, 3)
  t.same(store.outboxState('conv-1'), { state: 'delivered', attempts: 3, lastError: null })
  t.same(latencies, [false, false, true])
  const body = JSON.parse(hook.bodies[2])
  t.equal(body.type, 'call_ended')
  t.equal(body.data.conversation_id, 'conv-1')
  t.equal(body.data.status, 'completed')
  // The receiver can check the signature over "<t>.<body>".
  const sig = String(hook.headers[2]['trunkgate-signature'])
  const m = /^t=(\d+),v0=([0-9a-f]{64})$/.exec(sig)
  t.ok(m, sig)
  if (m) t.equal(m[2], crypto.createHmac('sha256', 's3cret').update(`${m[1]}.${hook.bodies[2]}`).digest('hex'))
  now += 100000
  await wh.pass()
  t.equal(hook.bodies.length, 3, 'a delivered job is not sent again')
})

t.test('bounded attempts: a dead webhook stops, the record stays', async t => {
  let now = 0
  const hook = await hookServer(t, [500])
  const store = endedCall(t, () => now)
  const wh = new PostCallWebhook(store, { url: hook.url, baseDelayMs: 10, maxAttempts: 3 }, { now: () => now, timers: noTimers, logger })
  for (let i = 0; i < 10; i++) { await wh.pass(); now += 1000 }
  t.equal(hook.bodies.length, 3)
  t.same(store.outboxState('conv-1'), { state: 'dead', attempts: 3, lastError: 'HTTP 500' })
  t.equal(store.get('conv-1')?.status, 'completed')
})

t.test('unreachable and slow receivers count as failures', async t => {
  let now = 0
  const store = endedCall(t, () => now)
  // A port nobody listens on.
  const srv = http.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  const wh = new PostCallWebhook(store, { url: `http://127.0.0.1:${port}/`, maxAttempts: 5 }, { now: () => now, timers: noTimers, logger })
  await wh.pass()
  t.match(store.outboxState('conv-1'), { state: 'pending', attempts: 1, lastError: /fetch failed|ECONNREFUSED/ })

  const slow = http.createServer(() => { /* never answers */ })
  await new Promise<void>(resolve => slow.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { slow.closeAllConnections(); slow.close() })
  now += 10_000
  const wh2 = new PostCallWebhook(store, { url: `http://127.0.0.1:${(slow.address() as { port: number }).port}/`, timeoutMs: 200, maxAttempts: 5 },
    { now: () => now, timers: noTimers, logger })
  await wh2.pass()
  t.match(store.outboxState('conv-1'), { attempts: 2, lastError: 'timeout after 200 ms' })
})

t.test('jobs survive a restart of the store', async t => {
  let now = 0
  const hook = await hookServer(t, [200])
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-hook-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'calls.db')
  const a = new CallRecordStore(file, { outbox: true, now: () => now })
  a.begin({ conversationId: 'c', agentId: 'x', direction: 'inbound', fromNumber: '1', toNumber: '2' })
  a.finish('c', { status: 'completed', hangupCause: 'remote_bye', hangupSide: 'remote' })
  a.close()
  const b = new CallRecordStore(file, { outbox: true, now: () => now })
  t.teardown(() => b.close())
  await new PostCallWebhook(b, { url: hook.url }, { now: () => now, timers: noTimers, logger }).pass()
  t.equal(hook.bodies.length, 1)
  t.equal(b.outboxState('c')?.state, 'delivered')
})
