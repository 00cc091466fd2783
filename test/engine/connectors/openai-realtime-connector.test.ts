// OpenAI Realtime connector against a local fake: every client event trunkgate sends is checked with ajv
// against the GA event schemas (test/vectors/engines/openai-realtime-events.schema.json); the scripted model
// greets on answer, echoes, is barged in on (truncate at what the caller heard, from playout marks), calls
// each system tool as a function, sends a server error and closes abruptly.
import t from 'tap'
import pino from 'pino'
import { agentEngineSchema, type OpenAiRealtimeEngineConfig } from '../../../src/config/engine-schema'
import { OpenAiRealtimeConnector, MARK_INTERVAL_MS } from '../../../src/engine/openai-realtime/openai-realtime-connector'
import { MULAW8K, PCM16K, type EngineError } from '../../../src/engine/engine-session'
import { openAiClientCheck, openAiServerCheck } from './contracts'
import { CallSide, FakeVendor, sessionStart, toneFrame16k, type Msg, type Peer } from './fake-vendor'

const clientCheck = openAiClientCheck()
const serverCheck = openAiServerCheck()
const silent = pino({ level: 'silent' })
const KEY = 'sk-test-openai'

function config (url: string, over: Record<string, unknown> = {}): OpenAiRealtimeEngineConfig {
  return agentEngineSchema.check({
    type: 'openai_realtime',
    url,
    api_key_env: 'OAI_KEY',
    instructions: 'You help {{customer_name}} (tier {{tier}}). Token: {{secret__token}}. Caller {{system__caller_id}}.',
    first_message: 'Hello {{customer_name}}, how can I help?',
    voice: 'cedar',
    turn_detection: { type: 'server_vad', threshold_percent: 60, silence_duration_ms: 400 },
    connect_timeout_ms: 2000,
    ready_timeout_ms: 2000,
    ...over
  }, 'engine') as OpenAiRealtimeEngineConfig
}

let eventSeq = 0
const ev = (m: Msg): Msg => ({ event_id: `evt_${++eventSeq}`, ...m })
const isType = (type: string) => (m: Msg): boolean => m.type === type

async function accept (peer: Peer): Promise<Msg> {
  peer.send(ev({ type: 'session.created', session: { type: 'realtime', id: 'sess_1', object: 'realtime.session' } }))
  const update = await peer.next(isType('session.update'))
  peer.send(ev({ type: 'session.updated', session: { type: 'realtime', id: 'sess_1', object: 'realtime.session' } }))
  return update
}

function delta (item: string, bytes: Buffer): Msg {
  return ev({ type: 'response.output_audio.delta', response_id: 'resp_1', item_id: item, output_index: 0, content_index: 0, delta: bytes.toString('base64') })
}

function functionCall (callId: string, name: string, args: string): Msg {
  return ev({ type: 'response.function_call_arguments.done', response_id: 'resp_2', item_id: `item_${callId}`, output_index: 0, call_id: callId, name, arguments: args })
}

