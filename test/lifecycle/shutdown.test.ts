// Drain and durable shutdown of the real `trunkgate` process (issue 15). Two SIPp calls are up when
// SIGTERM arrives: they go on and end normally, new INVITEs get 503 + Retry-After and OPTIONS 503 during
// the drain, the process exits 0 when the last call has ended, and both records are complete in the
// database (status, duration, media quality). With a drain timeout that expires, or a second SIGTERM,
// the calls get BYE with a Reason and their records are complete too.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { CallRecordStore } from '../../src/records'
import { describeRun, runSipp, telephoneEventOffer, type SippRun } from '../integration/sipp-runner'
import { NodeProcess } from './node-process'

const SIPP_DIR = path.join(__dirname, 'sipp')
const SPEECH = path.resolve(__dirname, '..', 'vectors', 'pcap', 'g711a.pcap')

function nodeConfig (dir: string, drainTimeoutS: number): string {
  const base = 20000 + 2 * Math.floor(Math.random() * 9000)
  const file = path.join(dir, 'trunkgate.yaml')
  fs.writeFileSync(file, `
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}, retryAfterSeconds: 7}
trunks: [{name: loopback, inbound: {acl: [127.0.0.0/8]}}]
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
engine: {embeddedDemo: true, demoPort: 0}
media: {port_min: ${base}, port_max: ${base + 200}, bind_address: 127.0.0.1}
records: {path: calls.db}
shutdown: {drain_timeout_s: ${drainTimeoutS}}
log: {level: info}
`)
  return file
}

async function startNode (t: Test, drainTimeoutS: number): Promise<{ node: NodeProcess, port: number, db: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-shutdown-'))
  const node = NodeProcess.start(nodeConfig(dir, drainTimeoutS))
  t.teardown(async () => { await node.kill(); fs.rmSync(dir, { recursive: true, force: true }) })
  const { sipPort } = await node.ready()
  return { node, port: sipPort, db: path.join(dir, 'calls.db') }
}

const answered = (l: { msg?: string }): boolean => l.msg === 'call answered'
const callEnded = (l: { msg?: string }): boolean => l.msg === 'call ended'

function storedRecords (db: string): ReturnType<CallRecordStore['list']> {
  const store = new CallRecordStore(db)
  try {
    return store.list({ limit: 1000 })
  } finally {
    store.close()
  }
}

t.test('SIGTERM with two calls up: both go on and end normally, 503 to new calls, exit 0 when they end, records complete', async t => {
  const { node, port, db } = await startNode(t, 120)
  const calls: Promise<SippRun> = runSipp({
    scenario: path.join(SIPP_DIR, 'uac-talk-bye.xml'),
    target: { host: '127.0.0.1', port },
    service: '+15550100',
    calls: 2,
    limit: 2,
    timeoutSec: 40,
    substitutions: { SPEECH_PCAP: SPEECH, TALK_MS: '8000', ...telephoneEventOffer(false) }
  })
  await node.waitFor(answered, 20000, 2)
  node.child.kill('SIGTERM')
  await node.waitFor(l => l.code === 'NODE_DRAINING')

  const refused = await runSipp({ scenario: path.join(SIPP_DIR, 'uac-refused-retry-after.xml'), target: { host: '127.0.0.1', port }, service: '+15550100', timeoutSec: 10, substitutions: { STATUS: '503' } })
  t.equal(refused.successfulCalls, 1, `a new INVITE during the drain gets 503 with Retry-After: ${describeRun(refused)}`)
  const probe = await runSipp({ scenario: path.join(SIPP_DIR, 'uac-probe.xml'), target: { host: '127.0.0.1', port }, timeoutSec: 10, substitutions: { STATUS: '503' } })
  t.equal(probe.successfulCalls, 1, `OPTIONS during the drain gets 503: ${describeRun(probe)}`)
  t.equal(node.count(callEnded), 0, 'the two calls were still up while the node refused new ones (otherwise TALK_MS is too short for this host)')
  t.ok(node.running, 'the process waits for its calls')

  const run = await calls
  t.equal(run.successfulCalls, 2, `both calls ended normally by the caller's BYE: ${describeRun(run)}`)
  const exit = await node.exited
  t.same(exit, { code: 0, signal: null }, 'exit 0 once the last call ended')
  const stopped = node.lines.find(l => l.msg === 'stopped: every call record committed')
  t.equal(stopped?.hungUp, 0, 'no call had to be hung up')
  t.notOk(node.lines.some(l => l.msg === 'inbound call record not written'), 'no record write failed')

  const recs = storedRecords(db)
  t.equal(recs.length, 2, 'one record per call (the refused INVITE never reached the call layer)')
  for (const r of recs) {
    t.equal(r.status, 'completed', `${r.conversationId} completed`)
    t.equal(r.hangupSide, 'remote', 'ended by the caller')
    t.ok(r.answeredAt !== null && r.endedAt !== null, 'answer and end times')
    t.ok((r.durationMs ?? 0) >= 7000, `duration covers the talk time (${r.durationMs} ms)`)
    t.ok((r.media?.packetsReceived ?? 0) > 100 && (r.media?.packetsSent ?? 0) > 100, `media quality recorded: ${JSON.stringify(r.media)}`)
  }
})

