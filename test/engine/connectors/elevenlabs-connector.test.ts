// ElevenLabs Agents connector against a local fake of the conversation WebSocket: every message trunkgate
// sends is checked against the AsyncAPI contract (test/vectors/engines/elevenlabs-agent.asyncapi.yaml), and
// a scripted agent plays greeting audio, echo, barge-in, each system tool as a client tool, a ping, a server
// error and an abrupt close. Driven at the session level (open → frames → events).
import t from 'tap'
import { Writable } from 'node:stream'
import pino from 'pino'
import { agentEngineSchema, type ElevenLabsEngineConfig } from '../../../src/config/engine-schema'
import { ElevenLabsConnector, parseElevenLabsFormat } from '../../../src/engine/elevenlabs/elevenlabs-connector'
import { MULAW8K, PCM16K, type EngineError } from '../../../src/engine/engine-session'
import { elevenLabsClientCheck, elevenLabsServerCheck } from './contracts'
import { CallSide, FakeVendor, sessionStart, toneFrame16k, type Msg, type Peer } from './fake-vendor'

const clientCheck = elevenLabsClientCheck()
const serverCheck = elevenLabsServerCheck()
const silent = pino({ level: 'silent' })

function config (base: string, over: Record<string, unknown> = {}): ElevenLabsEngineConfig {
  return agentEngineSchema.check({ type: 'elevenlabs', agent_id: 'agent_test1', base_url: base, connect_timeout_ms: 2000, ready_timeout_ms: 2000, ...over }, 'engine') as ElevenLabsEngineConfig
}

function metadata (peer: Peer, input = 'pcm_16000', output = 'pcm_16000'): void {
  peer.send({ type: 'conversation_initiation_metadata', conversation_initiation_metadata_event: { conversation_id: 'conv_el_1', agent_output_audio_format: output, user_input_audio_format: input } })
}

const isType = (type: string) => (m: Msg): boolean => m.type === type

