import t, { type Test } from 'tap'
import pino from 'pino'
import { DemoEngine } from '../../src/engine/demo-engine'
import { EngineClient, EngineError, type EngineCall } from '../../src/engine/engine-client'
import type { ToolCallMsg } from '../../src/engine/engine-messages'
import { toFrames, chime } from '../../src/engine/greeting'
import { makeStart, toneFrame, waitFor } from './helpers'

const log = pino({ level: 'silent' })
const SILENCE = Buffer.alloc(640)

async function setup (t: Test, greetingMs: number, echoDelayMs = 500): Promise<{ engine: DemoEngine; client: EngineClient }> {
  const greetingPcm = Buffer.alloc(Math.round(greetingMs / 20) * 640, 0)
  // a quiet but non-zero greeting so its audio is recognisable
  for (let i = 0; i < greetingPcm.length; i += 2) greetingPcm.writeInt16LE(100, i)
  const engine = new DemoEngine({ port: 0, greetingPcm, echoDelayMs, log })
  await engine.start()
  const client = new EngineClient({ address: `127.0.0.1:${engine.port}`, framesPerMessage: 1, log })
  t.teardown(async () => { client.close(); await engine.stop(200) })
  return { engine, client }
}

t.test('keypad digits map to the system tools with the seed argument names', async t => {
  const { client } = await setup(t, 100)
  const call = await client.startCall(makeStart({
    transfer_rules: [{ destination_type: 'phone', destination: '+15551234567', condition: 'caller asks for a human', transfer_type: 'TRANSFER_TYPE_CONFERENCE' }]
  }))
  const tools: ToolCallMsg[] = []
  call.on('toolCall', c => tools.push(c))
  call.resume()
  const want = 5
  const all = waitFor<void>(r => call.on('toolCall', () => { if (tools.length === want) r() }), 3000, `${want} tool calls`)
  for (const d of ['2', '7', '9', '5', '0']) call.sendDtmf(d, 100, 'DTMF_SOURCE_RFC4733')
  await all
  t.same(tools.map(c => c.tool), ['play_keypad_touch_tone', 'voicemail_detection', 'end_call', 'skip_turn', 'transfer_to_number'])
  t.match(tools[0], { play_keypad_touch_tone: { dtmf_tones: '123w4W#' } })
  t.match(tools[1], { voicemail_detection: { reason: 'caller pressed 7' } })
  t.match(tools[2], { end_call: { reason: 'caller pressed 9' } })
  t.match(tools[3], { skip_turn: { reason: 'caller pressed 5' } })
  t.match(tools[4], { transfer_to_number: { transfer_number: '+15551234567', client_message: /hold/, agent_message: /\+15550100/ } })
  t.equal(new Set(tools.map(c => c.tool_call_id)).size, 5, 'unique tool call ids')
  call.sendToolResult(tools[2].tool_call_id, { ok: true })
  call.hangup('HANGUP_SIDE_GATEWAY', 'end_call')
})

t.test('0 without a transfer rule and unmapped digits call no tool', async t => {
  const { client } = await setup(t, 100)
  const call = await client.startCall(makeStart())
  const first = waitFor<ToolCallMsg>(r => call.once('toolCall', r), 3000, 'tool call')
  call.resume()
  for (const d of ['0', '1', '#', '9']) call.sendDtmf(d, 100, 'DTMF_SOURCE_INFO')
  t.equal((await first).tool, 'end_call', 'the first tool call is the 9')
  call.hangup('HANGUP_SIDE_CALLER', 'normal_clearing')
})

t.test('greeting, then the caller is echoed after ~0.5 s', async t => {
  const { client } = await setup(t, 200, 500)
  const call: EngineCall = await client.startCall(makeStart())
  let greetingBytes = 0
  let greetingDone = false
  const marked = waitFor<string>(r => call.once('mark', r), 3000, 'greeting-end mark')
  const marker = toneFrame(1000, 5000)
  let sentAt = 0
  const echoed = waitFor<number>(r => call.on('audio', (data: Buffer) => {
    if (!greetingDone) { greetingBytes += data.length; return }
    if (data.equals(marker)) r(performance.now() - sentAt)
  }), 5000, 'echo')
  call.resume()
  t.equal(await marked, 'greeting-end')
  greetingDone = true
  t.equal(greetingBytes, 200 / 20 * 640, 'the whole greeting arrived before its mark')
  call.sendAudio(SILENCE)
  sentAt = performance.now()
  call.sendAudio(marker)
  const delay = await echoed
  t.comment(`echo delay ${delay.toFixed(1)} ms (configured 500)`)
  t.ok(delay >= 490, `echo not before the configured delay (${delay.toFixed(1)} ms)`)
  t.ok(delay < 1500, `echo arrives (${delay.toFixed(1)} ms)`)
  call.hangup('HANGUP_SIDE_CALLER', 'normal_clearing')
})