t.test('session.update, first message on answer, 24 kHz conversion, echo, barge-in truncate from marks, tools, DTMF', async t => {
  const vendor = await FakeVendor.start({ clientCheck, serverCheck, refuseUpgrade: req => req.headers.authorization === `Bearer ${KEY}` ? null : 401 })
  t.teardown(() => vendor.close())
  const connector = new OpenAiRealtimeConnector({ config: config(`${vendor.wsBase}/v1/realtime`), env: { OAI_KEY: KEY }, log: silent })
  const opening = connector.open(sessionStart())
  const peer = await vendor.peer()
  t.match(peer.url, /^\/v1\/realtime\?model=gpt-realtime$/)
  const update = await accept(peer)
  const s = update.session
  t.equal(s.instructions, 'You help Ada (tier 3). Token: . Caller +15550111.', 'variables rendered; the secret one never')
  t.same(s.audio.input.format, { type: 'audio/pcm', rate: 24000 }, 'PCM 24 kHz on the wire')
  t.same(s.audio.output, { format: { type: 'audio/pcm', rate: 24000 }, voice: 'cedar' })
  t.same(s.audio.input.turn_detection, { type: 'server_vad', threshold: 0.6, silence_duration_ms: 400 })
  t.same(s.tools.map((x: Msg) => x.name), ['transfer_to_number', 'play_keypad_touch_tone', 'skip_turn', 'voicemail_detection', 'end_call'])
  t.same(s.tools[0].parameters.properties.transfer_number.enum, ['+15551234567'], 'transfer destinations from the agent\'s rules')
  t.match(s.tools[0].description, /\+15551234567: The caller asks for billing\./)
  const session = await opening
  t.same([session.inputFormat, session.outputFormat], [PCM16K, PCM16K], 'the core offers no 24 kHz: converted here')
  const call = new CallSide(session)

  // The first message is spoken when the call is answered, not before.
  t.same(peer.take(isType('response.create')), [], 'nothing spoken while ringing')
  session.answered()
  const greet = await peer.next(isType('response.create'))
  t.match(greet.response.instructions, /Hello Ada, how can I help\?/)

  // Greeting audio: 250 ms at 24 kHz → 16 kHz pieces of ≤100 ms, each followed by a mark.
  peer.send(ev({ type: 'response.created', response: { id: 'resp_1', object: 'realtime.response', status: 'in_progress' } }))
  peer.send(delta('item_1', Buffer.alloc(24 * 2 * 250)))
  await call.until('mark', 3)
  t.same(call.events.slice(0, 6).map(e => e.type), ['audio', 'mark', 'audio', 'mark', 'audio', 'mark'])
  t.equal(call.audioBytes().length, 16 * 2 * 250, '250 ms at 16 kHz')

  // Echo: 16 kHz frames go out as 24 kHz audio, two 20 ms frames per append.
  session.sendAudioFrames(toneFrame16k(), 1)
  session.sendAudioFrames(toneFrame16k(320), 1)
  const append = await peer.next(isType('input_audio_buffer.append'))
  t.equal(Buffer.from(append.audio, 'base64').length, 1920, '2 × 480 samples at 24 kHz')

  // The caller heard the first 100 ms (its mark came back played), then barged in.
  const marks = call.events.filter(e => e.type === 'mark').map(e => e.value as string)
  session.sendPlaybackMark(marks[0], false)
  peer.send(ev({ type: 'input_audio_buffer.speech_started', audio_start_ms: 900, item_id: 'item_u1' }))
  const trunc = await peer.next(isType('conversation.item.truncate'))
  t.same([trunc.item_id, trunc.content_index, trunc.audio_end_ms], ['item_1', 0, MARK_INTERVAL_MS], 'truncated at what was heard, not at what was received (250 ms)')
  await call.until('clear')
  // The cleared marks come back; late audio of the truncated item is dropped.
  session.sendPlaybackMark(marks[1], true)
  session.sendPlaybackMark(marks[2], true)
  const before = call.count('audio')
  peer.send(delta('item_1', Buffer.alloc(4800)))
  peer.send(delta('item_2', Buffer.alloc(480)))
  await call.until('audio', before + 1)
  t.equal(call.count('audio'), before + 1, 'only the new item plays')
  t.equal(connector.counters.lateAudioDropped, 1)
  // A second speech start with everything played: nothing to truncate.
  session.sendPlaybackMark(call.events.filter(e => e.type === 'mark').pop()!.value as string, false)
  peer.send(ev({ type: 'input_audio_buffer.speech_started', audio_start_ms: 2000, item_id: 'item_u2' }))
  peer.send(ev({ type: 'response.done', response: { id: 'resp_1', object: 'realtime.response', status: 'completed' } }))

  // Function calls: each system tool; the call runs them, the result goes back with response.create
  // (not after skip_turn or end_call: the agent must stay silent / the call is ending).
  peer.send(functionCall('c1', 'transfer_to_number', JSON.stringify({ transfer_number: '+15551234567', client_message: 'Connecting you.', agent_message: 'Billing.' })))
  peer.send(functionCall('c2', 'play_keypad_touch_tone', '{"dtmf_tones":"1#"}'))
  peer.send(functionCall('c3', 'skip_turn', '{}'))
  peer.send(functionCall('c4', 'voicemail_detection', '{"reason":"beep"}'))
  peer.send(functionCall('c5', 'end_call', '{"reason":"bye"}'))
  await call.until('toolCall', 5)
  t.same(call.tools.map(c => [c.id, c.name]), [['c1', 'transfer_to_number'], ['c2', 'play_keypad_touch_tone'], ['c3', 'skip_turn'], ['c4', 'voicemail_detection'], ['c5', 'end_call']])
  t.same(call.tools[0].args, { reason: undefined, transferNumber: '+15551234567', clientMessage: 'Connecting you.', agentMessage: 'Billing.' })
  t.same(peer.take(isType('response.create')), [], 'no response before any result')

  session.sendToolResult('c1', { ok: false, error: 'transfer failed: 486 Busy Here' })
  const out1 = await peer.next(m => m.type === 'conversation.item.create' && m.item.call_id === 'c1')
  t.same(out1.item, { type: 'function_call_output', call_id: 'c1', output: 'transfer failed: 486 Busy Here' })
  await peer.next(isType('response.create'))
  session.sendToolResult('c3', { ok: true })
  session.sendToolResult('c5', { ok: true })
  await peer.next(m => m.type === 'conversation.item.create' && m.item.call_id === 'c5')
  // Voicemail with a message: spoken, and ONE mark after the whole response (the call hangs up on it).
  session.sendToolResult('c4', { ok: true, result: { action: 'leave_message', voicemail_message: 'Please call back.', hangup_after_mark: true, timeout_ms: 30000 } })
  const vm = await peer.next(isType('response.create'))
  t.match(vm.response.instructions, /Please call back\./)
  t.same(peer.take(isType('response.create')), [], 'skip_turn and end_call got no response.create')
  const marksBefore = call.count('mark')
  peer.send(ev({ type: 'response.created', response: { id: 'resp_vm', object: 'realtime.response', status: 'in_progress' } }))
  peer.send(delta('item_vm', Buffer.alloc(24 * 2 * 300)))
  peer.send(ev({ type: 'response.done', response: { id: 'resp_vm', object: 'realtime.response', status: 'completed' } }))
  await call.until('mark', marksBefore + 1)
  t.equal(call.count('mark'), marksBefore + 1, 'one mark after 300 ms of voicemail message')

  // Arguments that are not JSON, an unknown function: answered at once, the call never sees them.
  peer.send(functionCall('c6', 'play_keypad_touch_tone', '{"dtmf_tones":'))
  peer.send(functionCall('c7', 'order_pizza', '{}'))
  const bad = await peer.next(m => m.type === 'conversation.item.create' && m.item.call_id === 'c6')
  t.match(bad.item.output, /not a JSON object/)
  t.match((await peer.next(m => m.type === 'conversation.item.create' && m.item.call_id === 'c7')).item.output, /unknown function "order_pizza"/)
  t.equal(call.tools.length, 5)

  // DTMF reaches the model as a user item (and a response when none is running).
  session.sendDtmf('7', 120, 'rfc4733')
  const item = await peer.next(m => m.type === 'conversation.item.create' && m.item.role === 'user')
  t.match(item.item.content[0].text, /pressed the key 7/)
  await peer.next(isType('response.create'))
  // Transfer outcomes: the end state as a system item, progress not.
  session.sendCallEvent({ type: 'transfer', toolCallId: 'c1', state: 'ringing', sipStatus: 180, detail: '' })
  session.sendCallEvent({ type: 'transfer', toolCallId: 'c1', state: 'answered', sipStatus: 200, detail: 'human answered' })
  const sys = await peer.next(m => m.type === 'conversation.item.create' && m.item.role === 'system')
  t.match(sys.item.content[0].text, /answered/)

  session.hangup('caller', 'normal', 200)
  t.equal(await peer.closed(), 1000)
  vendor.assertClean(t)
})