t.test('drain timeout expires: the calls still up get BYE with Reason, records complete, exit 0', async t => {
  const { node, port, db } = await startNode(t, 1)
  const calls = runSipp({
    scenario: path.join(SIPP_DIR, 'uac-bye-reason.xml'),
    target: { host: '127.0.0.1', port },
    service: '+15550100',
    calls: 2,
    limit: 2,
    timeoutSec: 40,
    substitutions: { SPEECH_PCAP: SPEECH, BYE_TIMEOUT_MS: '30000', REASON_TEXT: 'shutdown', ...telephoneEventOffer(false) }
  })
  await node.waitFor(answered, 20000, 2)
  node.child.kill('SIGTERM')
  const run = await calls
  t.equal(run.successfulCalls, 2, `both calls got BYE with Reason: Q.850;cause=16;text="shutdown": ${describeRun(run)}`)
  t.same(await node.exited, { code: 0, signal: null }, 'exit 0')
  t.equal(node.lines.find(l => l.msg === 'stopped: every call record committed')?.hungUp, 2, 'two calls hung up at the drain timeout')
  const recs = storedRecords(db)
  t.equal(recs.length, 2)
  for (const r of recs) {
    t.match(r, { status: 'completed', hangupCause: 'shutdown', hangupSide: 'system' }, 'ended by the shutdown')
    t.ok(r.endedAt !== null && (r.durationMs ?? 0) > 0, `duration ${r.durationMs} ms`)
    t.ok((r.media?.packetsReceived ?? 0) > 0, `media quality recorded: ${JSON.stringify(r.media)}`)
  }
})

t.test('a second SIGTERM cuts the drain short and still commits every record', async t => {
  const { node, port, db } = await startNode(t, 3600)
  const calls = runSipp({
    scenario: path.join(SIPP_DIR, 'uac-bye-reason.xml'),
    target: { host: '127.0.0.1', port },
    service: '+15550100',
    calls: 1,
    timeoutSec: 40,
    substitutions: { SPEECH_PCAP: SPEECH, BYE_TIMEOUT_MS: '30000', REASON_TEXT: 'shutdown', ...telephoneEventOffer(false) }
  })
  await node.waitFor(answered)
  node.child.kill('SIGTERM')
  await node.waitFor(l => l.code === 'NODE_DRAINING')
  t.ok(node.running, 'the first SIGTERM waits for the call')
  node.child.kill('SIGTERM')
  const run = await calls
  t.equal(run.successfulCalls, 1, `BYE with Reason after the second SIGTERM: ${describeRun(run)}`)
  t.same(await node.exited, { code: 0, signal: null }, 'exit 0, not killed by the second signal')
  const recs = storedRecords(db)
  t.equal(recs.length, 1)
  t.match(recs[0], { status: 'completed', hangupCause: 'shutdown' })
  t.ok(recs[0].media !== null, 'media quality recorded')
})
