// Outbound calls behave as inbound ones after the answer (issue 11 drift bugs), with SIPp as the carrier:
// the callee's INFO DTMF reaches the engine and its re-INVITE moves our RTP to the new address (before,
// no listener was attached and the dialog answered by itself); end_call lets the queued goodbye play
// out before the BYE (before: BYE at once); voicemail_detection plays the agent's voicemail message,
// then hangs up (before: hung up at once); the record carries the tools called and the DTMF counts.
import t, { type Test } from 'tap'
import dgram from 'node:dgram'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseConfigText } from '../../src/config'
import { startServer, type RunningServer } from '../../src/server'
import { TestEngine, tone16k, type TestConversation } from '../e2e/test-engine'
import { startCarrier, type Carrier } from './carrier'
import { API_KEY } from './gateway'

/** An RTP sink counting PCMU packets that carry a tone (not silence). */
async function rtpSink (t: Test): Promise<{ port: number, loud: () => number }> {
  const sock = dgram.createSocket('udp4')
  await new Promise<void>(resolve => sock.bind(0, '127.0.0.1', resolve))
  t.teardown(() => sock.close())
  let loud = 0
  sock.on('message', msg => {
    if (msg.length < 12 + 160 || (msg[1] & 0x7f) !== 0) return
    let n = 0
    for (let i = 12; i < msg.length; i++) if ((msg[i] & 0x7f) < 0x60) n++
    if (n > 40) loud++
  })
  return { port: sock.address().port, loud: () => loud }
}

