// Inbound AI calls through the control API and the records store (issue 5), with SIPp as the caller and
// the real media core: DTMF from the API reaches the caller as RFC 4733 events (captured with tshark),
// the API hang-up sends BYE, the record carries the leg's RTP statistics and an estimated MOS, and it is
// committed while the media leg and the capacity slot are still held — for a gateway hang-up and for a
// caller BYE. The pre-call webhook's latency shows in /metrics.
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { startServer, type RunningServer } from '../../src/server'
import type { RecordStore } from '../../src/records'
import { describeRun, runSipp } from '../integration/sipp-runner'
import { callerByeScenario, callUntilGatewayBye, E2E_SIPP, gatewayConfig, PCAP } from '../e2e/helpers'
import { TestEngine } from '../e2e/test-engine'

const API_KEY = 'inbound-live-call-test-key-0123'

interface Api { request: (method: string, url: string, body?: unknown) => Promise<{ status: number, json: any, text: string }> }

async function startInbound (t: Test, engineAddress: string, agentYaml?: string): Promise<RunningServer & Api> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-inbound-api-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const config = gatewayConfig({ engineAddress, agentYaml })
  config.records = { path: path.join(dir, 'calls.db') }
  config.api = { listen: { host: '127.0.0.1', port: 0 }, keys: [API_KEY], public_metrics: false }
  const server = await startServer(config, { aiCalls: true })
  t.teardown(() => server.close())
  const addr = server.services.apiAddress
  if (!addr) throw new Error('control API not listening')
  const request: Api['request'] = async (method, url, body) => {
    const res = await fetch(`http://127.0.0.1:${addr.port}${url}`, {
      method,
      headers: { 'x-api-key': API_KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined
    })
    const text = await res.text()
    let json: any = null
    try { json = JSON.parse(text) } catch { /* /metrics is text */ }
    return { status: res.status, json, text }
  }
  return Object.assign(server, { request })
}

/** What was still held when the record store committed each final record. */
function spyOnCommit (server: RunningServer): Array<{ legs: number, slots: number }> {
  const seen: Array<{ legs: number, slots: number }> = []
  const store: RecordStore = server.services.store
  const finish = store.finish.bind(store)
  store.finish = (id, end) => {
    seen.push({ legs: server.aiCalls?.media.legCount ?? -1, slots: server.activeCalls() })
    return finish(id, end)
  }
  return seen
}

