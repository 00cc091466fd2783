import t, { type Test } from 'tap'
import net from 'node:net'
import * as grpc from '@grpc/grpc-js'
import pino from 'pino'
import { EngineClient, EngineError, type EngineCall } from '../../src/engine/engine-client'
import type { GatewayMessage, StartMsg } from '../../src/engine/engine-messages'
import { customEngine, makeStart, waitFor } from './helpers'

const log = pino({ level: 'silent' })

async function freePort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}

async function expectEngineError (t: Test, p: Promise<unknown>, code: string): Promise<EngineError> {
  try {
    await p
    t.fail(`expected ${code}`)
    throw new Error('unreachable')
  } catch (err) {
    t.ok(err instanceof EngineError, 'EngineError')
    t.equal((err as EngineError).code, code)
    return err as EngineError
  }
}

t.test('connection refused: nothing listens on the engine address, the call fails at once (no connect timeout wait)', async t => {
  const port = await freePort()
  // A timeout far beyond the test's own bound: only the refusal can end the attempt in time.
  const client = new EngineClient({ address: `127.0.0.1:${port}`, connectTimeoutMs: 120000, log })
  t.teardown(() => client.close())
  const err = await expectEngineError(t, client.startCall(makeStart()), 'ENGINE_ERR_CONNECT_REFUSED')
  t.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} refused the connection`))
  t.match(await client.probe(), { ok: false, detail: /refused the connection/ }, 'probe says the same, without throwing')
})

t.test('connect timeout: the engine address accepts TCP but never speaks HTTP/2', async t => {
  const sockets: net.Socket[] = []
  const silent = net.createServer(s => { sockets.push(s) })
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const port = (silent.address() as net.AddressInfo).port
  const client = new EngineClient({ address: `127.0.0.1:${port}`, connectTimeoutMs: 300, log })
  t.teardown(() => client.close())
  const err = await expectEngineError(t, client.startCall(makeStart()), 'ENGINE_ERR_CONNECT_TIMEOUT')
  t.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} not reachable within 300 ms`))
})

t.test('Start reaches the engine with every field; Ready resolves the call', async t => {
  let received: StartMsg | null = null
  const engine = await customEngine(stream => {
    stream.on('data', (m: GatewayMessage) => {
      if (m.msg === 'start') { received = m.start; stream.write({ ready: {} }) }
    })
    stream.on('end', () => stream.end())
  })
  t.teardown(engine.stop)
  const client = new EngineClient({ address: `127.0.0.1:${engine.port}`, log })
  t.teardown(() => client.close())
  const start = makeStart({
    call_sid: 'CA123',
    sip_headers: [{ name: 'X-Customer', value: 'gold' }],
    dynamic_variables: [
      { name: 'customer_name', string_value: 'Ada', secret: false },
      { name: 'balance', number_value: 12.5, secret: false },
      { name: 'vip', bool_value: true, secret: false },
      { name: 'secret__token', string_value: 's3cr3t', secret: true }
    ],
    overrides: { first_message: 'Hi Ada' },
    transfer_rules: [{ destination_type: 'phone', destination: '+15551234567', condition: 'asks for billing', transfer_type: 'TRANSFER_TYPE_SIP_REFER' }],
    call_answered_unix_ms: 1764000000000,
    timezone: 'Europe/Paris'
  })
  const call = await client.startCall(start)
  call.resume()
  const s = received as unknown as StartMsg
  t.equal(s.call_sid, 'CA123')
  t.equal(s.direction, 'CALL_DIRECTION_INBOUND', 'enums as names')
  t.same(s.sip_headers, [{ name: 'X-Customer', value: 'gold' }])
  t.same(s.dynamic_variables.map(v => [v.name, v.value, v[v.value as 'string_value'], v.secret]), [
    ['customer_name', 'string_value', 'Ada', false], ['balance', 'number_value', 12.5, false], ['vip', 'bool_value', true, false], ['secret__token', 'string_value', 's3cr3t', true]
  ], 'typed values and the secret flag survive')
  t.equal(s.overrides?.first_message, 'Hi Ada')
  t.notOk(s.overrides?.prompt, 'an override not set stays unset')
  t.same(s.transfer_rules[0], { destination_type: 'phone', destination: '+15551234567', condition: 'asks for billing', transfer_type: 'TRANSFER_TYPE_SIP_REFER' })
  t.equal(s.call_answered_unix_ms, 1764000000000, 'uint64 as number')
  t.equal(s.timezone, 'Europe/Paris')
  const ended = waitFor<void>(r => call.once('end', r), 2000, 'end')
  call.hangup('HANGUP_SIDE_CALLER', 'normal_clearing')
  await ended
})

