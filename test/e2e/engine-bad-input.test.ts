// An engine's mistakes never cost the caller the call: odd-sized audio, a ToolCall without a tool,
// marks and clears at odd times are refused or absorbed, and the call lives until the caller's BYE.
import path from 'node:path'
import t from 'tap'
import { describeRun, runSipp } from '../integration/sipp-runner'
import { TestEngine, tone16k } from './test-engine'
import { callerByeScenario, E2E_SIPP, nextRecord, PCAP, startGateway } from './helpers'
import type { ToolCallMsg } from '../../src/engine/engine-messages'

t.test('bad engine input mid-call: refused or dropped, the call goes on until the caller hangs up', async t => {
  const engine = new TestEngine({
    onReady: conv => {
      setTimeout(() => {
        conv.audio(Buffer.alloc(641))                                       // not whole samples
        conv.tool({ tool_call_id: 'nothing' } as unknown as ToolCallMsg)     // no tool in the oneof
        conv.send({ clear: {} })                                             // nothing queued
        conv.audio(tone16k(400, 1000))
        conv.mark('early')
        conv.send({ clear: {} })                                             // barge-in: drops the tone and its mark
        conv.audio(tone16k(500, 200))
        conv.mark('after-tone')
        conv.tool({ tool_call_id: 'tones', play_keypad_touch_tone: { dtmf_tones: 'W'.repeat(200) } })   // too long
      }, 300)
    }
  })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-audio-dtmf.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 20,
    substitutions: { ...callerByeScenario(), SPEECH_PCAP: PCAP('g711a.pcap'), DTMF_PCAP: PCAP('dtmf_2833_3.pcap'), SPEECH_MS: '2000' }
  })
  t.equal(run.successfulCalls, 1, `the call survived until the caller's BYE: ${describeRun(run)}`)
  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'caller', cause: 'normal_clearing' })
  const conv = await engine.conversation(0)
  t.match(conv.toolResults.find(r => r.tool_call_id === 'nothing'), { ok: false, error: /unknown tool/ })
  t.match(conv.toolResults.find(r => r.tool_call_id === 'tones'), { ok: false, error: /at most 128/ })
  t.same(conv.playbackMarks.map(m => [m.name, m.cleared]), [['early', true], ['after-tone', false]], 'marks come back in order, the cleared one flagged')
  t.match(conv.digits, [{ digit: '3' }], 'the conversation carried on: the caller\'s key still arrived')
})