t.test('PCMU trunk: audio/pcmu end to end without transcoding', async t => {
  const vendor = await FakeVendor.start({ clientCheck, serverCheck })
  t.teardown(() => vendor.close())
  const connector = new OpenAiRealtimeConnector({ config: config(vendor.wsBase, { first_message: undefined, turn_detection: { type: 'semantic_vad', eagerness: 'low' } }), env: { OAI_KEY: KEY }, log: silent })
  const opening = connector.open(sessionStart({ offeredFormats: [MULAW8K, PCM16K] }))
  const peer = await vendor.peer()
  const update = await accept(peer)
  t.same(update.session.audio.input.format, { type: 'audio/pcmu' })
  t.same(update.session.audio.input.turn_detection, { type: 'semantic_vad', eagerness: 'low' })
  const session = await opening
  t.same([session.inputFormat, session.outputFormat], [MULAW8K, MULAW8K])
  const call = new CallSide(session)
  session.answered()
  const ulaw = Buffer.alloc(160, 0x2a)
  session.sendAudioFrames(ulaw, 1)
  t.same(peer.take(isType('input_audio_buffer.append')), [], 'one frame is held for the next')
  session.sendAudioFrames(Buffer.alloc(160, 0x2b), 1)
  t.ok(Buffer.from((await peer.next(isType('input_audio_buffer.append'))).audio, 'base64').equals(Buffer.concat([ulaw, Buffer.alloc(160, 0x2b)])))
  t.same(peer.take(isType('response.create')), [], 'no first_message: the model waits for the caller')
  peer.send(delta('item_1', Buffer.alloc(1200, 0x11)))
  await call.until('mark', 2)
  t.same(call.audio.map(b => b.length), [800, 400], 'μ-law passes through in 100 ms pieces')
  vendor.assertClean(t)
})