t.test('a public agent: initiation data, greeting, echo, barge-in, ping, tools, end_call, DTMF and transfer context', async t => {
  const vendor = await FakeVendor.start({ clientCheck, serverCheck })
  t.teardown(() => vendor.close())
  const connector = new ElevenLabsConnector({ config: config(vendor.wsBase), env: {}, log: silent })
  const start = sessionStart({
    overrides: { prompt: 'You sell boats.', firstMessage: 'Ahoy!', language: 'en', voiceId: 'voice-9' },
    customLlmExtraBody: { temperature: 0.2 },
    userId: 'user-42'
  })
  const opening = connector.open(start)
  const peer = await vendor.peer()
  t.match(peer.url, /^\/v1\/convai\/conversation\?agent_id=agent_test1$/, 'public agent: the conversation URL with the agent id')
  const init = await peer.next(isType('conversation_initiation_client_data'))
  t.same(init.dynamic_variables, {
    customer_name: 'Ada', tier: 3, secret__token: 'tok-123', caller_id: '+15550111', called_number: '+15550100', call_sid: 'CA0123456789abcdef0123456789abcdef'
  }, 'custom and secret__ variables plus the call facts under their configured names; no system__ variable')
  t.same(init.conversation_config_override, { agent: { prompt: { prompt: 'You sell boats.' }, first_message: 'Ahoy!', language: 'en' }, tts: { voice_id: 'voice-9' } })
  t.same(init.custom_llm_extra_body, { temperature: 0.2 })
  t.equal(init.user_id, 'user-42')

  // Greeting audio right behind the metadata: held until the call attaches its listeners.
  metadata(peer)
  const greeting = Buffer.from(toneFrame16k().buffer)
  peer.send({ type: 'audio', audio_event: { audio_base_64: greeting.toString('base64'), event_id: 1 } })
  const session = await opening
  t.same(session.inputFormat, PCM16K)
  t.same(session.outputFormat, PCM16K)
  const call = new CallSide(session)
  await call.until('audio')
  t.ok(call.audio[0].equals(greeting), 'greeting audio reaches the call unchanged (pcm_16000)')

  // Echo: caller audio goes out as user_audio_chunk, the agent speaks it back.
  const frame = toneFrame16k(17)
  session.sendAudioFrames(frame, 1)
  session.sendAudioFrames(toneFrame16k(337), 1)
  const chunk = await peer.next(m => 'user_audio_chunk' in m)
  const heard = Buffer.from(chunk.user_audio_chunk, 'base64')
  t.ok(heard.equals(Buffer.concat([Buffer.from(frame.buffer), Buffer.from(toneFrame16k(337).buffer)])), 'two caller frames per message, byte for byte')
  peer.send({ type: 'audio', audio_event: { audio_base_64: chunk.user_audio_chunk, event_id: 2 } })
  await call.until('audio', 2)
  t.ok(call.audio[1].equals(heard), 'echoed audio played out')

  // Ping → pong with the same event id.
  peer.send({ type: 'ping', ping_event: { event_id: 3, ping_ms: null } })
  t.equal((await peer.next(isType('pong'))).event_id, 3)

  // Barge-in: interruption 5 clears playout; a late chunk of the interrupted response (id 5) is dropped,
  // the next response (id 6) plays.
  peer.send({ type: 'interruption', interruption_event: { event_id: 5 } })
  peer.send({ type: 'audio', audio_event: { audio_base_64: greeting.toString('base64'), event_id: 5 } })
  peer.send({ type: 'audio', audio_event: { audio_base_64: Buffer.alloc(640, 1).toString('base64'), event_id: 6 } })
  await call.until('audio', 3)
  t.equal(call.count('clear'), 1, 'interruption → clear')
  t.ok(call.audio[2].equals(Buffer.alloc(640, 1)), 'the interrupted response\'s late chunk was dropped, the new one played')
  t.equal(connector.counters.lateAudioDropped, 1)
  const clearAt = call.events.findIndex(e => e.type === 'clear')
  t.ok(clearAt > 1 && clearAt < call.events.length - 1, 'clear comes between the old and the new audio')

  // Each system tool as a client tool: mapped to a ToolCall, the result goes back as client_tool_result.
  const tools: Array<[string, Record<string, unknown>]> = [
    ['transfer_to_number', { transfer_number: '+15551234567', client_message: 'One moment.', agent_message: 'Billing question.', reason: 'billing' }],
    ['play_keypad_touch_tone', { dtmf_tones: '12#' }],
    ['skip_turn', {}],
    ['voicemail_detection', { reason: 'beep heard' }],
    ['end_call', { reason: 'done' }]
  ]
  for (const [i, [name, parameters]] of tools.entries()) {
    peer.send({ type: 'client_tool_call', client_tool_call: { tool_name: name, tool_call_id: `tc-${i}`, parameters, event_id: 10 + i } })
  }
  await call.until('toolCall', tools.length)
  t.same(call.tools.map(c => c.name), tools.map(x => x[0]))
  t.same(call.tools[0], { id: 'tc-0', name: 'transfer_to_number', args: { reason: 'billing', transferNumber: '+15551234567', clientMessage: 'One moment.', agentMessage: 'Billing question.' } })
  t.same(call.tools[1].args, { reason: undefined, dtmfTones: '12#' })
  session.sendToolResult('tc-0', { ok: false, error: 'transfer_number "+1555" is not one of the configured destinations' })
  session.sendToolResult('tc-1', { ok: true, result: { sent: '12#', mode: 'rfc4733' } })
  const r0 = await peer.next(m => m.type === 'client_tool_result' && m.tool_call_id === 'tc-0')
  t.same([r0.is_error, r0.result], [true, 'transfer_number "+1555" is not one of the configured destinations'], 'a tool error goes back as is_error with the call\'s reason')
  const r1 = await peer.next(m => m.type === 'client_tool_result' && m.tool_call_id === 'tc-1')
  t.same([r1.is_error, JSON.parse(r1.result)], [false, { sent: '12#', mode: 'rfc4733' }])
  session.sendToolResult('tc-1', { ok: true })
  session.sendToolResult('nope', { ok: true })

  // A client tool trunkgate does not know: answered at once as an error, the call never sees it.
  peer.send({ type: 'client_tool_call', client_tool_call: { tool_name: 'book_flight', tool_call_id: 'tc-x', parameters: {}, event_id: 20 } })
  const rx = await peer.next(m => m.type === 'client_tool_result' && m.tool_call_id === 'tc-x')
  t.equal(rx.is_error, true)
  t.match(rx.result, /unknown client tool "book_flight"/)
  t.equal(call.tools.length, tools.length)

  // DTMF and transfer outcomes as contextual updates.
  session.sendDtmf('5', 100, 'rfc4733')
  t.match((await peer.next(isType('contextual_update'))).text, /pressed the key 5/)
  session.sendCallEvent({ type: 'transfer', toolCallId: 'tc-0', state: 'failed', sipStatus: 486, detail: 'Busy Here' })
  const ctx = await peer.next(isType('contextual_update'))
  t.match(ctx.text, /failed.*486.*Busy Here/)
  t.equal(ctx.context_id, 'transfer_tc-0')

  // The platform's own end_call, reported as a system tool response: the call hangs up after playout.
  peer.send({ type: 'agent_tool_response', agent_tool_response: { tool_name: 'end_call', tool_call_id: 'sys-1', tool_type: 'system', is_error: false, is_called: true, event_id: 30 } })
  t.same((await call.until('hangup'))[0].value, 'end_call')
  peer.ws.close(1000)
  await call.until('end')
  t.equal(call.errors.length, 0, 'a normal close after end_call is no error')
  t.equal(init.type, 'conversation_initiation_client_data')
  vendor.assertClean(t)
})

