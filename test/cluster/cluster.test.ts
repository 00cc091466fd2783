// A cluster as the README describes it (issue 15): the shipped docker/kamailio.cfg in a real Kamailio in
// front of three trunkgate nodes (the `trunkgate` command), PostgreSQL as their shared record store.
// SIPp places calls with RTP through Kamailio; during the run node 2 is drained through its API (zero
// failed calls, no new call answered there, its live calls complete) and node 3 is killed with SIGKILL
// (failures bounded by the calls it held at that moment). ACK and BYE follow the Record-Route through
// the proxy (SIPp's [routes]); every ended call has exactly one record in PostgreSQL.
// Size: CLUSTER_CALLS at CLUSTER_CPS. The issue asks for 300 calls at 30 cps; the default (100 at 10) is
// what a 2-vCPU host shared with other work sustains with three nodes, Kamailio, PostgreSQL and SIPp on
// it (at 30 cps there every call failed from overload). Set both to run the full figure.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { describeRun, freePort, runSipp, telephoneEventOffer } from '../integration/sipp-runner'
import { PgSyncClient } from '../../src/records/pg-sync-client'
import { startPostgres } from '../records/postgres-server'
import { NodeProcess, type LogLine } from '../lifecycle/node-process'
import { startDispatcher } from './kamailio-process'

const KEY = 'cluster-test-key-0123456789abcdef'
const CALLS = Number(process.env.CLUSTER_CALLS ?? 100)
const CPS = Number(process.env.CLUSTER_CPS ?? 10)
const SIPP_DIR = path.join(__dirname, '..', 'lifecycle', 'sipp')
const SPEECH = path.resolve(__dirname, '..', 'vectors', 'pcap', 'g711a.pcap')

const answered = (l: LogLine): boolean => l.msg === 'call answered'
const ended = (l: LogLine): boolean => l.msg === 'call ended'
const routed = (l: LogLine): boolean => l.msg === 'call routed'

