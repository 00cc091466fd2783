// POST /v1/calls/:id/transfer (issue 12): the operator transfers a live call through the same transfer
// code and rules as the agent's transfer_to_number, with SIPp as the carrier that accepts our REFER.
import t from 'tap'
import dgram from 'node:dgram'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseConfigText } from '../../src/config'
import { startServer } from '../../src/server'
import { TestEngine, type TestConversation } from '../e2e/test-engine'
import { startCarrier } from '../outbound/carrier'
import { API_KEY } from '../outbound/gateway'

const REFER_TARGET = '+15552223333'
const HUMAN = '+15551234567'

t.test('API transfer: refused outside the agent\'s rules (400), refused for the wrong type (400), REFER done (200, call transferred)', async t => {
  const engine = new TestEngine({})
  await engine.start()
  t.teardown(() => engine.stop())
  const rtp = dgram.createSocket('udp4')
  await new Promise<void>(resolve => rtp.bind(0, '127.0.0.1', resolve))
  t.teardown(() => rtp.close())
  const carrier = await startCarrier({ scenario: 'carrier-refer.xml', substitutions: { RTP_PORT: String(rtp.address().port), REFER_TO_RE: `sip:\\${REFER_TARGET}@127\\.0\\.0\\.1` }, timeoutSec: 30 })
  t.teardown(() => carrier.stop())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-api-xfer-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const base = 38000 + 2 * Math.floor(Math.random() * 400)
  const config = parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks:
  - name: carrier
    inbound: {acl: [127.0.0.0/8]}
    outbound: {address: '127.0.0.1:${carrier.port}', transport: tcp, media_encryption: disabled}
    allow_refer: true
phone_numbers: [{number: '+15550100', agent: support}]
agents:
  - id: support
    name: Support
    transfer_rules:
      - {transfer_destination: {type: phone, phone_number: '${HUMAN}'}, condition: the callee asks for a human}
      - {transfer_destination: {type: phone, phone_number: '${REFER_TARGET}'}, transfer_type: sip_refer, condition: billing}
engine: {address: '${engine.address}'}
media: {port_min: ${base}, port_max: ${base + 200}, bind_address: 127.0.0.1}
api: {listen: {host: 127.0.0.1, port: 0}, keys: ['${API_KEY}']}
records: {path: '${path.join(dir, 'calls.db')}'}
log: {level: silent}
`)
  const server = await startServer(config, { aiCalls: true })
  t.teardown(() => server.close())
  const api = `http://127.0.0.1:${server.services.apiAddress?.port}`
  const post = async (url: string, body: unknown): Promise<{ status: number, json: any }> => {
    const res = await fetch(`${api}${url}`, { method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, json: await res.json() }
  }
  const get = async (url: string): Promise<any> => (await fetch(`${api}${url}`, { headers: { 'x-api-key': API_KEY } })).json()

  const convP = new Promise<TestConversation>(resolve => engine.once('conversation', resolve))
  const id: string = (await post('/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })).json.conversation_id
  const conv = await convP
  let rec: any = null
  for (let i = 0; i < 200 && rec?.status !== 'in-progress'; i++) { rec = await get(`/v1/calls/${id}`); if (rec?.status !== 'in-progress') await new Promise(resolve => setTimeout(resolve, 50)) }
  t.equal(rec?.status, 'in-progress', 'the callee answered')

  const unknownCall = await post('/v1/calls/conv_nope/transfer', { to: REFER_TARGET })
  t.equal(unknownCall.status, 404)
  const notInRules = await post(`/v1/calls/${id}/transfer`, { to: '+15550000000' })
  t.equal(notInRules.status, 400)
  t.match(notInRules.json, { error: { code: 'API_ERR_TRANSFER_NOT_ALLOWED', field: 'to' } })
  t.match(JSON.stringify(notInRules.json), /not one of the configured destinations/, 'the same words as the transfer tool')
  const wrongType = await post(`/v1/calls/${id}/transfer`, { to: REFER_TARGET, type: 'conference' })
  t.equal(wrongType.status, 400, 'the destination\'s rule is sip_refer')
  const badBody = await post(`/v1/calls/${id}/transfer`, { to: REFER_TARGET, type: 'blind' })
  t.equal(badBody.status, 400, 'type is validated')

  const done = await post(`/v1/calls/${id}/transfer`, { to: REFER_TARGET, type: 'sip_refer' })
  t.equal(done.status, 200, JSON.stringify(done.json))
  t.match(done.json, { conversation_id: id, transfer: { state: 'answered', transfer_type: 'sip_refer', sip_status: 200 } })
  await conv.until(c => c.events.some(e => (e as any).transfer?.state === 'STATE_ANSWERED'), 5000, 'transfer progress at the engine').catch(err => t.fail(err.message))
  t.ok(conv.events.some(e => (e as any).transfer?.state === 'STATE_TRYING'), 'the engine heard the transfer being tried')
  t.equal((await carrier.done).exitCode, 0, 'the carrier got REFER, NOTIFY answered, then our BYE')
  for (let i = 0; i < 200 && !rec?.ended_at; i++) { rec = await get(`/v1/calls/${id}`); if (!rec?.ended_at) await new Promise(resolve => setTimeout(resolve, 50)) }
  t.match(rec, { status: 'transferred', transfer: { type: 'sip-refer', result: 'succeeded', sip_status: 200 } })
})
