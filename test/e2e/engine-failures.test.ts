// Engine failures as the caller sees them (SIPp as the trunk): unreachable or refusing engine at
// call start → the agent's behaviour (503 + Retry-After, or answer, tone, BYE); a stream that
// breaks mid-call or an engine Hangup → BYE; every case leaves a call record.
import net from 'node:net'
import path from 'node:path'
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import { describeRun, runSipp } from '../integration/sipp-runner'
import { TestEngine } from './test-engine'
import { callUntilGatewayBye, E2E_SIPP, nextRecord, refusedScenario, startGateway } from './helpers'
import type { RunningServer } from '../../src/server'

/** A loopback port nobody listens on. */
async function deadAddress (): Promise<string> {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return `127.0.0.1:${port}`
}

function refused (server: RunningServer, status: number): ReturnType<typeof runSipp> {
  return runSipp({
    scenario: path.join(E2E_SIPP, 'uac-refused.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 15,
    substitutions: refusedScenario(status)
  })
}

t.test('engine unreachable, agent policy reject: 503 with Retry-After and a record', async t => {
  const server = await startGateway({ engineAddress: await deadAddress(), connectTimeoutMs: 300 })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const run = await refused(server, 503)
  t.equal(run.successfulCalls, 1, `503 with Retry-After: ${describeRun(run)}`)
  t.match(await ended, { outcome: 'rejected', sipStatus: 503, cause: 'CALL_ERR_ENGINE_UNAVAILABLE', answeredAtMs: null })
})

t.test('engine refuses the connection: 503 at once, not after the connect timeout', async t => {
  // A minute of connect timeout: the call's 503 (and its record, within nextRecord's 10 s) can only
  // come from the refusal itself.
  const server = await startGateway({ engineAddress: await deadAddress(), connectTimeoutMs: 60000 })
  t.teardown(() => server.close())
  const ended = nextRecord(server, 10000)
  const run = await refused(server, 503)
  t.equal(run.successfulCalls, 1, `503 with Retry-After: ${describeRun(run)}`)
  t.match(await ended, { outcome: 'rejected', sipStatus: 503, cause: 'CALL_ERR_ENGINE_UNAVAILABLE' })
})

t.test('engine refuses the call (RESOURCE_EXHAUSTED before Ready): 503', async t => {
  const engine = new TestEngine({ refuse: grpc.status.RESOURCE_EXHAUSTED })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const run = await refused(server, 503)
  t.equal(run.successfulCalls, 1, describeRun(run))
  t.match(await ended, { outcome: 'rejected', sipStatus: 503 })
})

t.test('engine unreachable, agent policy answer_and_hangup: answered, a tone is played, then BYE', async t => {
  const server = await startGateway({ engineAddress: await deadAddress(), connectTimeoutMs: 300, agentYaml: '    engine_unavailable: answer_and_hangup' })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run, rtp } = await callUntilGatewayBye(server, { byeTimeoutMs: 10000, capture: true })
  t.equal(run.successfulCalls, 1, `answered and then BYE: ${describeRun(run)}`)
  // Two special-information-tone triplets: 2 x 0.99 s of tone in PCMA (30 ms packets as offered).
  t.ok((rtp?.loudPcmaPackets ?? 0) >= 50, `the tone reached the caller (${rtp?.loudPcmaPackets} loud packets)`)
  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'gateway', cause: 'engine_unavailable' })
  t.ok((record.endedAtMs ?? 0) - (record.answeredAtMs ?? 0) >= 3000, 'BYE only after the tone played')
})

t.test('engine stream broken mid-call: BYE with cause engine_error', async t => {
  const engine = new TestEngine({ onReady: conv => setTimeout(() => conv.break(grpc.status.UNAVAILABLE, 'engine pod evicted'), 800) })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run } = await callUntilGatewayBye(server, { byeTimeoutMs: 6000 })
  t.equal(run.successfulCalls, 1, `the gateway sent BYE: ${describeRun(run)}`)
  t.match(await ended, { outcome: 'completed', endedBy: 'gateway', cause: 'engine_error' })
})

