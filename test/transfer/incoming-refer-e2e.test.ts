// A trunk/PBX REFERs a live AI call through the whole gateway. accept: 202, NOTIFY 100/200, the
// Refer-To target (SIPp UAS, media on a Node RTP peer) takes the caller's place: its audio reaches the
// engine and the engine's audio reaches it. reject_403 / reject_405: the call goes on with the caller.
import t, { type Test } from 'tap'
import { ulawToPCM } from 'g711'
import { startServer, type RunningServer } from '../../src/server'
import { runSipp, describeRun } from '../integration/sipp-runner'
import { TestEngine, tone16k } from '../e2e/test-engine'
import { gatewayConfig, nextRecord } from '../e2e/helpers'
import { RtpPeer } from '../media/rtp-peer'
import { tone, toneLevel } from '../media/audio-tools'
import { startHumanSipp } from './human-sipp'

async function gateway (t: Test, policy: string): Promise<{ engine: TestEngine, server: RunningServer }> {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startServer(gatewayConfig({ engineAddress: engine.address, trunkYaml: `    incoming_refer: ${policy}` }), { aiCalls: true })
  t.teardown(() => server.close())
  return { engine, server }
}

t.test('incoming_refer accept: the Refer-To target replaces the caller in the conversation', async t => {
  const peer = await RtpPeer.create()
  t.teardown(() => peer.close())
  let streaming = false
  peer.socket.on('message', (_m, from) => {
    if (streaming) return
    streaming = true
    peer.sendTo(from.address, from.port)
    peer.stream(i => tone(1700, 20, 8000, 5000, 2 * Math.PI * 1700 * i * 160 / 8000))
  })
  const target = await startHumanSipp('referred-answer-rtp.xml', { RTP_PORT: String(peer.port) })
  const { engine, server } = await gateway(t, 'accept')
  const ended = nextRecord(server, 30000)
  const convP = engine.conversation(0, 15000).then(async conv => {
    // The PBX sends no RTP: no loud frames until the referred party talks.
    await conv.until(c => c.loudFrames > 25, 15000, 'the referred party\'s audio at the engine')
    conv.audio(tone16k(1100, 1000, 6000))
    await new Promise(resolve => setTimeout(resolve, 1300))
    conv.hangup('done')
    return conv
  })
  const run = await runSipp({
    scenario: 'transfer/incoming-refer-accepted.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100',
    timeoutSec: 20, substitutions: { REFER_TO: `sip:human@127.0.0.1:${target.port};transport=tcp` }
  })
  t.equal(run.exitCode, 0, describeRun(run))
  const conv = await convP
  t.ok(conv.loudFrames > 25, `the engine hears the referred party (${conv.loudFrames} loud frames)`)
  const h = await target.done
  t.equal(h.code, 0, `the target got Referred-By, answered, and our BYE when the engine hung up ${h.errors.slice(0, 600)}`)
  const heard = Int16Array.from(peer.received.filter(r => r.payloadType === 0).flatMap(r => Array.from(ulawToPCM(new Uint8Array(r.payload), 16))))
  t.ok(toneLevel(heard, 1100, 8000) > 300, `the referred party hears the engine (${Math.round(toneLevel(heard, 1100, 8000))})`)
  const record = await ended
  t.match(record, { endedBy: 'engine', transfer: { type: 'sip-refer', result: 'succeeded', sipStatus: 200 } })
})

for (const [policy, status] of [['reject_403', '403'], ['reject_405', '405']]) {
  t.test(`incoming_refer ${policy}: ${status}, the call goes on with the engine`, async t => {
    const { engine, server } = await gateway(t, policy)
    const ended = nextRecord(server, 30000)
    const run = await runSipp({
      scenario: 'transfer/incoming-refer-declined.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100',
      timeoutSec: 20, substitutions: { REFER_TO: 'sip:human@127.0.0.1', EXPECT: status }
    })
    t.equal(run.exitCode, 0, describeRun(run))
    const conv = await engine.conversation(0)
    t.match(conv.events.find(e => e.event === 'hangup'), { hangup: { side: 'HANGUP_SIDE_CALLER', cause: 'normal_clearing' } }, 'the trunk\'s own BYE ended it')
    t.match(await ended, { outcome: 'completed', endedBy: 'caller', transfer: null })
  })
}
