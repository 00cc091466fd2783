// The demo engine path of a conference transfer: the caller presses 0 (RFC 4733 from its RTP peer),
// the demo engine asks transfer_to_number for the agent's first rule, speaks agent_message (espeak-ng)
// to the human only once the human answers, and leaves; caller (700 Hz) and human (1700 Hz) then
// hear each other.
import t from 'tap'
import { ulawToPCM } from 'g711'
import { startServer } from '../../src/server'
import { DemoEngine } from '../../src/engine/demo-engine'
import { rootLogger } from '../../src/log'
import { runSipp, describeRun } from '../integration/sipp-runner'
import { gatewayConfig, nextRecord } from '../e2e/helpers'
import { RtpPeer } from '../media/rtp-peer'
import { rms, tone, toneLevel } from '../media/audio-tools'
import { startHumanSipp } from './human-sipp'

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

/** RFC 4733 §2.3: one key press of `event` (0-15) as start, continuation and three end packets on PT 101. */
function pressKey (peer: RtpPeer, event: number): void {
  const ts = peer.ts
  for (let i = 0; i < 6; i++) {
    const end = i >= 3
    const payload = Buffer.from([event, (end ? 0x80 : 0) | 10, 0, 0])
    payload.writeUInt16BE(160 * (i + 1), 2)
    peer.sendRaw(peer.packet(101, payload, { marker: i === 0, ts }))
    peer.seq = (peer.seq + 1) & 0xffff
  }
}

function heard (peer: RtpPeer, from: bigint, to: bigint): Int16Array {
  return Int16Array.from(peer.received.filter(r => r.at >= from && r.at < to && r.payloadType === 0)
    .flatMap(r => Array.from(ulawToPCM(new Uint8Array(r.payload), 16))))
}

t.test('demo engine: key 0 → conference transfer to the first rule, spoken whisper to the human, then caller and human bridged', async t => {
  const demo = new DemoEngine({ host: '127.0.0.1', port: 0, greetingPcm: Buffer.alloc(640 * 10), echoDelayMs: 300, log: rootLogger.child({}, { level: 'silent' }) })
  const port = await demo.start()
  t.teardown(() => demo.stop(200))
  const humanPeer = await tonePeer(1700)
  const callerPeer = await tonePeer(700)
  t.teardown(async () => { await humanPeer.close(); await callerPeer.close() })
  const human = await startHumanSipp('human-answer-rtp.xml', { RTP_PORT: String(humanPeer.port) }, 30)
  const config = gatewayConfig({
    engineAddress: `127.0.0.1:${port}`,
    trunkYaml: `    outbound: {address: '127.0.0.1', port: ${human.port}, transport: tcp, headers: [{name: X-Tenant, value: acme}]}`,
    agentYaml: `    transfer_rules:
      - {transfer_destination: {type: phone, phone_number: '+15551234567'}, condition: the caller presses 0}`
  })
  const server = await startServer(config, { aiCalls: true })
  t.teardown(() => server.close())
  const ended = nextRecord(server, 40000)

  let answeredAt = 0n
  const human200 = new Promise<void>(resolve => {
    // The human's first RTP from us marks the answer; press 0 a second into the call.
    const iv = setInterval(() => { if (humanPeer.received.length > 0) { answeredAt = humanPeer.received[0].at; clearInterval(iv); resolve() } }, 10)
  })
  const caller = runSipp({
    scenario: 'transfer/conference-caller.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100',
    timeoutSec: 40, pauseMs: 14000, substitutions: { RTP_PORT: String(callerPeer.port) }
  })
  const pressed = (async () => {
    while (callerPeer.received.length === 0) await new Promise(resolve => setTimeout(resolve, 20))
    await new Promise(resolve => setTimeout(resolve, 1000))
    pressKey(callerPeer, 0)
  })()
  await pressed
  await human200
  const run = await caller
  t.equal(run.exitCode, 0, describeRun(run))
  const h = await human.done
  t.equal(h.code, 0, `the human got X-CALL-ID, X-CALLER-ID, X-Tenant and our BYE ${h.errors.slice(0, 800)}`)

  // First 1.5 s after the human answered: the spoken agent_message, not the caller.
  const whisper = heard(humanPeer, answeredAt + 200_000_000n, answeredAt + 1_500_000_000n)
  t.ok(rms(whisper) > 300, `the human hears the whisper (RMS ${Math.round(rms(whisper))})`)
  t.ok(toneLevel(whisper, 700, 8000) < 800, `the human does not hear the caller (5000 when bridged) during the whisper (${Math.round(toneLevel(whisper, 700, 8000))})`)
  const callerDuring = heard(callerPeer, answeredAt + 200_000_000n, answeredAt + 1_500_000_000n)
  t.ok(toneLevel(callerDuring, 1700, 8000) < 200, 'the caller does not hear the human during the whisper')
  // Bridged before the caller hangs up (the whisper is a few seconds of speech): the last 2 s of the call.
  const lastHuman = humanPeer.received.at(-1)?.at ?? 0n
  const humanEnd = heard(humanPeer, lastHuman - 2_500_000_000n, lastHuman - 500_000_000n)
  const callerEnd = heard(callerPeer, lastHuman - 2_500_000_000n, lastHuman - 500_000_000n)
  t.ok(toneLevel(humanEnd, 700, 8000) > 1500, `the human hears the caller at the end (${Math.round(toneLevel(humanEnd, 700, 8000))})`)
  t.ok(toneLevel(callerEnd, 1700, 8000) > 1500, `the caller hears the human at the end (${Math.round(toneLevel(callerEnd, 1700, 8000))})`)
  t.equal(demo.activeCalls, 0, 'the demo engine\'s stream ended')
  t.match(await ended, { outcome: 'transferred', endedBy: 'caller', transfer: { type: 'conference', target: '+15551234567', result: 'succeeded' } })
})