t.test('audio is batched framesPerMessage at a time; other messages flush first', async t => {
  const got: GatewayMessage[] = []
  let done: () => void = () => {}
  const allIn = new Promise<void>(resolve => { done = resolve })
  const engine = await customEngine(stream => {
    stream.on('data', (m: GatewayMessage) => {
      if (m.msg === 'start') { stream.write({ ready: {} }); return }
      got.push(m)
      if (m.msg === 'dtmf') done()
    })
    stream.on('end', () => stream.end())
  })
  t.teardown(engine.stop)
  const client = new EngineClient({ address: `127.0.0.1:${engine.port}`, framesPerMessage: 2, log })
  t.teardown(() => client.close())
  const call = await client.startCall(makeStart())
  call.resume()
  // One scratch buffer reused for every frame, as the media layer does: batching must copy.
  const scratch = Buffer.alloc(640)
  for (let i = 0; i < 7; i++) { scratch.fill(i); call.sendAudio(scratch) }
  call.sendDtmf('5', 120, 'DTMF_SOURCE_RFC4733')
  await waitFor<void>(r => { void allIn.then(r) }, 2000, 'dtmf')
  const audio = got.filter(m => m.msg === 'audio').map(m => (m as { audio: { seq: number; data: Buffer } }).audio)
  t.same(audio.map(a => [a.seq, a.data.length]), [[0, 1280], [2, 1280], [4, 1280], [6, 640]], '3 full batches, then the odd frame flushed by the DTMF')
  t.equal(audio[1].data[0], 2)
  t.equal(audio[1].data[640], 3, 'frames in order inside a message')
  t.same(audio.map(a => [a.data[0], a.data[a.data.length - 1]]), [[0, 1], [2, 3], [4, 5], [6, 6]], 'each frame kept its own content')
  t.same(got[got.length - 1], { msg: 'dtmf', dtmf: { digit: '5', duration_ms: 120, source: 'DTMF_SOURCE_RFC4733' } }, 'DTMF after the audio before it')
  t.throws(() => call.sendAudio(Buffer.alloc(320)), RangeError)
  t.throws(() => call.sendDtmf('x', 100, 'DTMF_SOURCE_INFO'), RangeError)
  t.throws(() => new EngineClient({ address: '127.0.0.1:1', framesPerMessage: 0 }), RangeError)
  call.hangup('HANGUP_SIDE_GATEWAY', 'test_done')
})

t.test('sendAudioFrames batches several frames from one reused buffer like sendAudio one by one', async t => {
  const got: GatewayMessage[] = []
  let done: () => void = () => {}
  const allIn = new Promise<void>(resolve => { done = resolve })
  const engine = await customEngine(stream => {
    stream.on('data', (m: GatewayMessage) => {
      if (m.msg === 'start') { stream.write({ ready: {} }); return }
      got.push(m)
      if (m.msg === 'dtmf') done()
    })
    stream.on('end', () => stream.end())
  })
  t.teardown(engine.stop)
  const client = new EngineClient({ address: `127.0.0.1:${engine.port}`, framesPerMessage: 2, log })
  t.teardown(() => client.close())
  const call = await client.startCall(makeStart())
  call.resume()
  // The media layer hands over a view into a larger buffer it reuses for the next tick.
  const backing = new Int16Array(320 * 4 + 8)
  const pcm = backing.subarray(8, 8 + 320 * 3)
  const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength)
  const fill = (first: number, frames: number): void => { for (let f = 0; f < frames; f++) bytes.fill(first + f, f * 640, (f + 1) * 640) }
  fill(0, 3); call.sendAudioFrames(pcm, 3)          // frames 0,1 | 2 waits
  fill(3, 3); call.sendAudioFrames(pcm, 3)          // 2,3 | 4,5
  fill(6, 1); call.sendAudioFrames(pcm, 1)          // 6 waits
  call.sendAudioFrames(pcm, 0)
  call.sendDtmf('7', 100, 'DTMF_SOURCE_INBAND')     // flushes 6
  await waitFor<void>(r => { void allIn.then(r) }, 2000, 'dtmf')
  const audio = got.filter(m => m.msg === 'audio').map(m => (m as { audio: { seq: number; data: Buffer } }).audio)
  t.same(audio.map(a => [a.seq, a.data.length]), [[0, 1280], [2, 1280], [4, 1280], [6, 640]], 'batches straddle the calls; seq counts frames')
  t.same(audio.map(a => [a.data[0], a.data[639], a.data[a.data.length - 1]]), [[0, 0, 1], [2, 2, 3], [4, 4, 5], [6, 6, 6]], 'each frame kept its own content')
  t.equal(got[got.length - 1].msg, 'dtmf', 'DTMF after the audio before it')
  t.throws(() => call.sendAudioFrames(pcm, 4), RangeError, 'more frames than the buffer holds')
  t.throws(() => call.sendAudioFrames(pcm, 1.5), RangeError)
  call.hangup('HANGUP_SIDE_GATEWAY', 'test_done')
})

