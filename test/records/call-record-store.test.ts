import t, { type Test } from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CallRecordStore, FINAL_STATUSES, callRecordToJson } from '../../src/records'

function tmpStore (t: Test, opts = {}): { store: CallRecordStore, file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-store-'))
  const file = path.join(dir, 'calls.db')
  const store = new CallRecordStore(file, opts)
  t.teardown(() => { store.close(); fs.rmSync(dir, { recursive: true, force: true }) })
  return { store, file }
}

t.test('WAL journal mode on the file', async t => {
  const { store, file } = tmpStore(t)
  store.begin({ conversationId: 'c1', agentId: 'a', direction: 'inbound', fromNumber: '+1', toNumber: '+2' })
  t.ok(fs.existsSync(`${file}-wal`), 'a -wal file exists next to the database')
})

t.test('a complete record for each final status', async t => {
  let clock = 1_000_000
  const { store } = tmpStore(t, { now: () => clock })
  for (const status of FINAL_STATUSES) {
    const id = `conv-${status}`
    store.begin({ conversationId: id, callId: `call-${status}`, agentId: 'support', direction: 'outbound', trunk: 'carrier', fromNumber: '+15550100', toNumber: '+15550199' })
    t.equal(store.get(id)?.status, 'initiated')
    store.update(id, { status: 'ringing', sipCallId: `sip-${status}` })
    const answered = status === 'completed' || status === 'voicemail' || status === 'transferred'
    clock += 2000
    if (answered) store.update(id, { status: 'in-progress', answeredAt: clock })
    clock += 5000
    const r = store.finish(id, {
      status,
      hangupCause: `because-${status}`,
      hangupSide: 'remote',
      sipStatus: status === 'busy' ? 486 : null,
      dtmfReceived: 3,
      dtmfSent: 1,
      toolsCalled: [{ name: 'lookup', at: clock - 1000, ok: true }],
      transfer: status === 'transferred' ? { type: 'blind', target: '+15550111', result: 'succeeded', sipStatus: 202 } : null,
      media: answered ? { packetsReceived: 250, packetsSent: 250, packetsLost: 2, lossPercent: 0.79, jitterMs: 4, rttMs: 30, mos: 4.3 } : null
    })
    t.equal(r.status, status)
    t.equal(r.endedAt, clock)
    t.equal(r.durationMs, answered ? 5000 : 0, `${status}: duration counts from the answer`)
    t.equal(r.answeredAt, answered ? clock - 5000 : null)
    t.equal(r.sipCallId, `sip-${status}`)
    t.equal(r.hangupCause, `because-${status}`)
    t.equal(r.dtmfReceived, 3)
    t.same(r.toolsCalled, [{ name: 'lookup', at: clock - 1000, ok: true }])
    const json = callRecordToJson(r)
    t.equal(json.status, status)
    t.equal(json.duration_secs, answered ? 5 : 0)
    t.same(json.dtmf, { received: 3, sent: 1 })
    if (status === 'transferred') t.same(json.transfer, { type: 'blind', target: '+15550111', result: 'succeeded', sip_status: 202 })
  }
  t.equal(store.list({ status: 'busy' }).length, 1)
  t.equal(store.list({ status: 'busy' })[0].sipStatus, 486)
  t.equal(store.list({ direction: 'outbound' }).length, FINAL_STATUSES.length)
})

t.test('an end is final: later updates and a second finish change nothing', async t => {
  const { store } = tmpStore(t)
  store.begin({ conversationId: 'c', agentId: 'a', direction: 'inbound', fromNumber: '+1', toNumber: '+2' })
  const first = store.finish('c', { status: 'busy', hangupCause: 'user_busy', hangupSide: 'remote', sipStatus: 486 })
  store.update('c', { status: 'in-progress', dtmfReceived: 9 })
  const second = store.finish('c', { status: 'completed', hangupCause: 'normal', hangupSide: 'local' })
  t.same(second, first)
  t.same(store.get('c'), first)
})

t.test('bad input', async t => {
  const { store } = tmpStore(t)
  store.begin({ conversationId: 'c', agentId: 'a', direction: 'inbound', fromNumber: '+1', toNumber: '+2' })
  t.throws(() => store.begin({ conversationId: 'c', agentId: 'a', direction: 'inbound', fromNumber: '+1', toNumber: '+2' }), /UNIQUE/, 'duplicate id refused')
  t.throws(() => store.finish('c', { status: 'ringing' as never, hangupCause: 'x', hangupSide: 'local' }), RangeError)
  t.throws(() => store.finish('nope', { status: 'failed', hangupCause: 'x', hangupSide: 'local' }), { code: 'RECORD_ERR_NOT_FOUND' })
  t.equal(store.get('nope'), null)
})

t.test('calls left active by a dead gateway end as failed on reopen; finished ones are untouched', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-store-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'calls.db')
  const a = new CallRecordStore(file, { now: () => 1000 })
  a.begin({ conversationId: 'live', agentId: 'a', direction: 'outbound', fromNumber: '+1', toNumber: '+2' })
  a.update('live', { status: 'in-progress', answeredAt: 1500 })
  a.begin({ conversationId: 'done', agentId: 'a', direction: 'outbound', fromNumber: '+1', toNumber: '+2' })
  const done = a.finish('done', { status: 'no-answer', hangupCause: 'ring_timeout', hangupSide: 'local', sipStatus: 487 })
  // No close(): the process "dies" with the handle open.
  const b = new CallRecordStore(file, { now: () => 9000 })
  t.teardown(() => { b.close(); a.close() })
  const live = b.get('live')
  t.equal(live?.status, 'failed')
  t.equal(live?.hangupCause, 'gateway_restart')
  t.equal(live?.hangupSide, 'system')
  t.equal(live?.durationMs, 7500)
  t.same(b.get('done'), done)
})

t.test('finish queues exactly one webhook job in the same transaction (outbox on)', async t => {
  const { store } = tmpStore(t, { outbox: true, now: () => 5 })
  store.begin({ conversationId: 'c', agentId: 'a', direction: 'inbound', fromNumber: '+1', toNumber: '+2' })
  t.same(store.dueJobs(100), [], 'no job while the call lives')
  store.finish('c', { status: 'completed', hangupCause: 'normal', hangupSide: 'remote' })
  store.finish('c', { status: 'completed', hangupCause: 'normal', hangupSide: 'remote' })
  const jobs = store.dueJobs(100)
  t.equal(jobs.length, 1)
  t.equal(jobs[0].conversationId, 'c')
  t.same(store.outboxState('c'), { state: 'pending', attempts: 0, lastError: null })
})
