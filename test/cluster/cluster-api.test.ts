// The cluster-wide control API (issue 15): two nodes (the `trunkgate` command) share PostgreSQL. Calls
// held by node 2 are listed and read through node 1's API; node 1 hangs one up by forwarding to node 2
// (the caller gets BYE with Reason text="api_hangup", the record is final); once node 2 is gone
// (SIGKILL), a hang-up of its other call through node 1 answers 410.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { describeRun, runSipp, telephoneEventOffer } from '../integration/sipp-runner'
import { startPostgres } from '../records/postgres-server'
import { NodeProcess } from '../lifecycle/node-process'

const KEY = 'cluster-api-test-key-0123456789ab'
const SIPP_DIR = path.join(__dirname, '..', 'lifecycle', 'sipp')
const SPEECH = path.resolve(__dirname, '..', 'vectors', 'pcap', 'g711a.pcap')

t.test('node 1 lists node 2\'s calls, hangs one up through node 2, and gets 410 once node 2 is gone', async t => {
  const pg = await startPostgres()
  t.teardown(() => pg.stop())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-cluster-api-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const nodes: NodeProcess[] = []
  for (let i = 1; i <= 2; i++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 9000)
    const file = path.join(dir, `node${i}.yaml`)
    fs.writeFileSync(file, `
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks: [{name: carrier, inbound: {acl: [127.0.0.0/8]}}]
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
engine: {embeddedDemo: true, demoPort: 0}
media: {port_min: ${base}, port_max: ${base + 100}, bind_address: 127.0.0.1}
api: {listen: {host: 127.0.0.1, port: 0}, keys: ['${KEY}']}
records: {type: postgres, node_id: node-${i}}
log: {level: info}
`)
    const node = NodeProcess.start(file, { TRUNKGATE_RECORDS_URL: pg.url })
    t.teardown(() => node.kill())
    nodes.push(node)
  }
  const [n1, n2] = [await nodes[0].ready(), await nodes[1].ready()]
  const api = async (method: string, url: string): Promise<{ status: number, json: any }> => {
    const res = await fetch(`http://127.0.0.1:${n1.apiPort}${url}`, { method, headers: { 'x-api-key': KEY } })
    return { status: res.status, json: await res.json() }
  }

  const calls = runSipp({
    scenario: path.join(SIPP_DIR, 'uac-bye-reason.xml'),
    target: { host: '127.0.0.1', port: n2.sipPort },
    service: '+15550100',
    calls: 2,
    limit: 2,
    timeoutSec: 40,
    substitutions: { SPEECH_PCAP: SPEECH, BYE_TIMEOUT_MS: '30000', REASON_TEXT: 'api_hangup', ...telephoneEventOffer(false) }
  })
  await nodes[1].waitFor(l => l.msg === 'call answered', 30000, 2)

  const listed = await api('GET', '/v1/calls?direction=inbound')
  t.equal(listed.status, 200)
  const live = (listed.json.calls as any[]).filter(c => c.ended_at === null)
  t.equal(live.length, 2, 'node 1 lists the two live calls held by node 2')
  const [first, second] = live.map(c => c.conversation_id as string)
  t.match(await api('GET', `/v1/calls/${first}`), { status: 200, json: { conversation_id: first } }, 'and reads one')

  const hung = await api('POST', `/v1/calls/${first}/hangup`)
  t.match(hung, { status: 200, json: { conversation_id: first, status: 'completed', hangup_cause: 'api_hangup' } }, 'hang-up forwarded to node 2, final record returned')
  await nodes[1].waitFor(l => l.msg === 'call ended')
  t.equal(nodes[0].count(l => l.msg === 'call ended'), 0, 'node 1 held no call')

  await nodes[1].kill('SIGKILL')
  const gone = await api('POST', `/v1/calls/${second}/hangup`)
  t.match(gone, { status: 410, json: { error: { code: 'API_ERR_OWNER_GONE' } } }, 'the call of a node that is gone: 410')

  const run = await calls
  t.equal(run.successfulCalls, 1, `the caller of the hung-up call got BYE with Reason text="api_hangup": ${describeRun(run)}`)
})