t.test('μ-law agents: passed through from a PCMU leg, converted for a 16 kHz leg', async t => {
  const vendor = await FakeVendor.start({ clientCheck, serverCheck })
  t.teardown(() => vendor.close())
  const connector = new ElevenLabsConnector({ config: config(vendor.wsBase), env: {}, log: silent })

  const opening = connector.open(sessionStart({ offeredFormats: [MULAW8K, PCM16K] }))
  const peer = await vendor.peer(0)
  metadata(peer, 'ulaw_8000', 'ulaw_8000')
  const session = await opening
  t.same([session.inputFormat, session.outputFormat], [MULAW8K, MULAW8K], 'μ-law end to end, no transcoding')
  const ulaw = Buffer.alloc(320, 0x55)
  session.sendAudioFrames(ulaw, 2)
  t.ok(Buffer.from((await peer.next(m => 'user_audio_chunk' in m)).user_audio_chunk, 'base64').equals(ulaw))
  session.cancel()

  const opening2 = connector.open(sessionStart({ offeredFormats: [PCM16K] }))
  const peer2 = await vendor.peer(1)
  metadata(peer2, 'ulaw_8000', 'ulaw_8000')
  const s2 = await opening2
  t.same([s2.inputFormat, s2.outputFormat], [PCM16K, PCM16K], 'a G.722/PCMA leg gets PCM 16 kHz, converted here')
  s2.sendAudioFrames(toneFrame16k(), 1)
  s2.sendAudioFrames(toneFrame16k(320), 1)
  t.equal(Buffer.from((await peer2.next(m => 'user_audio_chunk' in m)).user_audio_chunk, 'base64').length, 320, '2 × 20 ms as 320 μ-law bytes')
  const call = new CallSide(s2)
  peer2.send({ type: 'audio', audio_event: { audio_base_64: Buffer.alloc(160, 0xff).toString('base64'), event_id: 1 } })
  await call.until('audio')
  t.equal(call.audio[0].length, 640, '160 μ-law samples → 320 PCM samples at 16 kHz')
  s2.cancel()

  const opening3 = connector.open(sessionStart())
  const peer3 = await vendor.peer(2)
  metadata(peer3, 'pcm_44100', 'pcm_16000')
  const e = await opening3.then(() => null, (err: EngineError) => err)
  t.equal(e?.code, 'ENGINE_ERR_PROTOCOL', 'an input format trunkgate cannot carry fails before answer')
  t.match(e?.message, /pcm_44100/)
  vendor.assertClean(t)
  t.same(parseElevenLabsFormat('ulaw_8000'), { encoding: 'mulaw', sampleRate: 8000 })
})