t.test('failures: missing key, refused upgrade, server error then close, abrupt close, no session.updated', async t => {
  const vendor = await FakeVendor.start({ clientCheck, serverCheck, refuseUpgrade: req => req.headers.authorization === `Bearer ${KEY}` ? null : 401 })
  t.teardown(() => vendor.close())
  const url = vendor.wsBase
  const noKey = await new OpenAiRealtimeConnector({ config: config(url), env: {}, log: silent }).open(sessionStart()).then(() => null, (e: EngineError) => e)
  t.match(noKey, { code: 'ENGINE_ERR_REFUSED', message: /OAI_KEY.*not set/ })
  const badKey = await new OpenAiRealtimeConnector({ config: config(url), env: { OAI_KEY: 'sk-wrong' }, log: silent }).open(sessionStart()).then(() => null, (e: EngineError) => e)
  t.match(badKey, { code: 'ENGINE_ERR_REFUSED', protocolCode: 401 })

  const connector = new OpenAiRealtimeConnector({ config: config(url, { ready_timeout_ms: 300 }), env: { OAI_KEY: KEY }, log: silent })
  let opening = connector.open(sessionStart())
  let peer = await vendor.peer(0)
  await accept(peer)
  let call = new CallSide(await opening)
  // A non-fatal error (e.g. a truncate past the end) is logged; the session goes on.
  peer.send(ev({ type: 'error', error: { type: 'invalid_request_error', code: 'rate_limit_exceeded', message: 'slow down' } }))
  peer.sendRaw('not json at all')
  peer.send(delta('item_1', Buffer.alloc(480)))
  await call.until('audio')
  t.equal(connector.counters.malformedDropped, 1)
  peer.ws.close(1011, 'internal')
  const [err] = (await call.until('error')).map(e => e.value as EngineError)
  t.match(err, { code: 'ENGINE_ERR_STREAM', protocolCode: 1011, message: /rate_limit_exceeded: slow down/ })

  opening = connector.open(sessionStart())
  peer = await vendor.peer(1)
  await accept(peer)
  call = new CallSide(await opening)
  peer.ws.terminate()
  t.match((await call.until('error'))[0].value, { code: 'ENGINE_ERR_STREAM', protocolCode: 1006 })

  // Connected, session.update sent, never updated.
  opening = connector.open(sessionStart())
  await (await vendor.peer(2)).next(isType('session.update'))
  t.match(await opening.then(() => null, (e: EngineError) => e), { code: 'ENGINE_ERR_READY_TIMEOUT' })
  vendor.assertClean(t)
})