t.test('engine Hangup message: BYE, the call record says the engine ended it', async t => {
  const engine = new TestEngine({ onReady: conv => setTimeout(() => conv.hangup('conversation over'), 500) })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run } = await callUntilGatewayBye(server, { byeTimeoutMs: 6000 })
  t.equal(run.successfulCalls, 1, describeRun(run))
  t.match(await ended, { outcome: 'completed', endedBy: 'engine', cause: 'engine_hangup' })
})

t.test('gateway shutdown with a live call: BYE to the caller, hang-up cause shutdown to the engine', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  const ended = nextRecord(server)
  engine.behaviour.onReady = () => { setTimeout(() => { void server.close() }, 800) }
  const { run } = await callUntilGatewayBye(server, { byeTimeoutMs: 6000 })
  t.equal(run.successfulCalls, 1, `the caller got a BYE: ${describeRun(run)}`)
  t.match(await ended, { endedBy: 'gateway', cause: 'shutdown' })
  const conv = await engine.conversation(0)
  t.match(conv.events.find(e => e.event === 'hangup'), { hangup: { side: 'HANGUP_SIDE_GATEWAY', cause: 'shutdown' } })
})

// Issue 17 item 8: the agent's on_engine_failure instead of silence then BYE.
t.test('engine stream broken mid-call, on_engine_failure message: the caller hears the message, then BYE', async t => {
  const engine = new TestEngine({ onReady: conv => setTimeout(() => conv.break(grpc.status.UNAVAILABLE, 'engine pod evicted'), 800) })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({
    engineAddress: engine.address,
    agentYaml: '    on_engine_failure: message\n    engine_failure_message: Sorry, we have a technical problem. Please call again later.'
  })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run, rtp } = await callUntilGatewayBye(server, { byeTimeoutMs: 15000, capture: true })
  t.equal(run.successfulCalls, 1, `the gateway sent BYE: ${describeRun(run)}`)
  // This engine never sends audio: every loud packet is the failure message (30 ms PCMA packets).
  t.ok((rtp?.loudPcmaPackets ?? 0) >= 20, `the message reached the caller (${rtp?.loudPcmaPackets} loud packets)`)
  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'gateway', cause: 'engine_error_message' })
})

t.test('engine mute while the caller talks (engine_silence_timeout_s), hangup: BYE with cause engine_silence', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, agentYaml: '    engine_silence_timeout_s: 1' })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run } = await callUntilGatewayBye(server, { byeTimeoutMs: 10000 })
  t.equal(run.successfulCalls, 1, `the gateway sent BYE: ${describeRun(run)}`)
  t.match(await ended, { outcome: 'completed', endedBy: 'gateway', cause: 'engine_silence' })
  const conv = await engine.conversation(0)
  t.ok(conv.loudFrames > 0, 'the caller was talking to the engine')
  t.match(conv.events.find(e => e.event === 'hangup'), { hangup: { side: 'HANGUP_SIDE_GATEWAY', cause: 'engine_silence' } })
})

t.test('engine mute while the caller talks, on_engine_failure message: the message, then BYE', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({
    engineAddress: engine.address,
    agentYaml: '    engine_silence_timeout_s: 1\n    on_engine_failure: message'
  })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run, rtp } = await callUntilGatewayBye(server, { byeTimeoutMs: 15000, capture: true })
  t.equal(run.successfulCalls, 1, `the gateway sent BYE: ${describeRun(run)}`)
  // No message configured: the special information tone (2 x 0.99 s).
  t.ok((rtp?.loudPcmaPackets ?? 0) >= 50, `the tone reached the caller (${rtp?.loudPcmaPackets} loud packets)`)
  t.match(await ended, { outcome: 'completed', endedBy: 'gateway', cause: 'engine_silence_message' })
})
