// The system tools through a real call (SIPp as the trunk, a test engine sending ToolCalls): every
// tool's success and error result, touch tones on the wire, and the hang-ups each tool implies.
import t from 'tap'
import { describeRun } from '../integration/sipp-runner'
import { TestEngine, tone16k, type TestConversation } from './test-engine'
import { callUntilGatewayBye, nextRecord, startGateway } from './helpers'

function resultOf (conv: TestConversation, id: string): { ok: boolean; error: string; result: Record<string, unknown> } | undefined {
  const r = conv.toolResults.find(x => x.tool_call_id === id)
  return r ? { ok: r.ok, error: r.error, result: r.result_json ? JSON.parse(r.result_json) as Record<string, unknown> : {} } : undefined
}

t.test('keypad tones, skip_turn, transfer, bad input, end_call after queued audio', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  let endCallResultAt = 0
  let hangupEventAt = 0
  engine.behaviour.onReady = conv => {
    conv.on('message', m => {
      if (m.msg === 'tool_result' && m.tool_result.tool_call_id === 'end') endCallResultAt = performance.now()
      if (m.msg === 'call_event' && m.call_event.event === 'hangup') hangupEventAt = performance.now()
    })
    void (async () => {
      await new Promise(resolve => setTimeout(resolve, 300))   // the ACK has arrived
      conv.tool({ tool_call_id: 'skip', skip_turn: { reason: 'caller thinks' } })
      conv.tool({ tool_call_id: 'bad', play_keypad_touch_tone: { dtmf_tones: '12x' } })
      conv.tool({ tool_call_id: 'empty', play_keypad_touch_tone: { dtmf_tones: '' } })
      conv.tool({ tool_call_id: 'xfer', transfer_to_number: { transfer_number: '+15550123', client_message: 'hold on', agent_message: 'hi' } })
      conv.tool({ tool_call_id: 'tones', play_keypad_touch_tone: { reason: 'menu', dtmf_tones: '12w#' } })
      await conv.until(c => c.toolResults.some(r => r.tool_call_id === 'tones'), 10000, 'touch tone result')
      conv.tool({ tool_call_id: 'tones', skip_turn: {} })   // reused id
      // 1 s of audio queued, then end_call: the BYE must wait for it to play out.
      conv.audio(tone16k(440, 1000))
      conv.tool({ tool_call_id: 'end', end_call: { reason: 'done' } })
    })()
  }
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run, rtp } = await callUntilGatewayBye(server, { byeTimeoutMs: 15000, capture: true })
  t.equal(run.successfulCalls, 1, `the gateway sent BYE: ${describeRun(run)}`)
  const conv = await engine.conversation(0)

  t.match(resultOf(conv, 'skip'), { ok: true }, 'skip_turn: ok')
  t.match(resultOf(conv, 'bad'), { ok: false, error: /"x"/ }, 'invalid character refused before anything is sent')
  t.match(resultOf(conv, 'empty'), { ok: false, error: /empty/ })
  // Without transfer rules the agent cannot transfer (src/transfer answers for the tool once it is wired).
  t.match(resultOf(conv, 'xfer'), { ok: false, error: /not available|no transfer rules/ }, 'transfer_to_number: a clear error, the call goes on')
  t.match(resultOf(conv, 'tones'), { ok: true, result: { sent: '12w#', mode: 'rfc4733' } }, 'touch tones sent as RFC 4733 events')
  t.equal(conv.toolResults.filter(r => r.tool_call_id === 'tones').length, 2)
  t.match(conv.toolResults.filter(r => r.tool_call_id === 'tones')[1], { ok: false, error: /already used/ }, 'a reused tool_call_id is refused')
  t.match(resultOf(conv, 'end'), { ok: true })
  t.equal(rtp?.digits, '12#', 'exactly the tones 1, 2, # reached the caller as RFC 4733 events')
  t.ok(hangupEventAt - endCallResultAt >= 800, `BYE waited for the queued second of audio (${Math.round(hangupEventAt - endCallResultAt)} ms)`)
  t.match(conv.events.find(e => e.event === 'hangup'), { hangup: { side: 'HANGUP_SIDE_GATEWAY', cause: 'end_call' } })

  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'gateway', cause: 'end_call' })
  t.same(record.tools.map(x => [x.name, x.ok]), [
    ['skip_turn', true], ['play_keypad_touch_tone', false], ['play_keypad_touch_tone', false], ['transfer_to_number', false],
    ['play_keypad_touch_tone', true], ['skip_turn', false], ['end_call', true]
  ])
})