t.test('failures: server error then close, abrupt close, refused before ready, no metadata, nothing listening, malformed frames', async t => {
  const vendor = await FakeVendor.start({ clientCheck, serverCheck })
  t.teardown(() => vendor.close())
  const lines: string[] = []
  const log = pino({ level: 'warn' }, new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } }))
  const connector = new ElevenLabsConnector({ config: config(vendor.wsBase, { ready_timeout_ms: 300 }), env: {}, log })

  // Server error mid-call, then the close that follows it: one 'error' that says why.
  let opening = connector.open(sessionStart())
  let peer = await vendor.peer(0)
  metadata(peer)
  let call = new CallSide(await opening)
  // Malformed and schema-failing frames are dropped and counted; the session goes on.
  peer.sendRaw('{not json')
  peer.sendRaw('[1,2]')
  peer.sendRaw(JSON.stringify({ type: 'audio', audio_event: { event_id: 'x' } }))
  peer.send({ type: 'audio', audio_event: { audio_base_64: Buffer.alloc(64).toString('base64'), event_id: 1 } })
  await call.until('audio')
  t.equal(connector.counters.malformedDropped, 2)
  t.equal(connector.counters.invalidDropped, 1)
  peer.send({ type: 'error', error_event: { code: 1002, message: 'LLM took too long', error_type: 'llm_timeout' } })
  peer.ws.close(1002, 'llm timeout')
  const [err] = (await call.until('error')).map(e => e.value as EngineError)
  t.equal(err.code, 'ENGINE_ERR_STREAM')
  t.equal(err.protocolCode, 1002)
  t.match(err.message, /llm_timeout: LLM took too long/)
  t.ok(lines.some(l => l.includes('"callId":"call-7f3a"') && l.includes('llm_timeout')), 'logged with the call id')

  // Abrupt close (no close frame): reported once as a broken stream.
  opening = connector.open(sessionStart())
  peer = await vendor.peer(1)
  metadata(peer)
  call = new CallSide(await opening)
  peer.ws.terminate()
  const [abrupt] = (await call.until('error')).map(e => e.value as EngineError)
  t.equal(abrupt.code, 'ENGINE_ERR_STREAM')
  t.equal(abrupt.protocolCode, 1006)

  // Closed before ready (bad agent, missing variable): engine_unavailable material.
  opening = connector.open(sessionStart())
  peer = await vendor.peer(2)
  peer.send({ type: 'error', error_event: { code: 1008, error_type: 'missing_dynamic_variable', message: 'customer_name is required' } })
  peer.ws.close(1008)
  const refused = await opening.then(() => null, (e: EngineError) => e)
  t.equal(refused?.code, 'ENGINE_ERR_REFUSED')
  t.equal(refused?.protocolCode, 1008)
  t.match(refused?.message, /missing_dynamic_variable/)

  // Connected, but no conversation_initiation_metadata in time.
  const slow = await connector.open(sessionStart()).then(() => null, (e: EngineError) => e)
  t.equal(slow?.code, 'ENGINE_ERR_READY_TIMEOUT')

  // Nothing listening.
  const closed = await FakeVendor.start({ clientCheck, serverCheck })
  const deadBase = closed.wsBase
  await closed.close()
  const dead = new ElevenLabsConnector({ config: config(deadBase), env: {}, log: silent })
  const refusedConn = await dead.open(sessionStart()).then(() => null, (e: EngineError) => e)
  t.equal(refusedConn?.code, 'ENGINE_ERR_CONNECT_REFUSED')
  t.equal(connector.counters.sessionsFailed, 2)
  vendor.assertClean(t)
})

t.test('a private agent connects through a signed URL fetched with the API key from the named env var', async t => {
  const vendor = await FakeVendor.start({
    clientCheck,
    serverCheck,
    http: (req, res, v) => {
      const u = new URL(req.url ?? '', 'http://x')
      if (u.pathname !== '/v1/convai/conversation/get-signed-url') { res.statusCode = 404; res.end(); return }
      if (req.headers['xi-api-key'] !== 'sk-right') { res.statusCode = 401; res.end('{"detail":"invalid api key"}'); return }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ signed_url: `${v.wsBase}/v1/convai/conversation?agent_id=${u.searchParams.get('agent_id')}&conversation_signature=sig-1` }))
    },
    refuseUpgrade: req => /conversation_signature=sig-1/.test(req.url ?? '') ? null : 403
  })
  t.teardown(() => vendor.close())
  const cfg = config(vendor.wsBase, { api_key_env: 'EL_KEY' })

  const ok = new ElevenLabsConnector({ config: cfg, env: { EL_KEY: 'sk-right' }, log: silent })
  const opening = ok.open(sessionStart())
  const peer = await vendor.peer(0)
  t.match(peer.url, /conversation_signature=sig-1/)
  metadata(peer)
  const s = await opening
  t.equal(s.protocol, 'elevenlabs')
  s.cancel()
  t.same(await ok.probe(), { ok: true })

  const wrong = await new ElevenLabsConnector({ config: cfg, env: { EL_KEY: 'sk-wrong' }, log: silent }).open(sessionStart()).then(() => null, (e: EngineError) => e)
  t.equal(wrong?.code, 'ENGINE_ERR_REFUSED')
  t.equal(wrong?.protocolCode, 401)
  const missing = new ElevenLabsConnector({ config: cfg, env: {}, log: silent })
  const e = await missing.open(sessionStart()).then(() => null, (err: EngineError) => err)
  t.match(e?.message, /EL_KEY.*not set/)
  t.match(await missing.probe(), { ok: false, detail: /EL_KEY/ })
  vendor.assertClean(t)
})