t.test('no Ready in time → ENGINE_ERR_READY_TIMEOUT', async t => {
  const engine = await customEngine(stream => { stream.on('data', () => {}); stream.on('error', () => {}) })
  t.teardown(engine.stop)
  const client = new EngineClient({ address: `127.0.0.1:${engine.port}`, readyTimeoutMs: 200, log })
  t.teardown(() => client.close())
  await expectEngineError(t, client.startCall(makeStart()), 'ENGINE_ERR_READY_TIMEOUT')
})

t.test('engine refuses with a status → ENGINE_ERR_REFUSED carrying the gRPC code', async t => {
  const engine = await customEngine(stream => {
    stream.on('data', () => stream.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: 'too many calls' }))
  })
  t.teardown(engine.stop)
  const client = new EngineClient({ address: `127.0.0.1:${engine.port}`, log })
  t.teardown(() => client.close())
  const err = await expectEngineError(t, client.startCall(makeStart()), 'ENGINE_ERR_REFUSED')
  t.equal(err.protocolCode, grpc.status.RESOURCE_EXHAUSTED)
  t.match(err.message, /RESOURCE_EXHAUSTED: too many calls/)
})

t.test('engine sends audio before Ready → ENGINE_ERR_PROTOCOL', async t => {
  const engine = await customEngine(stream => {
    stream.on('data', () => stream.write({ audio: { seq: 0, data: Buffer.alloc(640) } }))
    stream.on('error', () => {})
  })
  t.teardown(engine.stop)
  const client = new EngineClient({ address: `127.0.0.1:${engine.port}`, log })
  t.teardown(() => client.close())
  await expectEngineError(t, client.startCall(makeStart()), 'ENGINE_ERR_PROTOCOL')
})

t.test('a stream broken mid-call is reported once as ENGINE_ERR_STREAM; messages sent right after Ready are not lost', async t => {
  let engineStream: { emit: (e: string, v: unknown) => boolean } | null = null
  const engine = await customEngine(stream => {
    engineStream = stream
    stream.on('data', (m: GatewayMessage) => {
      if (m.msg !== 'start') return
      stream.write({ ready: {} })
      stream.write({ mark: { name: 'first' } })
      stream.write({ tool_call: { tool_call_id: 't1', end_call: { reason: 'bye' } } })
    })
  })
  t.teardown(engine.stop)
  const client = new EngineClient({ address: `127.0.0.1:${engine.port}`, log })
  t.teardown(() => client.close())
  const call: EngineCall = await client.startCall(makeStart())
  await new Promise(resolve => setTimeout(resolve, 100)) // the call layer may be slow to attach listeners
  const marks: string[] = []
  call.on('mark', n => marks.push(n))
  const tool = waitFor<unknown>(r => call.once('toolCall', r), 2000, 'toolCall')
  const errors: EngineError[] = []
  call.on('error', e => errors.push(e))
  call.resume()
  t.match(await tool, { tool_call_id: 't1', tool: 'end_call', end_call: { reason: 'bye' } })
  t.same(marks, ['first'])
  const broke = waitFor<void>(r => call.once('error', () => r()), 2000, 'error')
  engineStream!.emit('error', { code: grpc.status.INTERNAL, details: 'LLM crashed' })
  await broke
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(errors.length, 1)
  t.equal(errors[0].code, 'ENGINE_ERR_STREAM')
  t.equal(errors[0].protocolCode, grpc.status.INTERNAL)
  t.match(errors[0].message, /INTERNAL: LLM crashed/)
  t.ok(errors[0].cause, 'the gRPC error is the cause')
})
