// A trunk call through the whole gateway: SIPp over TCP plays real speech (g711a.pcap, PCMA 30 ms)
// and an RFC 4733 key press (dtmf_2833_*.pcap); the engine must hear speech energy and the exact
// digit, and the echoed audio must come back as RTP to SIPp's media port (captured with tshark).
import t from 'tap'
import { freePort, runSipp, describeRun } from '../integration/sipp-runner'
import { TestEngine } from './test-engine'
import { callerByeScenario, E2E_SIPP, nextRecord, PCAP, startGateway } from './helpers'
import { RtpCapture } from './rtp-capture'
import path from 'node:path'

t.test('SIPp PCMA call: speech and RFC 4733 digit reach the engine, echo comes back as RTP, caller BYE ends the stream', async t => {
  const engine = new TestEngine({ echo: true })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())

  const mediaPort = await freePort()
  const capture = new RtpCapture(mediaPort)
  await capture.started()
  const ended = nextRecord(server)
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-audio-dtmf.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 30,
    extraArgs: ['-mp', String(mediaPort)],
    substitutions: { ...callerByeScenario(), SPEECH_PCAP: PCAP('g711a.pcap'), DTMF_PCAP: PCAP('dtmf_2833_7.pcap'), SPEECH_MS: '7500' }
  })
  const rtp = await capture.stop()
  t.equal(run.exitCode, 0, describeRun(run))
  t.equal(run.successfulCalls, 1, describeRun(run))

  const conv = await engine.conversation(0)
  t.equal(conv.start.called_number, '+15550100')
  t.equal(conv.start.caller_id, '+15557000', 'caller id from the From user')
  t.equal(conv.start.call_id, 'e2e-call-1', 'call id from X-CALL-ID')
  t.ok(conv.start.dynamic_variables.some(v => v.name === 'system__caller_id' && v.string_value === '+15557000'), 'system variables in Start')
  t.same(conv.start.sip_headers, [{ name: 'X-Customer-Tier', value: 'gold' }], 'only the X-* headers the trunk forwards')
  // 7 s of speech = 350 frames of 20 ms; allow for the jitter buffer start and the end of the call.
  t.ok(conv.frames > 300, `engine received ${conv.frames} frames`)
  t.ok(conv.loudFrames > 50, `speech energy reached the engine (${conv.loudFrames} loud frames, max RMS ${Math.round(conv.maxRms)})`)
  t.same(conv.digits.map(d => [d.digit, d.source]), [['7', 'DTMF_SOURCE_RFC4733']], 'exactly one key press, the right digit, from RFC 4733')
  const hangup = conv.events.find(e => e.event === 'hangup')
  t.match(hangup, { hangup: { side: 'HANGUP_SIDE_CALLER', cause: 'normal_clearing' } }, 'caller BYE ends the engine stream with its cause')

  // 30 ms packets (we answer the offered ptime) for ~9 s of call.
  t.ok((rtp.byPayloadType.get(8) ?? 0) > 200, `gateway sent PCMA RTP to SIPp (${rtp.byPayloadType.get(8) ?? 0} packets)`)
  t.ok(rtp.loudPcmaPackets > 50, `echoed speech came back (${rtp.loudPcmaPackets} loud PCMA packets)`)

  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'caller', cause: 'normal_clearing', dtmfReceived: 1, callId: 'e2e-call-1' })
})
