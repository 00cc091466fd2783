// transfer_to_number on an outbound AI call (issue 5 item 3: "the same tools as inbound calls"): the real
// server with its media engine, SIPp as the carrier behind the outbound trunk, a test engine as the agent.
// The callee plays the caller's role of an inbound transfer: the conference transfer dials the human
// through the same trunk (the same SIPp answers a second call), bridges it with the callee's leg, the
// engine stream ends (CallEvent hangup "transferred") and the record says transferred. A number that is
// not in the agent's rules is a tool error and the conversation goes on.
import t, { type Test } from 'tap'
import dgram from 'node:dgram'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseConfigText } from '../../src/config'
import { startServer } from '../../src/server'
import type { ToolCallMsg } from '../../src/engine/engine-messages'
import { TestEngine, type TestConversation } from '../e2e/test-engine'
import { startCarrier, type Carrier } from './carrier'
import { API_KEY } from './gateway'

const HUMAN = '+15551234567'

interface Setup {
  engine: TestEngine
  carrier: Carrier
  post: (url: string, body: unknown) => Promise<any>
  get: (url: string) => Promise<any>
}

const REFER_TARGET = '+15552223333'

async function setup (t: Test, calls: number, o: { scenario?: string, substitutions?: Record<string, string>, allowRefer?: boolean } = {}): Promise<Setup> {
  const engine = new TestEngine({})
  await engine.start()
  t.teardown(() => engine.stop())
  const rtp = dgram.createSocket('udp4')
  await new Promise<void>(resolve => rtp.bind(0, '127.0.0.1', resolve))
  t.teardown(() => rtp.close())
  const carrier = await startCarrier({ scenario: o.scenario ?? 'carrier-answer.xml', substitutions: { RTP_PORT: String(rtp.address().port), ...o.substitutions }, calls, timeoutSec: 30 })
  t.teardown(() => carrier.stop())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-engine-xfer-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const base = 33000 + 2 * Math.floor(Math.random() * 400)
  const config = parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks:
  - name: carrier
    inbound: {acl: [127.0.0.0/8]}
    outbound: {address: '127.0.0.1:${carrier.port}', transport: tcp, media_encryption: disabled}
    allow_refer: ${o.allowRefer ?? true}
phone_numbers: [{number: '+15550100', agent: support}]
agents:
  - id: support
    name: Support
    transfer_rules:
      - {transfer_destination: {type: phone, phone_number: '${HUMAN}'}, condition: the callee asks for a human}
      - {transfer_destination: {type: phone, phone_number: '${REFER_TARGET}'}, transfer_type: sip_refer, condition: the callee asks for billing}
transfer: {ring_timeout_ms: 5000, whisper_max_ms: 1000}
engine: {address: '${engine.address}'}
media: {port_min: ${base}, port_max: ${base + 200}, bind_address: 127.0.0.1}
api: {listen: {host: 127.0.0.1, port: 0}, keys: ['${API_KEY}']}
records: {path: '${path.join(dir, 'calls.db')}'}
log: {level: silent}
`)
  const server = await startServer(config, { aiCalls: true })
  t.teardown(() => server.close())
  const api = `http://127.0.0.1:${server.services.apiAddress?.port}`
  return {
    engine,
    carrier,
    post: async (url, body) => (await fetch(`${api}${url}`, { method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) })).json(),
    get: async (url) => (await fetch(`${api}${url}`, { headers: { 'x-api-key': API_KEY } })).json()
  }
}

