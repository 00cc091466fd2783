// An outbound AI call end to end: the real server with its media engine and engine link, SIPp as the
// carrier, a test engine as the agent. The engine gets Start with direction OUTBOUND at the 1xx (caller_id
// = our number, called_number = the callee, the request's dynamic variables), hears the callee's audio,
// its own audio reaches the callee's RTP address, and its end_call tool hangs up (BYE, record completed).
import t from 'tap'
import dgram from 'node:dgram'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseConfigText } from '../../src/config'
import { startServer } from '../../src/server'
import { TestEngine, tone16k, type TestConversation } from '../e2e/test-engine'
import { startCarrier } from './carrier'
import { API_KEY } from './gateway'

function pcmuTone (n: number): Buffer {
  // 1 kHz at 8 kHz, μ-law (G.711 §A table via the classic segment encoder).
  const out = Buffer.alloc(160)
  for (let i = 0; i < 160; i++) {
    let s = Math.round(8000 * Math.sin(2 * Math.PI * 1000 * (n * 160 + i) / 8000))
    const sign = s < 0 ? 0x80 : 0
    if (s < 0) s = -s
    s = Math.min(32635, s) + 0x84
    let exp = 7
    for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--
    const mant = (s >> (exp + 3)) & 0x0f
    out[i] = ~(sign | (exp << 4) | mant) & 0xff
  }
  return out
}

t.test('outbound AI call: Start OUTBOUND, audio both ways, end_call hangs up', async t => {
  const engine = new TestEngine({})
  await engine.start()
  t.teardown(() => engine.stop())
  const rtp = dgram.createSocket('udp4')
  await new Promise<void>(resolve => rtp.bind(0, '127.0.0.1', resolve))
  t.teardown(() => rtp.close())
  let leg: { address: string, port: number } | null = null
  let loudIn = 0
  rtp.on('message', (msg, rinfo) => {
    leg = { address: rinfo.address, port: rinfo.port }
    if (msg.length < 12 + 160 || (msg[1] & 0x7f) !== 0) return
    // PCMU silence is 0xff/0x7f; the engine's tone is not.
    let loud = 0
    for (let i = 12; i < msg.length; i++) if ((msg[i] & 0x7f) < 0x60) loud++
    if (loud > 40) loudIn++
  })

  const carrier = await startCarrier({ scenario: 'carrier-answer.xml', substitutions: { RTP_PORT: String(rtp.address().port) }, timeoutSec: 30 })
  t.teardown(() => carrier.stop())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-engine-out-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const base = 33000 + 2 * Math.floor(Math.random() * 400)
  const config = parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks:
  - name: carrier
    inbound: {acl: [127.0.0.0/8]}
    outbound: {address: '127.0.0.1:${carrier.port}', transport: tcp, media_encryption: disabled}
phone_numbers: [{number: '+15550100', agent: support}]
agents: [{id: support, name: Support}]
engine: {address: '${engine.address}'}
media: {port_min: ${base}, port_max: ${base + 200}, bind_address: 127.0.0.1}
api: {listen: {host: 127.0.0.1, port: 0}, keys: ['${API_KEY}']}
records: {path: '${path.join(dir, 'calls.db')}'}
log: {level: silent}
`)
  const server = await startServer(config, { aiCalls: true })
  t.teardown(() => server.close())
  const api = `http://127.0.0.1:${server.services.apiAddress?.port}`
  const post = async (url: string, body: unknown): Promise<any> => (await fetch(`${api}${url}`, { method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()
  const get = async (url: string): Promise<any> => (await fetch(`${api}${url}`, { headers: { 'x-api-key': API_KEY } })).json()

  const convP = new Promise<TestConversation>(resolve => engine.once('conversation', resolve))
  const created = await post('/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199', dynamic_variables: { customer_name: 'Ada' } })
  const id = created.conversation_id
  const conv = await convP
  t.equal(conv.start.direction, 'CALL_DIRECTION_OUTBOUND')
  t.equal(conv.start.conversation_id, id)
  t.equal(conv.start.agent_id, 'support')
  t.equal(conv.start.caller_id, '+15550100')
  t.equal(conv.start.called_number, '+15550199')
  t.ok(conv.start.dynamic_variables.some(v => v.name === 'customer_name'), 'request dynamic variables reach the engine')

  // The engine talks (1 kHz), the callee talks back (1 kHz PCMU from the carrier's address).
  const talk = setInterval(() => conv.audio(tone16k(1000, 200, 8000)), 200)
  t.teardown(() => clearInterval(talk))
  const deadline = Date.now() + 5000
  while (leg === null && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  const to = leg as unknown as { address: string, port: number }
  for (let i = 0; i < 75; i++) {
    const pkt = Buffer.concat([Buffer.alloc(12), pcmuTone(i)])
    pkt[0] = 0x80; pkt[1] = 0; pkt.writeUInt16BE(500 + i, 2); pkt.writeUInt32BE(i * 160, 4); pkt.writeUInt32BE(0xabc, 8)
    rtp.send(pkt, to.port, to.address)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  await conv.until(c => c.loudFrames >= 20, 3000, 'callee audio at the engine').catch(err => t.fail(err.message))
  t.ok(conv.loudFrames >= 20, `the engine heard the callee (${conv.loudFrames} loud frames)`)
  t.ok(loudIn >= 20, `the callee heard the engine (${loudIn} loud packets)`)
  clearInterval(talk)

  conv.tool({ tool_call_id: 'bye-1', end_call: { reason: 'done' } })
  let rec: any = null
  for (let i = 0; i < 100 && !(rec?.ended_at); i++) { rec = await get(`/v1/calls/${id}`); await new Promise(resolve => setTimeout(resolve, 50)) }
  t.match(rec, { status: 'completed', hangup_cause: 'end_call', hangup_side: 'local', direction: 'outbound' })
  await conv.until(c => c.toolResults.length > 0, 2000, 'tool result').catch(err => t.fail(err.message))
  t.match(conv.toolResults, [{ tool_call_id: 'bye-1', ok: true }])
  t.equal((await carrier.done).exitCode, 0, 'the carrier got our BYE')
  const metrics = await (await fetch(`${api}/metrics`, { headers: { 'x-api-key': API_KEY } })).text()
  t.match(metrics, /trunkgate_engine_round_trip_seconds_count 1\b/, 'the engine Start → Ready time is measured')
  t.match(metrics, /trunkgate_calls_total\{direction="outbound",status="completed"\} 1/)
})
