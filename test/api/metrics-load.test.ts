// Load through the real gateway: 20 concurrent outbound calls to a SIPp carrier answering 486. The
// metrics count every result and SIP code, and the post-call webhook (a loopback HTTP receiver)
// gets one signed delivery per call, its latency histogram filling as it goes.
import t from 'tap'
import crypto from 'node:crypto'
import http from 'node:http'
import { startCarrier } from '../outbound/carrier'
import { startGateway } from '../outbound/gateway'

const CALLS = 20
const SECRET = 'webhook-secret-0123456789'

function metricValue (text: string, name: string, labels: string[]): number {
  const line = text.split('\n').find(l => l.startsWith(`${name}{`) && labels.every(p => l.includes(p)))
  return line ? Number(line.split(' ').pop()) : 0
}

t.test(`${CALLS} busy calls move the counters and each reaches the post-call webhook`, async t => {
  const deliveries: Array<{ body: string, sig: string }> = []
  let fail = 3
  const hook = http.createServer((req, res) => {
    let body = ''
    req.on('data', d => { body += d })
    req.on('end', () => {
      // The first few deliveries fail: retries must still bring every record.
      if (fail-- > 0) { res.statusCode = 500; res.end(); return }
      deliveries.push({ body, sig: String(req.headers['trunkgate-signature']) })
      res.end('ok')
    })
  })
  await new Promise<void>(resolve => hook.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => hook.close(() => resolve())))
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/post-call`

  const carrier = await startCarrier({ scenario: 'carrier-final.xml', calls: CALLS, timeoutSec: 30, substitutions: { STATUS: '486', REASON: 'Busy Here' } })
  const gw = await startGateway({
    outboundYaml: `address: 127.0.0.1:${carrier.port}\ntransport: tcp`,
    recordsYaml: `post_call_webhook: {url: '${hookUrl}', secret: '${SECRET}', base_delay_ms: 50, max_attempts: 5}`
  })
  t.teardown(async () => { await gw.close(); await carrier.stop() })

  const started = await Promise.all(Array.from({ length: CALLS }, () =>
    gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })))
  t.ok(started.every(r => r.status === 201), 'all calls accepted')
  const ids = started.map(r => r.json.conversation_id as string)
  for (const id of ids) t.equal((await gw.waitEnded(id, 20000)).status, 'busy')

  const m = (await gw.request('GET', '/metrics')).text
  t.equal(metricValue(m, 'trunkgate_calls_total', ['direction="outbound"', 'status="busy"']), CALLS)
  t.equal(metricValue(m, 'trunkgate_sip_responses_total', ['code="486"', 'direction="received"']), CALLS)
  t.equal(metricValue(m, 'trunkgate_sip_responses_total', ['code="180"', 'direction="received"']), CALLS)
  t.equal(metricValue(m, 'trunkgate_active_calls', ['direction="outbound"']), 0)
  t.equal(metricValue(m, 'trunkgate_api_requests_total', ['route="originate"', 'status="201"']), CALLS)
  const run = await carrier.done
  t.equal(run.exitCode, 0, `carrier: ${CALLS} calls got their ACK\n${run.errors.slice(0, 1000)}`)

  const deadline = Date.now() + 15000
  while (deliveries.length < CALLS && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(deliveries.length, CALLS, 'one delivery per call despite the failing start')
  const got = new Set(deliveries.map(d => JSON.parse(d.body).data.conversation_id))
  t.same([...got].sort(), [...ids].sort())
  for (const d of deliveries.slice(0, 3)) {
    const [, ts, mac] = /^t=(\d+),v0=([0-9a-f]+)$/.exec(d.sig) ?? []
    t.equal(mac, crypto.createHmac('sha256', SECRET).update(`${ts}.${d.body}`).digest('hex'), 'signature verifies')
    t.equal(JSON.parse(d.body).data.status, 'busy')
  }
  const after = (await gw.request('GET', '/metrics')).text
  t.ok(metricValue(after, 'trunkgate_webhook_latency_seconds_count', ['webhook="post_call"', 'result="ok"']) >= CALLS)
  t.ok(metricValue(after, 'trunkgate_webhook_latency_seconds_count', ['webhook="post_call"', 'result="failed"']) >= 3)
})