t.test('three nodes behind Kamailio, shared PostgreSQL: drain and kill during a call run', async t => {
  const pg = await startPostgres()
  t.teardown(() => pg.stop())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-cluster-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))

  const nodes: NodeProcess[] = []
  const ports: Array<{ sip: number, api: number }> = []
  for (let i = 1; i <= 3; i++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 4000) + i * 9000 % 8000
    const file = path.join(dir, `node${i}.yaml`)
    fs.writeFileSync(file, `
sip:
  listen: {tcp: {host: 127.0.0.1, port: 0}}
  trusted_proxies: [127.0.0.1]
  maxConcurrentCalls: 300
trunks: [{name: carrier, inbound: {acl: [127.0.0.0/8]}}]
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
engine: {embeddedDemo: true, demoPort: 0}
media: {port_min: ${base}, port_max: ${base + 1000}, bind_address: 127.0.0.1}
api: {listen: {host: 127.0.0.1, port: 0}, keys: ['${KEY}']}
records: {type: postgres, node_id: node-${i}}
shutdown: {drain_timeout_s: 60}
log: {level: info}
`)
    const node = NodeProcess.start(file, { TRUNKGATE_RECORDS_URL: pg.url })
    t.teardown(() => node.kill())
    nodes.push(node)
  }
  for (const node of nodes) {
    const r = await node.ready()
    ports.push({ sip: r.sipPort, api: r.apiPort as number })
  }
  const proxyPort = await freePort()
  const kamailio = await startDispatcher(proxyPort, ports.map(p => ({ host: '127.0.0.1', port: p.sip })))
  t.teardown(() => kamailio.stop())

  const run = runSipp({
    scenario: path.join(SIPP_DIR, 'uac-talk-bye.xml'),
    target: { host: '127.0.0.1', port: proxyPort },
    service: '+15550100',
    calls: CALLS,
    rate: CPS,
    limit: 250,
    timeoutSec: 60 + Math.ceil(CALLS / CPS) * 4,
    substitutions: { SPEECH_PCAP: SPEECH, TALK_MS: '3000', ...telephoneEventOffer(false) }
  })

  // Node 2 drains once it has taken some calls.
  await nodes[1].waitFor(answered, 60000, Math.min(10, Math.floor(CALLS / 30)))
  const drainRes = await fetch(`http://127.0.0.1:${ports[1].api}/v1/admin/drain`, { method: 'POST', headers: { 'x-api-key': KEY } })
  t.equal(drainRes.status, 202, 'node 2 drains')
  await nodes[1].waitFor(l => l.code === 'NODE_DRAINING')
  const drainedAt = nodes[1].lines.findIndex(l => l.code === 'NODE_DRAINING')
  const node2RoutedAtDrain = nodes[1].lines.slice(0, drainedAt).filter(routed).length

  // Node 3 is killed half-way; the calls it holds at that moment are the failure bound.
  const runSeconds = Math.ceil(CALLS / CPS)
  await Promise.race(nodes.map(n => n.waitFor(() => nodes.reduce((s, x) => s + x.count(routed), 0) >= CALLS / 2, 30000 + runSeconds * 2000)))
  const node3InFlight = nodes[2].count(routed) - nodes[2].count(ended)
  await nodes[2].kill('SIGKILL')

  const result = await run
  if (process.env.CLUSTER_DEBUG) fs.writeFileSync(process.env.CLUSTER_DEBUG, `${kamailio.log()}\n---- sipp\n${result.errors.slice(0, 20000)}`)
  const answeredBy = nodes.map(n => n.count(answered))
  t.comment(`answered per node: ${answeredBy.join(' / ')}; node 3 held ${node3InFlight} calls when killed; ${describeRun(result).split('\n')[0]}`)
  t.ok(answeredBy.every(n => n > 0), 'calls spread across the three nodes')
  t.equal((result.successfulCalls ?? 0) + (result.failedCalls ?? 0), CALLS, 'SIPp placed every call')
  t.ok((result.failedCalls ?? 0) <= node3InFlight, `failures (${result.failedCalls}) bounded by the calls node 3 held when killed (${node3InFlight})`)
  const lateOnNode2 = nodes[1].lines.slice(drainedAt).filter(routed).length
  t.equal(lateOnNode2, 0, `no new call reached node 2's call layer after its drain (${node2RoutedAtDrain} before)`)
  t.equal(nodes[1].count(ended), nodes[1].count(answered), 'every call node 2 answered has ended')
  t.ok(nodes[1].running, 'node 2 stays up, drained, until it is stopped')

  const db = new PgSyncClient({ url: pg.url })
  t.teardown(() => db.close())
  // A call whose INVITE node 3 had taken when it died was retried on another node: node 3's row stays
  // open (closed as failed/gateway_restart when node 3 restarts); the call ended once, with one record.
  const dup = db.query('SELECT sip_call_id, count(*) AS n FROM calls WHERE ended_at IS NOT NULL GROUP BY sip_call_id HAVING count(*) > 1')
  t.same(dup, [], 'no ended call has two records')
  for (const [i, node] of nodes.entries()) {
    if (i === 2) continue
    const rows = db.query<{ n: string }>(`SELECT count(*) AS n FROM calls WHERE node_id=$1 AND ended_at IS NOT NULL AND status='completed'`, [`node-${i + 1}`])
    t.equal(Number(rows[0].n), node.count(ended), `node ${i + 1}: one completed record per ended call`)
  }
  const node3Ended = db.query<{ n: string }>(`SELECT count(*) AS n FROM calls WHERE node_id='node-3' AND ended_at IS NOT NULL`)
  // 'call ended' is logged just before the record commits (same JS turn): the kill can fall between the
  // two for at most the one call being ended at that instant. (More records than lines: log lines
  // still buffered when the process died.)
  const logged3 = nodes[2].count(ended)
  t.ok(Number(node3Ended[0].n) >= logged3 - 1, `node 3: every call it ended before the kill has its record (${node3Ended[0].n} records, ${logged3} logged)`)

  // Node 2 stops by SIGTERM with nothing left: exit 0 at once.
  nodes[1].child.kill('SIGTERM')
  t.same(await nodes[1].exited, { code: 0, signal: null }, 'drained node 2 exits 0')
})