t.test('barge-in: caller speech during the greeting sends Clear and stops the greeting', async t => {
  const { client } = await setup(t, 5000, 300)
  const call = await client.startCall(makeStart())
  let audioAfterClear = 0
  let cleared = false
  let greetingBytes = 0
  call.on('audio', (data: Buffer) => {
    if (cleared) audioAfterClear += data.length
    else greetingBytes += data.length
  })
  const clear = waitFor<void>(r => call.once('clear', () => { cleared = true; r() }), 3000, 'clear')
  let marks = 0
  call.on('mark', () => { marks++ })
  call.resume()
  await new Promise(resolve => setTimeout(resolve, 300))
  call.sendAudio(SILENCE) // silence does not barge in
  await new Promise(resolve => setTimeout(resolve, 100))
  t.notOk(cleared, 'no Clear on silence')
  for (let i = 0; i < 3; i++) call.sendAudio(toneFrame(300, 8000, i * 320))
  await clear
  t.ok(greetingBytes > 0 && greetingBytes < 5000 / 20 * 640, `greeting was cut short (${greetingBytes} bytes before Clear)`)
  await new Promise(resolve => setTimeout(resolve, 600))
  t.equal(marks, 0, 'no greeting-end mark after a barge-in')
  t.equal(audioAfterClear, 640 * 2, 'after Clear only the echo arrives: the frame that started speech and the one after it')
  call.hangup('HANGUP_SIDE_CALLER', 'normal_clearing')
})

t.test('gateway hang-up ends the engine conversation', async t => {
  const { engine, client } = await setup(t, 100)
  const call = await client.startCall(makeStart())
  call.resume()
  t.equal(engine.activeCalls, 1)
  const ended = waitFor<void>(r => call.once('end', r), 2000, 'end')
  call.hangup('HANGUP_SIDE_CALLER', 'normal_clearing')
  await ended
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(engine.activeCalls, 0)
})

t.test('the demo engine refuses an output format it cannot produce', async t => {
  const { client } = await setup(t, 100)
  try {
    await client.startCall(makeStart({ output_format: { encoding: 'AUDIO_ENCODING_MULAW', sample_rate: 8000, frame_ms: 20 } }))
    t.fail('expected a refusal')
  } catch (err) {
    t.equal((err as EngineError).code, 'ENGINE_ERR_REFUSED')
    t.match((err as Error).message, /INVALID_ARGUMENT: the demo engine only produces PCM_S16LE/)
  }
})

t.test('default greeting is rendered with espeak-ng at startup', async t => {
  const engine = new DemoEngine({ port: 0, log })
  await engine.start()
  t.teardown(() => engine.stop(200))
  t.equal(engine.greeting?.source, 'espeak-ng')
  const bytes = engine.greeting?.pcm.length ?? 0
  t.equal(bytes % 640, 0, 'whole 20 ms frames')
  t.ok(bytes / 32000 > 2, `a spoken sentence of ${(bytes / 32000).toFixed(1)} s`)
  t.equal(toFrames(chime()).length % 640, 0)
})

t.test('a first_message override is rendered per call with its variables (secrets left out)', async t => {
  const { client } = await setup(t, 100)
  const call = await client.startCall(makeStart({
    overrides: { first_message: 'Hello {{customer_name}}, your code is {{secret__pin}}' },
    dynamic_variables: [
      { name: 'customer_name', string_value: 'Ada', value: 'string_value', secret: false },
      { name: 'secret__pin', string_value: '1234', value: 'string_value', secret: true }
    ]
  }))
  let bytes = 0
  call.on('audio', (d: Buffer) => { bytes += d.length })
  const mark = waitFor<string>(r => call.once('mark', r), 8000, 'greeting-end')
  call.resume()
  t.equal(await mark, 'greeting-end')
  t.ok(bytes > 100 / 20 * 640 * 5, `the spoken first message (${(bytes / 32000).toFixed(2)} s) replaced the 0.1 s default greeting`)
  t.equal(bytes % 640, 0)
  call.hangup('HANGUP_SIDE_CALLER', 'normal_clearing')
})

t.test('without espeak-ng the demo engine greets with a tone', async t => {
  const engine = new DemoEngine({ port: 0, log, espeakBinary: '/nonexistent/espeak-ng' })
  await engine.start()
  t.teardown(() => engine.stop(200))
  t.equal(engine.greeting?.source, 'tone')
  t.equal(engine.greeting?.pcm.length, chime().length * 2)
})