async function gateway (t: Test, carrier: Carrier, engine: TestEngine, agentYaml = ''): Promise<{ server: RunningServer, post: (u: string, b: unknown) => Promise<any>, get: (u: string) => Promise<any> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-out-drift-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const base = 36000 + 2 * Math.floor(Math.random() * 400)
  const config = parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks:
  - name: carrier
    inbound: {acl: [127.0.0.0/8]}
    outbound: {address: '127.0.0.1:${carrier.port}', transport: tcp, media_encryption: disabled}
phone_numbers: [{number: '+15550100', agent: support}]
agents:
  - id: support
    name: Support
${agentYaml}
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
    server,
    post: async (url, body) => (await fetch(`${api}${url}`, { method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json(),
    get: async (url) => (await fetch(`${api}${url}`, { headers: { 'x-api-key': API_KEY } })).json()
  }
}

async function endedRecord (get: (u: string) => Promise<any>, id: string): Promise<any> {
  let rec: any = null
  for (let i = 0; i < 200 && !(rec?.ended_at); i++) { rec = await get(`/v1/calls/${id}`); if (!rec?.ended_at) await new Promise(resolve => setTimeout(resolve, 50)) }
  return rec
}

t.test('outbound: INFO DTMF reaches the engine, a re-INVITE moves RTP, end_call plays the queued goodbye before BYE', async t => {
  const engine = new TestEngine({})
  await engine.start()
  t.teardown(() => engine.stop())
  const first = await rtpSink(t)
  const moved = await rtpSink(t)
  const carrier = await startCarrier({ scenario: 'carrier-in-dialog.xml', substitutions: { RTP_PORT: String(first.port), RTP_PORT2: String(moved.port) }, timeoutSec: 40 })
  t.teardown(() => carrier.stop())
  const { post, get } = await gateway(t, carrier, engine)
  const convP = new Promise<TestConversation>(resolve => engine.once('conversation', resolve))
  const { conversation_id: id } = await post('/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  const conv = await convP

  await conv.until(c => c.digits.length > 0, 10000, 'INFO DTMF at the engine').catch(err => t.fail(err.message))
  t.match(conv.digits, [{ digit: '5', source: 'DTMF_SOURCE_INFO' }], 'the callee\'s INFO digit reached the engine once')

  // After the re-INVITE (sent 300 ms after the INFO was answered) our RTP must go to the new port.
  const deadline = Date.now() + 10000
  const talk = setInterval(() => conv.audio(tone16k(1000, 200, 8000)), 200)
  while (moved.loud() < 10 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
  clearInterval(talk)
  t.ok(moved.loud() >= 10, `agent audio reaches the callee's new RTP address after its re-INVITE (${moved.loud()} packets)`)

  // 2 s of goodbye queued, then end_call: the callee hears it to the end before the BYE.
  await new Promise(resolve => setTimeout(resolve, 400))
  const before = moved.loud()
  conv.audio(tone16k(1000, 2000, 8000))
  conv.tool({ tool_call_id: 'bye-1', end_call: { reason: 'done' } })
  const run = await carrier.done
  t.equal(run.exitCode, 0, 'the carrier saw INFO answered, the re-INVITE answered, then our BYE')
  const heard = moved.loud() - before
  t.ok(heard >= 85, `the queued 2 s goodbye (100 packets) was heard before the BYE: ${heard} packets`)
  const rec = await endedRecord(get, id)
  t.match(rec, { status: 'completed', hangup_cause: 'end_call', hangup_side: 'local', dtmf: { received: 1, sent: 0 } })
  t.match(rec.tools_called, [{ name: 'end_call', ok: true }], 'the record carries the tools the agent used')
})

t.test('outbound: voicemail_detection plays the agent\'s voicemail message, then hangs up; tool ids are not reused', async t => {
  const engine = new TestEngine({})
  await engine.start()
  t.teardown(() => engine.stop())
  const sink = await rtpSink(t)
  const carrier = await startCarrier({ scenario: 'carrier-answer.xml', substitutions: { RTP_PORT: String(sink.port) }, timeoutSec: 40 })
  t.teardown(() => carrier.stop())
  const { post, get } = await gateway(t, carrier, engine, '    voicemail_message: Please call us back\n    voicemail_timeout_ms: 20000')
  const convP = new Promise<TestConversation>(resolve => engine.once('conversation', resolve))
  const { conversation_id: id } = await post('/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  const conv = await convP
  let status = ''
  for (let i = 0; i < 200 && status !== 'in-progress'; i++) { status = (await get(`/v1/calls/${id}`)).status; if (status !== 'in-progress') await new Promise(resolve => setTimeout(resolve, 50)) }

  conv.tool({ tool_call_id: 'vm-1', voicemail_detection: { reason: 'beep heard' } })
  await conv.until(c => c.toolResults.length > 0, 5000, 'voicemail tool result').catch(err => t.fail(err.message))
  t.match(conv.toolResults[0], { tool_call_id: 'vm-1', ok: true })
  t.match(JSON.parse(conv.toolResults[0].result_json), { action: 'leave_message', voicemail_message: 'Please call us back', hangup_after_mark: true })
  conv.tool({ tool_call_id: 'vm-1', skip_turn: {} })
  await conv.until(c => c.toolResults.length > 1, 5000, 'second tool result').catch(err => t.fail(err.message))
  t.match(conv.toolResults[1], { tool_call_id: 'vm-1', ok: false, error: /already used/ }, 'a reused tool_call_id is refused, as on inbound calls')

  // The engine speaks the message (1.5 s) and marks its end: the BYE follows the mark, not the tool call.
  const before = sink.loud()
  conv.audio(tone16k(1000, 1500, 8000))
  conv.mark('vm-message')
  const run = await carrier.done
  t.equal(run.exitCode, 0, 'the carrier got our BYE')
  t.ok(sink.loud() - before >= 60, `the voicemail message (75 packets) was played before the BYE: ${sink.loud() - before}`)
  const rec = await endedRecord(get, id)
  t.match(rec, { status: 'voicemail', hangup_side: 'local' })
  t.match(rec.tools_called, [{ name: 'voicemail_detection', ok: true }, { name: 'skip_turn', ok: false }])
})
