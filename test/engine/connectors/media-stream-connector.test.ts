// Twilio-compatible media stream connector against a local fake bot (what Pipecat, Vocode or the OpenAI Agents
// SDK's Twilio transport run): every message trunkgate sends is checked with ajv against the schema written
// from Twilio's documentation (test/vectors/engines/twilio-media-streams.schema.json), and so is every
// message the scripted bot sends. The bot greets, echoes, barges in with clear, places marks, and closes.
import t from 'tap'
import pino from 'pino'
import { agentEngineSchema, type MediaStreamEngineConfig } from '../../../src/config/engine-schema'
import { MediaStreamConnector } from '../../../src/engine/media-stream/media-stream-connector'
import { mulawDecodeSample } from '../../../src/engine/audio-convert'
import { MULAW8K, PCM16K, type EngineError } from '../../../src/engine/engine-session'
import { twilioFromTwilioCheck, twilioToTwilioCheck } from './contracts'
import { CallSide, FakeVendor, sessionStart, toneFrame16k, type Msg } from './fake-vendor'

const clientCheck = twilioFromTwilioCheck()
const serverCheck = twilioToTwilioCheck()
const silent = pino({ level: 'silent' })
const isEvent = (event: string) => (m: Msg): boolean => m.event === event

function config (url: string, over: Record<string, unknown> = {}): MediaStreamEngineConfig {
  return agentEngineSchema.check({ type: 'media_stream', url, connect_timeout_ms: 2000, ready_timeout_ms: 2000, ...over }, 'engine') as MediaStreamEngineConfig
}

t.test('connected, start, media every 20 ms, bot audio, marks played and cleared, clear, dtmf, stop', async t => {
  const vendor = await FakeVendor.start({ clientCheck, serverCheck, refuseUpgrade: req => req.headers.authorization === 'Bearer bot-token' ? null : 401 })
  t.teardown(() => vendor.close())
  const connector = new MediaStreamConnector({ config: config(`${vendor.wsBase}/media`, { auth_token_env: 'BOT_TOKEN' }), env: { BOT_TOKEN: 'bot-token' }, log: silent })
  const session = await connector.open(sessionStart({ offeredFormats: [MULAW8K, PCM16K] }))
  const peer = await vendor.peer()
  t.equal(peer.url, '/media')
  const connected = await peer.next(isEvent('connected'))
  t.same(connected, { event: 'connected', protocol: 'Call', version: '1.0.0' })
  const start = await peer.next(isEvent('start'))
  t.equal(start.sequenceNumber, '1')
  t.equal(start.start.callSid, 'call-7f3a', 'callSid is the call id (the bot uses it with the control API)')
  t.same(start.start.customParameters, { customer_name: 'Ada', tier: '3', system__caller_id: '+15550111', system__conversation_id: 'conv-1' }, 'non-secret dynamic variables only')
  t.same(start.start.mediaFormat, { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 })
  t.equal(start.streamSid, start.start.streamSid)
  t.same([session.inputFormat, session.outputFormat], [MULAW8K, MULAW8K], 'μ-law straight from the PCMU leg')
  const call = new CallSide(session)

  // Two frames in one call → two media messages, chunk and timestamp counting.
  const frames = Buffer.concat([Buffer.alloc(160, 0x10), Buffer.alloc(160, 0x20)])
  session.sendAudioFrames(frames, 2)
  const m1 = await peer.next(isEvent('media'))
  const m2 = await peer.next(isEvent('media'))
  t.same([m1.media.chunk, m1.media.timestamp, m2.media.chunk, m2.media.timestamp], ['1', '0', '2', '20'])
  t.same([m1.sequenceNumber, m2.sequenceNumber], ['2', '3'])
  t.ok(Buffer.from(m2.media.payload, 'base64').equals(Buffer.alloc(160, 0x20)))

  // The bot echoes, marks the end of its audio, and the mark comes back once played.
  peer.send({ event: 'media', streamSid: start.streamSid, media: { payload: m1.media.payload } })
  peer.send({ event: 'mark', streamSid: start.streamSid, mark: { name: 'echo-1' } })
  await call.until('mark')
  t.ok(call.audio[0].equals(Buffer.alloc(160, 0x10)), 'echo played unchanged')
  t.same(call.events.map(e => e.type), ['audio', 'mark'], 'the mark follows the audio before it')
  session.sendPlaybackMark('echo-1', false)
  t.same((await peer.next(isEvent('mark'))).mark, { name: 'echo-1' })

  // Barge-in from the bot: clear; a mark still pending comes back too (Twilio answers cleared marks).
  peer.send({ event: 'media', streamSid: start.streamSid, media: { payload: m2.media.payload } })
  peer.send({ event: 'mark', streamSid: start.streamSid, mark: { name: 'long-answer' } })
  peer.send({ event: 'clear', streamSid: start.streamSid })
  await call.until('clear')
  session.sendPlaybackMark('long-answer', true)
  t.same((await peer.next(isEvent('mark'))).mark, { name: 'long-answer' })
  session.sendPlaybackMark('never-placed', false)

  session.sendDtmf('#', 100, 'rfc4733')
  t.same((await peer.next(isEvent('dtmf'))).dtmf, { track: 'inbound_track', digit: '#' })

  // Unknown events and broken media are dropped and counted; the stream goes on.
  peer.sendRaw(JSON.stringify({ event: 'sendDigits', streamSid: start.streamSid }))
  peer.sendRaw(JSON.stringify({ event: 'media', streamSid: start.streamSid, media: {} }))
  peer.sendRaw('<xml/>')
  peer.send({ event: 'media', streamSid: start.streamSid, media: { payload: m1.media.payload } })
  await call.until('audio', 3)
  t.same([connector.counters.invalidDropped, connector.counters.malformedDropped], [2, 1])

  session.hangup('caller', 'normal', 200)
  const stop = await peer.next(isEvent('stop'))
  t.same(stop.stop, { accountSid: start.start.accountSid, callSid: 'call-7f3a' })
  t.equal(await peer.closed(), 1000)
  const seqs = vendor.allReceived.filter(m => m.sequenceNumber).map(m => Number(m.sequenceNumber))
  t.same(seqs, seqs.map((_, i) => i + 1), 'sequenceNumber counts 1, 2, 3... over every message after connected')
  vendor.assertClean(t)
})

