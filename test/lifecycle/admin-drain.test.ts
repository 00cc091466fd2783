// POST /v1/admin/drain (issue 15): a node drained through the API refuses new INVITEs with 503 +
// Retry-After and answers OPTIONS with 503 (what a dispatcher's probe sees), refuses new outbound calls,
// reports its state, and takes calls again after DELETE. The drain needs the API key.
import path from 'node:path'
import t from 'tap'
import { parseConfigText } from '../../src/config'
import { startServer } from '../../src/server'
import { describeRun, runSipp } from '../integration/sipp-runner'

const KEY = 'admin-drain-test-key-0123456789'
const SIPP_DIR = path.join(__dirname, 'sipp')

t.test('drain through the API: 503 to INVITE and OPTIONS, outbound refused, DELETE resumes', async t => {
  const server = await startServer(parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}, retryAfterSeconds: 9}
trunks: [{name: loopback, inbound: {acl: [127.0.0.0/8]}}]
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
api: {listen: {host: 127.0.0.1, port: 0}, keys: ['${KEY}']}
log: {level: silent}
`))
  t.teardown(() => server.close())
  const port = server.ports.tcp as number
  const api = `http://127.0.0.1:${server.services.apiAddress?.port}`
  const call = async (method: string, url: string, key: string | null = KEY, body?: unknown): Promise<{ status: number, json: any }> => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { ...(key ? { 'x-api-key': key } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined
    })
    return { status: res.status, json: await res.json() }
  }
  const probe = async (status: number): Promise<void> => {
    const run = await runSipp({ scenario: path.join(SIPP_DIR, 'uac-probe.xml'), target: { host: '127.0.0.1', port }, timeoutSec: 10, substitutions: { STATUS: String(status) } })
    t.equal(run.successfulCalls, 1, `OPTIONS answered ${status}: ${describeRun(run)}`)
  }

  t.equal((await call('POST', '/v1/admin/drain', null)).status, 401, 'no drain without the API key')
  t.match(await call('GET', '/v1/admin/drain'), { status: 200, json: { state: 'serving', reason: null, active_calls: 0 } })
  await probe(200)

  const drained = await call('POST', '/v1/admin/drain')
  t.match(drained, { status: 202, json: { state: 'draining', reason: 'api', active_calls: 0 } }, 'drain accepted')
  t.ok(Date.parse(drained.json.since) > 0, 'since is a timestamp')
  t.equal(server.drain.draining, true)
  await probe(503)
  const invite = await runSipp({ scenario: path.join(SIPP_DIR, 'uac-refused-retry-after.xml'), target: { host: '127.0.0.1', port }, service: '+15550100', timeoutSec: 10, substitutions: { STATUS: '503' } })
  t.equal(invite.successfulCalls, 1, `INVITE refused with 503 + Retry-After: ${describeRun(invite)}`)
  const originate = await call('POST', '/v1/calls', KEY, { agent_id: 'demo', from_number: '+15550100', to: '+15550199' })
  t.match(originate, { status: 503, json: { error: { code: 'API_ERR_DRAINING' } } }, 'no new outbound call while draining')
  t.equal((await call('POST', '/v1/admin/drain')).json.state, 'draining', 'a second drain changes nothing')

  t.match(await call('DELETE', '/v1/admin/drain'), { status: 200, json: { state: 'serving', reason: null } })
  await probe(200)
  t.not((await call('POST', '/v1/calls', KEY, { agent_id: 'demo', from_number: '+15550100', to: '+15550199' })).json.error?.code, 'API_ERR_DRAINING',
    'outbound calls are no longer refused for draining')

  // Once a shutdown has begun there is no way back.
  const stopping = server.drain.shutdown('test', { timeoutS: 0 })
  t.match(await call('DELETE', '/v1/admin/drain'), { status: 409, json: { error: { code: 'API_ERR_SHUTTING_DOWN' } } })
  t.equal(await stopping, 0, 'nothing to hang up')
})
