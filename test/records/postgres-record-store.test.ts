// records.type: postgres (issue 15) against a real PostgreSQL 15 started by the test: migrations at
// start (run once for two nodes), the same record life as the SQLite store (begin, update, finish
// once, webhook job in the same transaction), a restart closes only the restarting node's live calls,
// and a node delivers only its own webhook jobs.
import t from 'tap'
import { PostgresRecordStore } from '../../src/records'
import { PgSyncClient } from '../../src/records/pg-sync-client'
import { startPostgres } from './postgres-server'

t.test('PostgreSQL record store', async t => {
  const pg = await startPostgres()
  t.teardown(() => pg.stop())
  const open = (nodeId: string): PostgresRecordStore => new PostgresRecordStore({ url: pg.url, nodeId, outbox: true })

  // Two nodes open the same database: the migration runs once (the second finds it done).
  const a = open('node-a')
  const b = open('node-b')
  const raw = new PgSyncClient({ url: pg.url })
  t.teardown(() => { raw.close(); a.close(); b.close() })
  t.same(raw.query('SELECT version FROM schema_migrations'), [{ version: 1 }], 'one migration recorded')

  t.test('a call from begin to a durable end, visible to the other node', async t => {
    const rec = a.begin({ conversationId: 'conv_1', agentId: 'demo', direction: 'inbound', fromNumber: '+1555', toNumber: '+1666', sipCallId: 'sip-1', createdAt: 1000, status: 'ringing' })
    t.match(rec, { conversationId: 'conv_1', status: 'ringing', createdAt: 1000, endedAt: null })
    a.update('conv_1', { status: 'in-progress', answeredAt: 2000, dtmfReceived: 3 })
    t.match(b.get('conv_1'), { status: 'in-progress', answeredAt: 2000, dtmfReceived: 3 }, 'node b reads node a\'s live call')
    t.match(b.getBySipCallId('sip-1'), { conversationId: 'conv_1' })
    const media = { packetsReceived: 500, packetsSent: 499, packetsLost: 1, lossPercent: 0.2, jitterMs: 3, rttMs: 0, mos: 4.3 }
    const end = a.finish('conv_1', { status: 'completed', hangupCause: 'normal_clearing', hangupSide: 'remote', endedAt: 9000, media })
    t.match(end, { status: 'completed', durationMs: 7000, endedAt: 9000, media })
    const again = a.finish('conv_1', { status: 'failed', hangupCause: 'late', hangupSide: 'system', endedAt: 9999 })
    t.match(again, { status: 'completed', endedAt: 9000 }, 'an end is never rewritten')
    a.update('conv_1', { status: 'ringing' })
    t.equal(a.get('conv_1')?.status, 'completed', 'no update after the end')
    t.match(a.outboxState('conv_1'), { state: 'pending', attempts: 0 }, 'webhook job queued with the final record')
    t.equal(Number(raw.query<{ n: string }>('SELECT count(*) AS n FROM webhook_outbox WHERE conversation_id=$1', ['conv_1'])[0].n), 1, 'exactly one job')
    t.throws(() => a.begin({ conversationId: 'conv_1', agentId: 'demo', direction: 'inbound', fromNumber: '+1', toNumber: '+2' }), 'duplicate id refused')
  })

  t.test('list and count across nodes', async t => {
    b.begin({ conversationId: 'conv_2', agentId: 'demo', direction: 'outbound', fromNumber: '+1', toNumber: '+2', createdAt: 3000 })
    t.same(a.list().map(r => r.conversationId), ['conv_2', 'conv_1'], 'newest first, both nodes')
    t.same(a.list({ direction: 'outbound' }).map(r => r.conversationId), ['conv_2'])
    t.equal(a.count(), 2)
  })

  t.test('webhook jobs: each node delivers its own', async t => {
    b.finish('conv_2', { status: 'busy', hangupCause: 'user_busy', hangupSide: 'remote', sipStatus: 486, endedAt: 4000 })
    t.same(a.dueJobs(10000).map(j => j.conversationId), ['conv_1'])
    t.same(b.dueJobs(10000).map(j => j.conversationId), ['conv_2'])
    const job = a.dueJobs(10000)[0]
    a.scheduleRetry(job.id, 20000, 'HTTP 500')
    t.same(a.dueJobs(10000), [], 'not due before its retry time')
    t.match(a.dueJobs(20000)[0], { attempts: 1, lastError: 'HTTP 500' })
    a.markDelivered(job.id)
    t.match(a.outboxState('conv_1'), { state: 'delivered', attempts: 2 })
  })

  t.test('a restart closes only the restarting node\'s live calls', async t => {
    a.begin({ conversationId: 'conv_a_live', agentId: 'demo', direction: 'inbound', fromNumber: '+1', toNumber: '+2', status: 'in-progress' })
    b.begin({ conversationId: 'conv_b_live', agentId: 'demo', direction: 'inbound', fromNumber: '+1', toNumber: '+2', status: 'in-progress' })
    const a2 = open('node-a')
    t.teardown(() => a2.close())
    t.match(a2.get('conv_a_live'), { status: 'failed', hangupCause: 'gateway_restart', hangupSide: 'system' }, 'node a\'s interrupted call closed')
    t.match(a2.get('conv_b_live'), { status: 'in-progress', endedAt: null }, 'node b\'s live call untouched')
  })
})

t.test('an unreachable database fails the store at start, within the timeout', async t => {
  const started = Date.now()
  t.throws(() => new PostgresRecordStore({ url: 'postgres://postgres@127.0.0.1:1/postgres', nodeId: 'x', timeoutMs: 3000 }))
  t.ok(Date.now() - started < 10000, 'bounded')
})
