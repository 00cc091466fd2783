// Each way an outbound call can end, against SIPp as the carrier, shows the right status in the API and
// in the stored record: busy (486, 600), rejected (603, 404), no answer (ring timeout → CANCEL → 487),
// unreachable (nothing listening), answered then hung up by the carrier (BYE).
import t from 'tap'
import net from 'node:net'
import { startCarrier } from './carrier'
import { startGateway } from './gateway'

const outbound = (port: number, extra = ''): string => [`address: 127.0.0.1:${port}`, 'transport: tcp', 'media_encryption: disabled', extra].filter(Boolean).join('\n')

const finals = [
  { status: 486, reason: 'Busy Here', expect: 'busy', cause: 'user_busy' },
  { status: 600, reason: 'Busy Everywhere', expect: 'busy', cause: 'user_busy' },
  { status: 603, reason: 'Decline', expect: 'rejected', cause: 'call_declined' },
  { status: 404, reason: 'Not Found', expect: 'rejected', cause: 'sip_404' },
  { status: 480, reason: 'Temporarily Unavailable', expect: 'no-answer', cause: 'no_answer' }
]

for (const f of finals) {
  t.test(`${f.status} ${f.reason} → ${f.expect}`, async t => {
    const carrier = await startCarrier({ scenario: 'carrier-final.xml', substitutions: { STATUS: String(f.status), REASON: f.reason } })
    const gw = await startGateway({ outboundYaml: outbound(carrier.port) })
    t.teardown(async () => { await gw.close(); await carrier.stop() })
    const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
    t.equal(res.status, 201, res.text)
    const ended = await gw.waitEnded(res.json.conversation_id)
    t.equal(ended.status, f.expect)
    t.equal(ended.sip_status, f.status)
    t.equal(ended.hangup_cause, f.cause)
    t.equal(ended.hangup_side, 'remote')
    t.equal(ended.answered_at, null)
    t.equal(ended.duration_secs, 0)
    t.ok(ended.sip_call_id)
    const run = await carrier.done
    t.equal(run.exitCode, 0, `carrier saw the ACK for its ${f.status}: ${run.errors}`)
    const listed = await gw.request('GET', `/v1/calls?status=${f.expect}`)
    t.same(listed.json.calls.map((c: any) => c.conversation_id), [res.json.conversation_id], 'listed by status')
  })
}

t.test('no answer: the ring timeout CANCELs, the carrier answers 487 → no-answer', async t => {
  const carrier = await startCarrier({ scenario: 'carrier-ring.xml' })
  const gw = await startGateway({ outboundYaml: outbound(carrier.port, 'ring_timeout_secs: 30') })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  const started = Date.now()
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199', ring_timeout_secs: 1 })
  t.equal(res.status, 201, res.text)
  const ringing = await gw.waitStatus(res.json.conversation_id, 'ringing')
  t.equal(ringing.status, 'ringing', '180 shows as ringing')
  const ended = await gw.waitEnded(res.json.conversation_id)
  t.ok(Date.now() - started >= 900, 'not before the 1 s ring timeout (the request overrides the trunk default)')
  t.equal(ended.status, 'no-answer')
  t.equal(ended.hangup_cause, 'ring_timeout')
  t.equal(ended.hangup_side, 'local')
  t.equal(ended.sip_status, 487)
  const run = await carrier.done
  t.equal(run.exitCode, 0, `carrier received the CANCEL and the ACK for 487: ${run.errors}`)
})

t.test('API hang-up while ringing CANCELs → canceled', async t => {
  const carrier = await startCarrier({ scenario: 'carrier-ring.xml' })
  const gw = await startGateway({ outboundYaml: outbound(carrier.port) })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  await gw.waitStatus(res.json.conversation_id, 'ringing')
  const hang = await gw.request('POST', `/v1/calls/${res.json.conversation_id}/hangup`)
  t.equal(hang.status, 200, hang.text)
  t.equal(hang.json.status, 'canceled')
  t.equal(hang.json.hangup_cause, 'api_hangup')
  const again = await gw.request('POST', `/v1/calls/${res.json.conversation_id}/hangup`)
  t.equal(again.status, 409, 'hanging up an ended call is a conflict')
  t.equal((await carrier.done).exitCode, 0)
})

t.test('unreachable target (connection refused) → failed', async t => {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const deadPort = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  const gw = await startGateway({ outboundYaml: outbound(deadPort) })
  t.teardown(() => gw.close())
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  const ended = await gw.waitEnded(res.json.conversation_id)
  t.equal(ended.status, 'failed')
  t.equal(ended.hangup_cause, 'unreachable')
  t.equal(ended.hangup_side, 'system')
  t.equal(ended.sip_status, 503)
})

t.test('answered, then the carrier hangs up (BYE) → completed, remote side, duration counted', async t => {
  const carrier = await startCarrier({ scenario: 'carrier-bye.xml', substitutions: { HOLD_MS: '700' } })
  const gw = await startGateway({ outboundYaml: outbound(carrier.port) })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  const ended = await gw.waitEnded(res.json.conversation_id)
  t.equal(ended.status, 'completed')
  t.equal(ended.hangup_cause, 'remote_bye')
  t.equal(ended.hangup_side, 'remote')
  t.ok(ended.duration_secs >= 0.5 && ended.duration_secs < 5, `duration ${ended.duration_secs}`)
  t.equal((await carrier.done).exitCode, 0, 'our 200 to the BYE reached the carrier')
})

t.test('outbound and inbound calls share sip.maxConcurrentCalls', async t => {
  const { runSipp, describeRun } = await import('../integration/sipp-runner')
  const carrier = await startCarrier({ scenario: 'carrier-ring.xml' })
  const gw = await startGateway({ outboundYaml: outbound(carrier.port) })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  gw.server.config.sip.maxConcurrentCalls = 1
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  await gw.waitStatus(res.json.conversation_id, 'ringing')
  const second = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  t.equal(second.status, 503, 'a second outbound call is refused')
  t.equal(second.json.error.code, 'API_ERR_CAPACITY')
  const run = await runSipp({ scenario: 'uac-reject.xml', target: { host: '127.0.0.1', port: gw.server.ports.tcp! }, service: '+15550100', substitutions: { STATUS: '503' }, timeoutSec: 10 })
  t.equal(run.successfulCalls, 1, `an inbound INVITE gets 503 while the outbound call holds the slot: ${describeRun(run)}`)
  await gw.request('POST', `/v1/calls/${res.json.conversation_id}/hangup`)
})