/** Places the outbound call and waits until the callee answered (the dialog exists: tools may use it). */
async function answeredCall (s: Setup): Promise<{ id: string, conv: TestConversation }> {
  const convP = new Promise<TestConversation>(resolve => s.engine.once('conversation', resolve))
  const created = await s.post('/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  const id: string = created.conversation_id
  const conv = await convP
  let rec: any = null
  for (let i = 0; i < 100 && rec?.status !== 'in-progress'; i++) { rec = await s.get(`/v1/calls/${id}`); await new Promise(resolve => setTimeout(resolve, 50)) }
  if (rec?.status !== 'in-progress') throw new Error(`the outbound call was not answered: ${JSON.stringify(rec)}`)
  return { id, conv }
}

function transferTo (number: string): ToolCallMsg {
  return { tool_call_id: 'xfer-1', transfer_to_number: { transfer_number: number, client_message: 'One moment.', agent_message: 'The callee wants a human.' } } as ToolCallMsg
}

async function finalRecord (s: Setup, id: string): Promise<any> {
  let rec: any = null
  for (let i = 0; i < 200 && !(rec?.ended_at); i++) { rec = await s.get(`/v1/calls/${id}`); await new Promise(resolve => setTimeout(resolve, 50)) }
  return rec
}

t.test('outbound call: transfer_to_number conference-dials the human through the trunk and bridges it with the callee', async t => {
  const s = await setup(t, 2)
  const { id, conv } = await answeredCall(s)
  const events: any[] = []
  conv.on('message', (m: any) => {
    if (m.msg !== 'call_event') return
    events.push(m.call_event)
    // No whisper audio: the Mark right away lets the bridge happen.
    if (m.call_event.event === 'transfer' && m.call_event.transfer.state === 'STATE_ANSWERED') conv.mark('whisper-done')
  })
  conv.tool(transferTo(HUMAN))
  await conv.until(c => c.toolResults.length > 0, 15000, 'transfer tool result').catch(err => t.fail(err.message))
  t.match(conv.toolResults, [{ tool_call_id: 'xfer-1', ok: true }], 'the transfer succeeded')
  const states = events.filter(e => e.event === 'transfer').map(e => e.transfer.state)
  t.ok(states.includes('STATE_TRYING') && states.includes('STATE_ANSWERED'), `progress reached the engine (${states.join(', ')})`)
  // `ended` is set after the last message is handled (no further message re-checks `until`): poll it.
  for (let i = 0; i < 100 && !conv.ended; i++) await new Promise(resolve => setTimeout(resolve, 50))
  t.ok(conv.ended, 'the engine stream ended after the bridge')
  t.ok(events.some(e => e.event === 'hangup' && e.hangup.cause === 'transferred'), 'the engine was told the call went to the human')
  let rec = await s.get(`/v1/calls/${id}`)
  t.equal(rec.status, 'in-progress', 'callee and human stay connected without the engine')
  t.match(rec.transfer, { type: 'conference', target: HUMAN, result: 'succeeded' })
  await s.post(`/v1/calls/${id}/hangup`, {})
  rec = await finalRecord(s, id)
  t.match(rec, { status: 'transferred', hangup_cause: 'api_hangup', transfer: { type: 'conference', target: HUMAN, result: 'succeeded' } })
  const run = await s.carrier.done
  t.equal(run.exitCode, 0, `both SIPp calls (callee and human) were answered and got our BYE ${run.errors.slice(0, 400)}`)
  t.match(run.messages, new RegExp(`INVITE sip:\\${HUMAN}@127\\.0\\.0\\.1`), 'the human was dialled through the outbound trunk')
})

t.test('outbound call: a number outside the transfer rules is a tool error and the call goes on', async t => {
  const s = await setup(t, 1)
  const { id, conv } = await answeredCall(s)
  conv.tool(transferTo('+15550000000'))
  await conv.until(c => c.toolResults.length > 0, 5000, 'transfer tool result').catch(err => t.fail(err.message))
  t.match(conv.toolResults, [{ tool_call_id: 'xfer-1', ok: false, error: /not one of the configured destinations/ }])
  t.notOk(conv.ended, 'the engine stream is still up')
  t.equal((await s.get(`/v1/calls/${id}`)).status, 'in-progress', 'the call continues')
  conv.tool({ tool_call_id: 'bye-1', end_call: { reason: 'done' } } as ToolCallMsg)
  const rec = await finalRecord(s, id)
  t.match(rec, { status: 'completed', hangup_cause: 'end_call', transfer: null })
  t.equal((await s.carrier.done).exitCode, 0, 'the callee got our BYE')
})

t.test('outbound call: a sip_refer rule sends REFER in the outbound dialog; NOTIFY 200 ends the call as transferred', async t => {
  const s = await setup(t, 1, { scenario: 'carrier-refer.xml', substitutions: { REFER_TO_RE: `sip:\\${REFER_TARGET}@127\\.0\\.0\\.1` } })
  const { id, conv } = await answeredCall(s)
  conv.tool(transferTo(REFER_TARGET))
  await conv.until(c => c.toolResults.length > 0, 10000, 'transfer tool result').catch(err => t.fail(err.message))
  t.match(conv.toolResults, [{ tool_call_id: 'xfer-1', ok: true }], 'the REFER succeeded (NOTIFY sipfrag 200)')
  const rec = await finalRecord(s, id)
  t.match(rec, { status: 'transferred', hangup_cause: 'transferred', transfer: { type: 'sip-refer', target: new RegExp(`^sip:\\${REFER_TARGET}@`), result: 'succeeded', sip_status: 200 } })
  const run = await s.carrier.done
  t.equal(run.exitCode, 0, `the carrier checked Refer-To/Referred-By and got our BYE ${run.errors.slice(0, 400)}`)
})

t.test('outbound call: a sip_refer rule on a trunk without allow_refer is a tool error, nothing is sent', async t => {
  const s = await setup(t, 1, { allowRefer: false })
  const { id, conv } = await answeredCall(s)
  conv.tool(transferTo(REFER_TARGET))
  await conv.until(c => c.toolResults.length > 0, 5000, 'transfer tool result').catch(err => t.fail(err.message))
  t.match(conv.toolResults, [{ tool_call_id: 'xfer-1', ok: false, error: /does not allow REFER/ }])
  t.equal((await s.get(`/v1/calls/${id}`)).status, 'in-progress', 'the call continues')
  conv.tool({ tool_call_id: 'bye-1', end_call: { reason: 'done' } } as ToolCallMsg)
  const rec = await finalRecord(s, id)
  t.match(rec, { status: 'completed', hangup_cause: 'end_call', transfer: { type: 'sip-refer', result: 'failed' } })
  const run = await s.carrier.done
  t.equal(run.exitCode, 0, 'the carrier got our BYE')
  t.notMatch(run.messages, /REFER sip:/, 'no REFER went out')
})
