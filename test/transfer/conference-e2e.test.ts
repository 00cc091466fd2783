// Conference transfer through the whole gateway: SIPp caller (media on a Node RTP peer sending a
// 700 Hz tone) → gateway → gRPC test engine asks for transfer_to_number → the gateway dials the
// human through the trunk's outbound settings (SIPp UAS, media on an RTP peer sending 1700 Hz).
// Checked on the captured RTP: during the whisper the human hears the engine (1100 Hz) and not the
// caller, the caller hears hold tone and not the whisper; after the engine's Mark both hear each
// other and the engine stream has ended. Busy and no-answer humans leave the caller with the engine.
import t, { type Test } from 'tap'
import { ulawToPCM } from 'g711'
import { startServer, type RunningServer } from '../../src/server'
import type { ToolCallMsg } from '../../src/engine/engine-messages'
import { runSipp, describeRun } from '../integration/sipp-runner'
import { TestEngine, tone16k, type TestConversation } from '../e2e/test-engine'
import { gatewayConfig, nextRecord } from '../e2e/helpers'
import { RtpPeer } from '../media/rtp-peer'
import { tone, toneLevel } from '../media/audio-tools'
import { startHumanSipp } from './human-sipp'

const NUMBER = '+15551234567'
const CALLER_HZ = 700
const HUMAN_HZ = 1700
const WHISPER_HZ = 1100

/** An RTP peer that answers the first packet it gets with a continuous tone (symmetric RTP). */
async function tonePeer (hz: number): Promise<RtpPeer> {
  const peer = await RtpPeer.create()
  let started = false
  peer.socket.on('message', (_msg, from) => {
    if (started) return
    started = true
    peer.sendTo(from.address, from.port)
    peer.stream(i => tone(hz, 20, 8000, 5000, 2 * Math.PI * hz * i * 160 / 8000))
  })
  return peer
}

