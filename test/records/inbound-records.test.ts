// Inbound AI calls (issue 4's call layer) leave durable records too: a call refused because the engine
// is unreachable, and an answered call hung up through the call-control interface the API uses.
import t, { type Test } from 'tap'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { startServer } from '../../src/server'
import { CallRecordStore } from '../../src/records'
import { callUntilGatewayBye, gatewayConfig, nextRecord } from '../e2e/helpers'
import { TestEngine } from '../e2e/test-engine'

async function deadAddress (): Promise<string> {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return `127.0.0.1:${port}`
}

function withRecords (t: Test, engineAddress: string): ReturnType<typeof gatewayConfig> & { dbFile: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-inbound-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const config = gatewayConfig({ engineAddress, connectTimeoutMs: 300 })
  const dbFile = path.join(dir, 'calls.db')
  config.records = { path: dbFile }
  return Object.assign(config, { dbFile })
}

t.test('refused inbound call (engine unreachable → 503) is recorded durably', async t => {
  const config = withRecords(t, await deadAddress())
  const server = await startServer(config, { aiCalls: true })
  const ended = nextRecord(server)
  const call = callUntilGatewayBye(server, { byeTimeoutMs: 3000 })
  const r = await ended
  await call
  await server.close()
  const store = new CallRecordStore(config.dbFile)
  t.teardown(() => store.close())
  const rec = store.get(r.conversationId)
  t.ok(rec, 'record present after the gateway stopped')
  t.equal(rec?.direction, 'inbound')
  t.equal(rec?.status, 'rejected')
  t.equal(rec?.sipStatus, 503)
  t.equal(rec?.toNumber, '+15550100')
  t.equal(rec?.agentId, 'demo')
  t.equal(rec?.sipCallId, r.sipCallId)
  t.equal(rec?.hangupSide, 'system')
})

t.test('answered inbound call: in-progress while live, hang-up through call control, completed record', async t => {
  const engine = new TestEngine({})
  await engine.start()
  t.teardown(() => engine.stop())
  const config = withRecords(t, engine.address)
  const server = await startServer(config, { aiCalls: true })
  t.teardown(() => server.close())
  const control = server.services.dialler
  const call = callUntilGatewayBye(server, { byeTimeoutMs: 15000 })
  let id: string | null = null
  const deadline = Date.now() + 10000
  while (Date.now() < deadline) {
    const live = control.list({ direction: 'inbound', status: 'in-progress' })
    if (live.length > 0) { id = live[0].conversationId; break }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.ok(id, 'the answered inbound call shows as in-progress')
  const rec = await control.hangup(id as string)
  t.equal(rec.status, 'completed')
  t.equal(rec.hangupCause, 'api_hangup')
  t.equal(rec.hangupSide, 'local', 'an API hang-up is our decision, as on outbound calls')
  t.ok(rec.answeredAt !== null && rec.durationMs !== null && rec.durationMs >= 0)
  const { run } = await call
  t.equal(run.successfulCalls, 1, 'the caller got our BYE')
})
