// The pre-call webhook during ringing, with a real local HTTP server: its answer personalises the
// engine Start; a silent webhook never holds the call longer than its timeout; under the reject
// policy a bad answer refuses the call with 480 + Retry-After.
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import t, { type Test } from 'tap'
import { describeRun, runSipp } from '../integration/sipp-runner'
import { TestEngine } from './test-engine'
import { callerByeScenario, E2E_SIPP, nextRecord, PCAP, refusedScenario, startGateway } from './helpers'
import type { RunningServer } from '../../src/server'

interface Hook { url: string; requests: Array<{ body: Record<string, unknown>; headers: http.IncomingHttpHeaders }> }

async function webhook (t: Test, answer: (res: http.ServerResponse) => void): Promise<Hook> {
  const requests: Hook['requests'] = []
  const sockets = new Set<net.Socket>()
  const srv = http.createServer((req, res) => {
    let text = ''
    req.on('data', (d: Buffer) => { text += d.toString() })
    req.on('end', () => {
      requests.push({ body: JSON.parse(text) as Record<string, unknown>, headers: req.headers })
      answer(res)
    })
  })
  srv.on('connection', s => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); srv.close() })
  return { url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/pre-call`, requests }
}

const agentYaml = (url: string, extra = ''): string => `    dynamic_variables:
      - {name: customer_name, placeholder: caller}
    pre_call_webhook:
      url: ${url}
      timeout_ms: 600
      headers: [{name: Authorization, value: Bearer s3cret}]
    overrides: {allowed: [first_message]}
${extra}`

function callWithBye (server: RunningServer): ReturnType<typeof runSipp> {
  return runSipp({
    scenario: path.join(E2E_SIPP, 'uac-audio-dtmf.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 20,
    substitutions: { ...callerByeScenario(), SPEECH_PCAP: PCAP('g711a.pcap'), DTMF_PCAP: PCAP('dtmf_2833_1.pcap'), SPEECH_MS: '500' }
  })
}

t.test('webhook answer personalises Start: variables, allowed override, secret header sent', async t => {
  const hook = await webhook(t, res => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({
      type: 'conversation_initiation_client_data',
      dynamic_variables: { customer_name: 'Ada', secret__token: 'tok-1', vip: true },
      conversation_config_override: { agent: { first_message: 'Hi {{customer_name}}' } },
      user_id: 'u-42'
    }))
  })
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, agentYaml: agentYaml(hook.url) })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const run = await callWithBye(server)
  t.equal(run.successfulCalls, 1, describeRun(run))
  t.match(hook.requests, [{ body: { caller_id: '+15557000', agent_id: 'demo', called_number: '+15550100' }, headers: { authorization: 'Bearer s3cret' } }])
  const start = (await engine.conversation(0)).start
  const vars = Object.fromEntries(start.dynamic_variables.map(v => [v.name, { value: v[v.value!], secret: v.secret }]))
  t.same(vars.customer_name, { value: 'Ada', secret: false })
  t.same(vars.secret__token, { value: 'tok-1', secret: true }, 'secret variable flagged')
  t.same(vars.vip, { value: true, secret: false })
  t.equal(start.overrides?.first_message, 'Hi {{customer_name}}')
  t.equal(start.user_id, 'u-42')
  t.match(await ended, { personalization: { webhook: 'ok', usedDefaults: false } })
})

t.test('a webhook that never answers holds the call no longer than its timeout; defaults are used', async t => {
  const hook = await webhook(t, () => { /* never answers */ })
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, agentYaml: agentYaml(hook.url) })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  let startAt = 0
  engine.once('conversation', () => { startAt = Date.now() })
  const run = await callWithBye(server)
  t.equal(run.successfulCalls, 1, describeRun(run))
  const record = await ended
  const held = startAt - record.startedAtMs
  t.ok(held >= 550 && held < 600 + 400, `Start reached the engine ${held} ms after the INVITE (timeout 600 ms)`)
  const start = (await engine.conversation(0)).start
  t.ok(start.dynamic_variables.some(v => v.name === 'customer_name' && v.string_value === 'caller'), 'placeholder used')
  t.match(record, { personalization: { webhook: 'failed', usedDefaults: true } })
})

t.test('reject policy: malformed webhook JSON refuses the call with 480 + Retry-After', async t => {
  const hook = await webhook(t, res => { res.setHeader('content-type', 'application/json'); res.end('{"dynamic_variables": ') })
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, agentYaml: agentYaml(hook.url, '    on_webhook_failure: reject') })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-refused.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 15,
    substitutions: refusedScenario(480)
  })
  t.equal(run.successfulCalls, 1, describeRun(run))
  t.equal(engine.conversations.length, 0, 'the engine was never asked')
  t.match(await ended, { outcome: 'rejected', sipStatus: 480, cause: 'CALL_ERR_PRECALL_WEBHOOK' })
})

t.test('CANCEL while the webhook is pending: 487, the engine is never asked, the record says canceled', async t => {
  const hook = await webhook(t, () => { /* never answers */ })
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, agentYaml: agentYaml(hook.url).replace('timeout_ms: 600', 'timeout_ms: 5000') })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const run = await runSipp({
    scenario: 'uac-cancel.xml',
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 15
  })
  t.equal(run.successfulCalls, 1, `200 to the CANCEL, 487 to the INVITE: ${describeRun(run)}`)
  const record = await ended
  t.match(record, { outcome: 'canceled', endedBy: 'caller', sipStatus: 487 })
  t.ok((record.endedAtMs ?? 0) - record.startedAtMs < 2000, 'ended at the CANCEL, not at the webhook timeout')
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(engine.conversations.length, 0, 'no engine stream for a canceled call')
  t.equal(server.activeCalls(), 0, 'capacity slot released')
})
