// transfer_to_number over SIP REFER through the whole gateway: SIPp is the trunk (test/sipp/transfer),
// a test gRPC engine sends the ToolCall once the call is up and must get the right progress events,
// ToolResult and (on success) the end of its stream; the record shows the transfer.
import t, { type Test } from 'tap'
import { startServer, type RunningServer } from '../../src/server'
import type { ToolCallMsg } from '../../src/engine/engine-messages'
import { runSipp, describeRun } from '../integration/sipp-runner'
import { TestEngine, type TestConversation } from '../e2e/test-engine'
import { gatewayConfig, nextRecord } from '../e2e/helpers'

const RULES = `    transfer_rules:
      - {transfer_destination: {type: phone, phone_number: '+15551234567'}, condition: billing, transfer_type: sip_refer}
      - {transfer_destination: {type: sip_uri, sip_uri: 'sip:support@127.0.0.1'}, condition: complaint, transfer_type: sip_refer}`
const REFER_TO_RE = 'sip:\\+15551234567@127\\.0\\.0\\.1:[0-9]+;user=phone'

function transferCall (id: string, number: string): ToolCallMsg {
  return { tool_call_id: id, transfer_to_number: { transfer_number: number, client_message: 'Transferring you now.', agent_message: 'Billing question.' } } as ToolCallMsg
}

async function gateway (t: Test, opts: { notifyTimeoutMs?: number, trunkYaml?: string } = {}): Promise<{ engine: TestEngine, server: RunningServer }> {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const config = gatewayConfig({ engineAddress: engine.address, agentYaml: RULES, trunkYaml: opts.trunkYaml })
  config.transfer.refer_notify_timeout_ms = opts.notifyTimeoutMs ?? 30000
  const server = await startServer(config, { aiCalls: true })
  t.teardown(() => server.close())
  return { engine, server }
}

/** Once the call is up (audio frames flow to the engine), the engine asks for the transfer. */
function transferWhenUp (engine: TestEngine, number: string): Promise<TestConversation> {
  return engine.conversation(0, 15000).then(async conv => {
    await conv.until(c => c.frames > 5, 10000, 'audio from the answered call')
    conv.tool(transferCall('tc-1', number))
    return conv
  })
}

const states = (conv: TestConversation): Array<[string, number]> =>
  conv.events.flatMap(e => e.event === 'transfer' ? [[e.transfer.state, e.transfer.sip_status] as [string, number]] : [])

t.test('REFER accepted, sipfrag 100 then 200: TRYING, ANSWERED, ok result, engine stream ends, record transferred', async t => {
  const { engine, server } = await gateway(t)
  const ended = nextRecord(server)
  const convP = transferWhenUp(engine, '+15551234567')
  const run = await runSipp({ scenario: 'transfer/refer-accept-200.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100', timeoutSec: 20, substitutions: { REFER_TO_RE } })
  t.equal(run.exitCode, 0, describeRun(run))
  const conv = await convP
  await conv.until(c => c.toolResults.length > 0 && c.events.some(e => e.event === 'hangup'), 5000, 'tool result and hang-up')
  t.same(states(conv), [['STATE_TRYING', 0], ['STATE_TRYING', 100], ['STATE_ANSWERED', 200]])
  t.match(conv.toolResults, [{ tool_call_id: 'tc-1', ok: true }])
  t.same(JSON.parse(conv.toolResults[0].result_json), { state: 'answered', transfer_type: 'sip_refer', sip_status: 200 })
  t.match(conv.events.find(e => e.event === 'hangup'), { hangup: { side: 'HANGUP_SIDE_GATEWAY', cause: 'transferred' } })
  const record = await ended
  t.match(record, { outcome: 'transferred', cause: 'transferred', transfer: { type: 'sip-refer', result: 'succeeded', sipStatus: 200 } })
})

t.test('REFER rejected with 405: FAILED 405, ok:false result, the call goes on until the trunk hangs up', async t => {
  const { engine, server } = await gateway(t)
  const ended = nextRecord(server)
  const convP = transferWhenUp(engine, '+15551234567')
  const run = await runSipp({ scenario: 'transfer/refer-reject.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100', timeoutSec: 20, pauseMs: 1000, substitutions: { REFER_TO_RE, STATUS: '405', REASON: 'Method Not Allowed' } })
  t.equal(run.exitCode, 0, describeRun(run))
  const conv = await convP
  t.same(states(conv), [['STATE_TRYING', 0], ['STATE_FAILED', 405]])
  t.match(conv.toolResults, [{ tool_call_id: 'tc-1', ok: false, error: /405 Method Not Allowed/ }])
  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'caller', cause: 'normal_clearing', transfer: { type: 'sip-refer', result: 'failed', sipStatus: 405 } })
})

t.test('sipfrag 503: FAILED 503, the call goes on', async t => {
  const { engine, server } = await gateway(t)
  const ended = nextRecord(server)
  const convP = transferWhenUp(engine, '+15551234567')
  const run = await runSipp({ scenario: 'transfer/refer-accept-fail.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100', timeoutSec: 20, pauseMs: 1000, substitutions: { REFER_TO_RE, FINAL: '503 Service Unavailable' } })
  t.equal(run.exitCode, 0, describeRun(run))
  const conv = await convP
  t.same(states(conv), [['STATE_TRYING', 0], ['STATE_TRYING', 100], ['STATE_FAILED', 503]])
  t.match(conv.toolResults, [{ ok: false, error: /503 Service Unavailable/ }])
  t.match(await ended, { outcome: 'completed', endedBy: 'caller', transfer: { result: 'failed', sipStatus: 503 } })
})

t.test('no NOTIFY after 202: FAILED after the configured timeout, the call goes on', async t => {
  const { engine, server } = await gateway(t, { notifyTimeoutMs: 500 })
  const ended = nextRecord(server)
  const convP = transferWhenUp(engine, '+15551234567')
  const run = await runSipp({ scenario: 'transfer/refer-no-notify.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100', timeoutSec: 20, pauseMs: 2000, substitutions: { REFER_TO_RE } })
  t.equal(run.exitCode, 0, describeRun(run))
  const conv = await convP
  t.same(states(conv), [['STATE_TRYING', 0], ['STATE_FAILED', 0]])
  t.match(conv.toolResults, [{ ok: false, error: /no final NOTIFY within 500 ms/ }])
  t.match(await ended, { outcome: 'completed', endedBy: 'caller' })
})

t.test('a transfer number not in the rules: tool error, no REFER, the call goes on', async t => {
  const { engine, server } = await gateway(t)
  const ended = nextRecord(server)
  const convP = transferWhenUp(engine, '+15550000000')
  // The reject scenario would fail on a REFER it does not get; basic call: the trunk hangs up after -d.
  const run = await runSipp({ scenario: 'uac-basic.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100', timeoutSec: 20, pauseMs: 2500 })
  t.equal(run.exitCode, 0, describeRun(run))
  const conv = await convP
  t.match(conv.toolResults, [{ tool_call_id: 'tc-1', ok: false, error: /"\+15550000000" is not one of the configured destinations/ }])
  t.same(states(conv), [], 'no progress events for a refused transfer')
  t.match(await ended, { outcome: 'completed', endedBy: 'caller', transfer: null })
})