/** The 8 kHz audio a peer received between two hrtime stamps. */
function heard (peer: RtpPeer, from: bigint, to: bigint): Int16Array {
  const parts = peer.received.filter(r => r.at >= from && r.at < to && r.payloadType === 0).map(r => Int16Array.from(ulawToPCM(new Uint8Array(r.payload), 16)))
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

const ms = (n: number): bigint => BigInt(n) * 1_000_000n

async function gateway (t: Test, humanPort: number, opts: { ringTimeoutMs?: number } = {}): Promise<{ engine: TestEngine, server: RunningServer }> {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const config = gatewayConfig({
    engineAddress: engine.address,
    trunkYaml: `    outbound: {address: '127.0.0.1', port: ${humanPort}, transport: tcp, headers: [{name: X-Tenant, value: acme}]}`,
    agentYaml: `    transfer_rules:
      - {transfer_destination: {type: phone, phone_number: '${NUMBER}'}, condition: the caller asks for a human}`
  })
  config.transfer.ring_timeout_ms = opts.ringTimeoutMs ?? 10000
  config.transfer.whisper_max_ms = 8000
  const server = await startServer(config, { aiCalls: true })
  t.teardown(() => server.close())
  return { engine, server }
}

function transferCall (): ToolCallMsg {
  return { tool_call_id: 'xfer-1', transfer_to_number: { transfer_number: NUMBER, client_message: 'Please hold.', agent_message: 'Caller wants billing.' } } as ToolCallMsg
}

/** The engine: once audio flows, a short client message then the tool call; on ANSWERED, 1 s whisper + Mark. */
function scriptEngine (engine: TestEngine, stamps: { tool?: bigint, answered?: bigint, result?: bigint }): Promise<TestConversation> {
  return engine.conversation(0, 15000).then(async conv => {
    await conv.until(c => c.frames > 5, 10000, 'audio from the answered call')
    conv.audio(tone16k(300, 400))
    conv.tool(transferCall())
    stamps.tool = process.hrtime.bigint()
    conv.on('message', m => {
      if (m.msg === 'call_event' && m.call_event.event === 'transfer' && m.call_event.transfer.state === 'STATE_ANSWERED' && stamps.answered === undefined) {
        stamps.answered = process.hrtime.bigint()
        conv.audio(tone16k(WHISPER_HZ, 1200, 6000))
        conv.mark('whisper-done')
      }
      if (m.msg === 'tool_result' && stamps.result === undefined) stamps.result = process.hrtime.bigint()
    })
    return conv
  })
}

t.test('conference transfer: whisper to the human only, then caller and human bridged both ways, engine gone', async t => {
  const humanPeer = await tonePeer(HUMAN_HZ)
  const callerPeer = await tonePeer(CALLER_HZ)
  t.teardown(async () => { await humanPeer.close(); await callerPeer.close() })
  const human = await startHumanSipp('human-answer-rtp.xml', { RTP_PORT: String(humanPeer.port) })
  const { engine, server } = await gateway(t, human.port)
  const ended = nextRecord(server, 30000)
  const stamps: { tool?: bigint, answered?: bigint, result?: bigint } = {}
  const convP = scriptEngine(engine, stamps)
  const run = await runSipp({
    scenario: 'transfer/conference-caller.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100',
    timeoutSec: 30, pauseMs: 6000, substitutions: { RTP_PORT: String(callerPeer.port) }
  })
  t.equal(run.exitCode, 0, describeRun(run))
  const conv = await convP
  const h = await human.done
  t.equal(h.code, 0, `the human answered and got our BYE when the caller hung up ${h.errors.slice(0, 800)}`)

  const states = conv.events.flatMap(e => e.event === 'transfer' ? [e.transfer.state] : [])
  t.same(states, ['STATE_TRYING', 'STATE_RINGING', 'STATE_ANSWERED'])
  t.match(conv.toolResults, [{ tool_call_id: 'xfer-1', ok: true }])
  t.match(conv.events.find(e => e.event === 'hangup'), { hangup: { side: 'HANGUP_SIDE_GATEWAY', cause: 'transferred' } }, 'the engine stream ended with cause transferred')
  t.ok(conv.ended, 'engine stream closed')
  t.same(conv.playbackMarks, [{ name: 'whisper-done', cleared: false }], 'the whisper mark played on the human leg is reported before the stream ends')
  t.ok(stamps.answered !== undefined && stamps.result !== undefined, 'whisper started and ended')
  const a = stamps.answered as bigint
  const b = stamps.result as bigint
  t.ok(b - a >= ms(900), `the whisper lasted until the Mark (${Number(b - a) / 1e6} ms)`)

  // Hold audio: after the 400 ms client message, the 425 Hz waiting tone (1 s on) reaches the caller.
  const hold = heard(callerPeer, (stamps.tool as bigint) + ms(600), (stamps.tool as bigint) + ms(1250))
  t.ok(toneLevel(hold, 425, 8000) > 1500, `caller hears the hold tone after the client message (${Math.round(toneLevel(hold, 425, 8000))})`)

  // Whisper window (skip 150 ms at each edge for jitter buffers and packet transit).
  const humanWhisper = heard(humanPeer, a + ms(150), b - ms(150))
  const callerWhisper = heard(callerPeer, a + ms(150), b - ms(150))
  t.ok(humanWhisper.length > 4000, `human received audio during the whisper (${humanWhisper.length} samples)`)
  t.ok(toneLevel(humanWhisper, WHISPER_HZ, 8000) > 1500, `human hears the whisper (${Math.round(toneLevel(humanWhisper, WHISPER_HZ, 8000))})`)
  t.ok(toneLevel(humanWhisper, CALLER_HZ, 8000) < 200, `human does not hear the caller yet (${Math.round(toneLevel(humanWhisper, CALLER_HZ, 8000))})`)
  t.ok(toneLevel(callerWhisper, WHISPER_HZ, 8000) < 200, `caller does not hear the whisper (${Math.round(toneLevel(callerWhisper, WHISPER_HZ, 8000))})`)
  t.ok(toneLevel(callerWhisper, HUMAN_HZ, 8000) < 200, `caller does not hear the human yet (${Math.round(toneLevel(callerWhisper, HUMAN_HZ, 8000))})`)

  // Bridged: 300 ms after the result, for 2 s.
  const humanBridged = heard(humanPeer, b + ms(300), b + ms(2300))
  const callerBridged = heard(callerPeer, b + ms(300), b + ms(2300))
  t.ok(toneLevel(humanBridged, CALLER_HZ, 8000) > 1500, `human hears the caller (${Math.round(toneLevel(humanBridged, CALLER_HZ, 8000))})`)
  t.ok(toneLevel(callerBridged, HUMAN_HZ, 8000) > 1500, `caller hears the human (${Math.round(toneLevel(callerBridged, HUMAN_HZ, 8000))})`)
  t.ok(toneLevel(callerBridged, WHISPER_HZ, 8000) < 200, 'no engine audio after the bridge')

  const record = await ended
  t.match(record, { outcome: 'transferred', endedBy: 'caller', transfer: { type: 'conference', target: NUMBER, result: 'succeeded', sipStatus: 200 } })
})

for (const c of [
  { name: 'busy', scenario: 'human-busy.xml', status: 486, words: /busy \(486 Busy Here\)/, ring: 2000 },
  { name: 'no answer', scenario: 'human-no-answer.xml', status: 487, words: /no answer \(487/, ring: 1000 }
]) {
  t.test(`conference transfer to a ${c.name} human: FAILED ${c.status}, tool error, the caller stays with the engine`, async t => {
    const callerPeer = await tonePeer(CALLER_HZ)
    t.teardown(() => callerPeer.close())
    const human = await startHumanSipp(c.scenario)
    const { engine, server } = await gateway(t, human.port, { ringTimeoutMs: c.ring })
    const ended = nextRecord(server, 30000)
    const convP = engine.conversation(0, 15000).then(async conv => {
      await conv.until(x => x.frames > 5, 10000, 'audio')
      conv.tool(transferCall())
      await conv.until(x => x.toolResults.length > 0, 15000, 'tool result')
      const framesAtFailure = conv.frames
      // The conversation goes on: the caller's audio keeps reaching the engine.
      await conv.until(x => x.frames > framesAtFailure + 25, 5000, 'caller audio after the failed transfer')
      return conv
    })
    const run = await runSipp({
      scenario: 'transfer/conference-caller.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100',
      timeoutSec: 30, pauseMs: c.ring + 3000, substitutions: { RTP_PORT: String(callerPeer.port) }
    })
    t.equal(run.exitCode, 0, describeRun(run))
    const conv = await convP
    t.equal((await human.done).code, 0, 'the human SIPp saw its scenario through')
    const transfer = conv.events.flatMap(e => e.event === 'transfer' ? [[e.transfer.state, e.transfer.sip_status]] : [])
    t.same(transfer.at(-1), ['STATE_FAILED', c.status])
    t.match(conv.toolResults, [{ tool_call_id: 'xfer-1', ok: false, error: c.words }])
    const record = await ended
    t.match(record, { outcome: 'completed', endedBy: 'caller', transfer: { type: 'conference', result: 'failed', sipStatus: c.status } })
  })
}