t.test('a 16 kHz leg is converted to and from μ-law 8 kHz', async t => {
  const vendor = await FakeVendor.start({ clientCheck, serverCheck })
  t.teardown(() => vendor.close())
  const connector = new MediaStreamConnector({ config: config(vendor.wsBase), env: {}, log: silent })
  const session = await connector.open(sessionStart({ offeredFormats: [PCM16K] }))
  t.same([session.inputFormat, session.outputFormat], [PCM16K, PCM16K])
  const peer = await vendor.peer()
  const start = await peer.next(isEvent('start'))
  const call = new CallSide(session)
  // Three frames of a 440 Hz tone: the third one (filter settled) keeps its level through the conversion.
  const tone = Buffer.concat([0, 320, 640].map(p => Buffer.from(toneFrame16k(p).buffer)))
  session.sendAudioFrames(new Int16Array(tone.buffer, tone.byteOffset, 960), 3)
  const media = [await peer.next(isEvent('media')), await peer.next(isEvent('media')), await peer.next(isEvent('media'))]
  const payload = Buffer.from(media[2].media.payload, 'base64')
  t.equal(payload.length, 160)
  const peak = Math.max(...[...payload].map(c => Math.abs(mulawDecodeSample(c))))
  t.ok(peak > 7000 && peak < 9000, `440 Hz tone of peak 8000 keeps its level through 16k → 8k μ-law (peak ${peak})`)
  peer.send({ event: 'media', streamSid: start.streamSid, media: { payload: payload.toString('base64') } })
  await call.until('audio')
  t.equal(call.audio[0].length, 640, '160 μ-law samples → 320 samples at 16 kHz')
  vendor.assertClean(t)
})

t.test('failures: nothing listening, refused upgrade, missing token, abrupt close mid-call', async t => {
  const vendor = await FakeVendor.start({ clientCheck, serverCheck, refuseUpgrade: req => req.url === '/forbidden' ? 403 : null })
  t.teardown(() => vendor.close())
  const refused = await new MediaStreamConnector({ config: config(`${vendor.wsBase}/forbidden`), env: {}, log: silent }).open(sessionStart()).then(() => null, (e: EngineError) => e)
  t.match(refused, { code: 'ENGINE_ERR_REFUSED', protocolCode: 403 })
  const noToken = new MediaStreamConnector({ config: config(vendor.wsBase, { auth_token_env: 'NOPE' }), env: {}, log: silent })
  t.match(await noToken.open(sessionStart()).then(() => null, (e: EngineError) => e), { code: 'ENGINE_ERR_REFUSED', message: /NOPE/ })
  t.match(await noToken.probe(), { ok: false })

  const connector = new MediaStreamConnector({ config: config(vendor.wsBase), env: {}, log: silent })
  const session = await connector.open(sessionStart())
  const peer = await vendor.peer(0)
  const call = new CallSide(session)
  peer.ws.terminate()
  t.match((await call.until('error'))[0].value, { code: 'ENGINE_ERR_STREAM', protocolCode: 1006 })

  const gone = await FakeVendor.start({ clientCheck, serverCheck })
  const url = gone.wsBase
  await gone.close()
  t.match(await new MediaStreamConnector({ config: config(url), env: {}, log: silent }).open(sessionStart()).then(() => null, (e: EngineError) => e), { code: 'ENGINE_ERR_CONNECT_REFUSED' })
  vendor.assertClean(t)
})