async function until (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

function metricValue (text: string, name: string, labels: string[]): number {
  const line = text.split('\n').find(l => l.startsWith(`${name}{`) && labels.every(p => l.includes(p)))
  return line ? Number(line.split(' ').pop()) : 0
}

t.test('API DTMF and hang-up on a live inbound call; the record is committed before the leg and slot are released', async t => {
  const engine = new TestEngine({})
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startInbound(t, engine.address)
  const commits = spyOnCommit(server)

  const call = callUntilGatewayBye(server, { byeTimeoutMs: 20000, capture: true })
  let id = ''
  await until('the inbound call in progress', async () => {
    const r = await server.request('GET', '/v1/calls?direction=inbound&status=in-progress')
    id = r.json?.calls?.[0]?.conversation_id ?? r.json?.[0]?.conversation_id ?? ''
    return id !== ''
  })
  // SIPp plays its speech pcap from the ACK on; let a second of it reach the leg's counters.
  await new Promise(resolve => setTimeout(resolve, 1000))

  // Live call quality (issue 16): while the call is up the record shows what the leg measured so far,
  // with null for what is not known yet, never -1.
  const live = await server.request('GET', `/v1/calls/${id}`)
  t.equal(live.status, 200, live.text)
  t.equal(live.json.ended_at ?? null, null, 'the call is still up')
  const lq = live.json.media_quality
  t.ok(lq, `interim media quality while the call is up: ${live.text}`)
  t.ok(lq.packets_received > 10, `packets so far (${String(lq?.packets_received)})`)
  t.type(lq.mos, 'number', 'MOS so far')
  t.ok(lq.rtt_ms === null || lq.rtt_ms >= 0, `rtt_ms null or measured, never -1 (${String(lq.rtt_ms)})`)
  const later = await until('more packets on a second read', async () =>
    (await server.request('GET', `/v1/calls/${id}`)).json.media_quality.packets_received > lq.packets_received).then(() => true)
  t.ok(later, 'the figures move while the call goes on')

  const dtmf = await server.request('POST', `/v1/calls/${id}/dtmf`, { digits: '5#' })
  t.equal(dtmf.status, 202, dtmf.text)
  const bad = await server.request('POST', '/v1/calls/conv_unknown/dtmf', { digits: '1' })
  t.equal(bad.status, 404, `unknown call: ${bad.text}`)
  // API transfer (issue 12, media-stream bots) is held to the agent's rules: this agent has none.
  const xfer = await server.request('POST', `/v1/calls/${id}/transfer`, { to: '+15551234567' })
  t.equal(xfer.status, 400, xfer.text)
  t.match(xfer.json.error, { code: 'API_ERR_TRANSFER_NOT_ALLOWED', field: 'to', message: /no transfer rules/ })
  t.equal((await server.request('POST', `/v1/calls/${id}/transfer`, { to: '+15551234567', type: 'blind' })).json.error.field, 'type')
  t.equal((await server.request('POST', '/v1/calls/conv_unknown/transfer', { to: '+15551234567' })).status, 404)

  // The 202 comes once the media core has sent the last end packet (test/api/live-call.test.ts reads them
  // straight off a socket); tshark, stopped by SIGINT after SIPp exits, can miss the last packets before
  // the BYE, so the call runs on briefly with its regular RTP behind the events.
  await new Promise(resolve => setTimeout(resolve, 500))
  const hang = await server.request('POST', `/v1/calls/${id}/hangup`)
  t.equal(hang.status, 200, hang.text)
  t.match(hang.json, { direction: 'inbound', status: 'completed', hangup_cause: 'api_hangup', hangup_side: 'local' })
  t.equal(hang.json.dtmf.sent, 2, 'the two keys sent are counted')
  const q = hang.json.media_quality
  t.ok(q, 'media quality on the inbound record')
  t.ok(q.packets_received > 10, `packets received from SIPp (${q.packets_received})`)
  t.ok(q.packets_sent > 10, `packets sent to SIPp (${q.packets_sent})`)
  t.ok(q.mos > 1 && q.mos <= 4.5, `estimated MOS ${q.mos}`)

  const { run, rtp } = await call
  t.equal(run.successfulCalls, 1, `the caller got our BYE: ${describeRun(run)}`)
  t.match(rtp?.digits ?? '', /5#/, `RFC 4733 events for "5#" reached the caller (got "${rtp?.digits ?? ''}")`)

  t.same(commits, [{ legs: 1, slots: 1 }], 'at commit the media leg was open and the capacity slot held')
  await until('leg and slot released', () => server.aiCalls?.media.legCount === 0 && server.activeCalls() === 0)
  t.pass('leg and slot released after the commit')
})

t.test('caller BYE: the record (with media quality) is committed before the leg and the slot are released', async t => {
  const engine = new TestEngine({ echo: true })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startInbound(t, engine.address)
  const commits = spyOnCommit(server)
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-audio-dtmf.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 20,
    substitutions: { ...callerByeScenario(), SPEECH_PCAP: PCAP('g711a.pcap'), DTMF_PCAP: PCAP('dtmf_2833_1.pcap'), SPEECH_MS: '1500' }
  })
  t.equal(run.successfulCalls, 1, describeRun(run))
  await until('the record committed', () => commits.length === 1)
  t.same(commits, [{ legs: 1, slots: 1 }], 'at commit the media leg was open and the capacity slot held')
  const list = await server.request('GET', '/v1/calls?direction=inbound')
  const rec = list.json?.calls?.[0] ?? list.json?.[0]
  t.match(rec, { status: 'completed', hangup_side: 'remote', dtmf: { received: 1 } })
  t.ok(rec.media_quality?.packets_received > 10, `packets received (${rec.media_quality?.packets_received})`)
  t.ok(rec.media_quality?.mos > 1, `estimated MOS ${rec.media_quality?.mos}`)
})

t.test('pre-call webhook latency of inbound calls is in /metrics', async t => {
  const srv = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ type: 'conversation_initiation_client_data', dynamic_variables: {} }))
    })
  })
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { srv.closeAllConnections(); srv.close() })
  const url = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/pre-call`
  const engine = new TestEngine({})
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startInbound(t, engine.address, `    pre_call_webhook:\n      url: ${url}\n      timeout_ms: 2000`)
  const before = (await server.request('GET', '/metrics')).text
  t.equal(metricValue(before, 'trunkgate_webhook_latency_seconds_count', ['webhook="pre_call"', 'result="ok"']), 0)
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-audio-dtmf.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 20,
    substitutions: { ...callerByeScenario(), SPEECH_PCAP: PCAP('g711a.pcap'), DTMF_PCAP: PCAP('dtmf_2833_1.pcap'), SPEECH_MS: '300' }
  })
  t.equal(run.successfulCalls, 1, describeRun(run))
  const after = (await server.request('GET', '/metrics')).text
  t.equal(metricValue(after, 'trunkgate_webhook_latency_seconds_count', ['webhook="pre_call"', 'result="ok"']), 1, 'one pre-call webhook observed')
  const sum = metricValue(after, 'trunkgate_webhook_latency_seconds_sum', ['webhook="pre_call"', 'result="ok"'])
  t.ok(sum > 0 && sum < 2, `latency ${sum} s`)
})
