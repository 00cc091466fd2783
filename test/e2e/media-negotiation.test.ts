// Media negotiation at call level (SIPp as the trunk): the trunk's media-encryption policy decides
// the INVITE (488 with a Warning the trunk can act on), and re-INVITEs hold and resume the call,
// which the engine hears as CallEvent hold/unhold.
import path from 'node:path'
import t from 'tap'
import { describeRun, freePort, runSipp } from '../integration/sipp-runner'
import { RtpCapture } from './rtp-capture'
import { TestEngine } from './test-engine'
import { callUntilGatewayBye, E2E_SIPP, nextRecord, refusedScenario, startGateway } from './helpers'

const KEY = 'inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'

t.test('media encryption required, plain RTP offer: 488 with Warning, the engine is never asked', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, trunkYaml: '    media_encryption: required\n    allow_sdes_over_tcp: true' })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-refused.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 15,
    substitutions: refusedScenario(488, { header: 'Warning:', headerRe: '3[0-9][0-9] [^ ]+ "[^"]*SRTP' })
  })
  t.equal(run.successfulCalls, 1, `488 with a 3xx Warning: ${describeRun(run)}`)
  t.equal(engine.conversations.length, 0)
  t.match(await ended, { outcome: 'rejected', sipStatus: 488 })
})

t.test('SDES over plain TCP without allow_sdes_over_tcp: 488 with Warning (keys would travel in clear)', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, trunkYaml: '    media_encryption: required' })
  t.teardown(() => server.close())
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-refused.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 15,
    substitutions: refusedScenario(488, { header: 'Warning:', headerRe: '3[0-9][0-9] [^ ]+ "[^"]*TLS', proto: 'RTP/SAVP', crypto: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${KEY}` })
  })
  t.equal(run.successfulCalls, 1, describeRun(run))
  t.equal(engine.conversations.length, 0)
})

t.test('re-INVITE a=sendonly is answered recvonly and reported as hold; sendrecv resumes; an unusable re-offer gets 488 and the call goes on; a codec change follows; UPDATE holds too', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const mediaPort = await freePort()
  const capture = new RtpCapture(mediaPort)
  await capture.started()
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-hold.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 20,
    extraArgs: ['-mp', String(mediaPort)]
  })
  const rtp = await capture.stop()
  t.equal(run.successfulCalls, 1, `both re-INVITEs answered with the mirrored direction: ${describeRun(run)}`)
  t.ok((rtp.byPayloadType.get(8) ?? 0) > 10 && (rtp.byPayloadType.get(0) ?? 0) > 10,
    `PCMA before the codec change, PCMU after it (${rtp.byPayloadType.get(8) ?? 0} / ${rtp.byPayloadType.get(0) ?? 0} packets)`)
  await ended
  const conv = await engine.conversation(0)
  t.same(conv.events.map(e => e.event), ['hold', 'unhold', 'hold', 'hangup'], 'the 488 changed nothing; the UPDATE held the call again')
})

t.test('late offer: INVITE without SDP, our offer in the 200, the ACK answers PCMA and the media follows it', async t => {
  const engine = new TestEngine({ echo: true, onReady: conv => setTimeout(() => conv.hangup('done'), 3000) })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run, rtp } = await callUntilGatewayBye(server, { byeTimeoutMs: 8000, capture: true, scenario: 'uac-late-offer.xml' })
  t.equal(run.successfulCalls, 1, describeRun(run))
  t.ok((rtp?.byPayloadType.get(8) ?? 0) > 50, `the gateway sends PCMA, the codec the ACK chose (${rtp?.byPayloadType.get(8) ?? 0} packets)`)
  t.equal(rtp?.byPayloadType.get(9) ?? 0, 0, 'no G.722 although we offered it first')
  t.ok((rtp?.loudPcmaPackets ?? 0) > 20, 'echoed speech: the caller\'s audio was decoded with the answered codec')
  t.match(await ended, { endedBy: 'engine', cause: 'engine_hangup' })
})