t.test('voicemail_detection with a message: the result carries it, BYE once its mark has played', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  engine.behaviour.onReady = conv => {
    setTimeout(() => conv.tool({ tool_call_id: 'vm', voicemail_detection: { reason: 'beep heard' } }), 300)
    conv.on('message', m => {
      if (m.msg !== 'tool_result' || m.tool_result.tool_call_id !== 'vm') return
      const r = JSON.parse(m.tool_result.result_json) as { voicemail_message: string }
      // The engine speaks the message (here: 600 ms of tone) and marks its end.
      if (r.voicemail_message) { conv.audio(tone16k(600, 600)); conv.mark('vm-end') }
    })
  }
  const server = await startGateway({ engineAddress: engine.address, agentYaml: '    voicemail_message: Please call us back.\n    voicemail_timeout_ms: 10000' })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const started = performance.now()
  const { run } = await callUntilGatewayBye(server, { byeTimeoutMs: 8000 })
  t.equal(run.successfulCalls, 1, describeRun(run))
  t.ok(performance.now() - started < 6000, 'hung up on the mark, not on the 10 s safety timeout')
  const conv = await engine.conversation(0)
  t.match(resultOf(conv, 'vm'), { ok: true, result: { voicemail_message: 'Please call us back.', action: 'leave_message' } })
  t.match(conv.playbackMarks, [{ name: 'vm-end', cleared: false }], 'the mark was played, then the call ended')
  const record = await ended
  t.match(record, { cause: 'voicemail', voicemail: { reason: 'beep heard' } })
})

t.test('voicemail_detection with a message the engine never marks: safety timeout hangs up', async t => {
  const engine = new TestEngine({ onReady: conv => setTimeout(() => conv.tool({ tool_call_id: 'vm', voicemail_detection: { reason: 'machine' } }), 300) })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, agentYaml: '    voicemail_message: Bye.\n    voicemail_timeout_ms: 1500' })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run } = await callUntilGatewayBye(server, { byeTimeoutMs: 8000 })
  t.equal(run.successfulCalls, 1, describeRun(run))
  const record = await ended
  t.match(record, { cause: 'voicemail', voicemail: { reason: 'machine' } })
  const elapsed = (record.endedAtMs ?? 0) - (record.answeredAtMs ?? 0)
  t.ok(elapsed >= 1400 && elapsed < 4000, `ended by the 1.5 s safety timeout (${elapsed} ms after answer)`)
})

t.test('voicemail_detection without a message hangs up at once', async t => {
  const engine = new TestEngine({ onReady: conv => setTimeout(() => conv.tool({ tool_call_id: 'vm', voicemail_detection: { reason: 'machine' } }), 300) })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run } = await callUntilGatewayBye(server, { byeTimeoutMs: 5000 })
  t.equal(run.successfulCalls, 1, describeRun(run))
  const conv = await engine.conversation(0)
  t.match(resultOf(conv, 'vm'), { ok: true, result: { action: 'hangup' } })
  const record = await ended
  t.match(record, { cause: 'voicemail', voicemail: { reason: 'machine' } })
  t.ok((record.endedAtMs ?? 0) - (record.answeredAtMs ?? 0) < 2000, 'no waiting for a message')
})
