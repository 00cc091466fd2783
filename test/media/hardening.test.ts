// Defects found in the review of native/ (issue 14), each checked at the native boundary or from the
// outside: argument checks that hold without the TypeScript facade, legs spread over media threads at
// creation, port release on the JS thread, counted send errors, a per-tick receive budget.
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import { RtpPeer, waitFor } from './rtp-peer'

t.test('the addon checks ptime, payload types and sizes itself (a caller may bypass the facade)', async t => {
  const engine = new MediaEngine({ portRange: [29600, 29699], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => engine.close())
  const leg = engine.createLeg()
  const n = engine.native
  // ptime 0 made the send loop spin forever; 61+ overflowed the send accumulator.
  t.throws(() => n.legSetCodec(leg.id, 'PCMU', 0, -1, 0), new RangeError('ptime must be between 1 and 60'))
  t.throws(() => n.legSetCodec(leg.id, 'PCMU', 0, -1, 61), new RangeError('ptime must be between 1 and 60'))
  t.throws(() => n.legSetCodec(leg.id, 'PCMU', 0, -1, 25), new RangeError('ptime for PCMU must be one of 10, 20, 30, 40'))
  t.throws(() => n.legSetCodec(leg.id, 'opus', 111, -1, 30), new RangeError('ptime for opus must be one of 10, 20, 40, 60'))
  t.throws(() => n.legSetCodec(leg.id, 'PCMU', 128, -1, 20), new RangeError('payloadType must be between 0 and 127'))
  t.throws(() => n.legSetCodec(leg.id, 'PCMU', 0, 200, 20), new RangeError('telephoneEventPayloadType must be between -1 and 127'))
  t.throws(() => n.legSetCodec(leg.id, 'PCMU', 0, 0, 20), new RangeError('telephoneEventPayloadType must differ from payloadType'))
  t.throws(() => n.legSetCodec(leg.id, 'PCMU', 0.5, -1, 20), new TypeError('payloadType must be an integer'))
  t.throws(() => n.legSetCodec(leg.id, 'G729', 18, -1, 20), new RangeError('unsupported codec G729'))
  t.throws(() => n.legSetRemote(leg.id, '127.0.0.1', 70000, '127.0.0.1', 70001), new RangeError('port must be between 1 and 65535'))
  t.throws(() => n.legSetDirection(leg.id, 7), new RangeError('direction must be between 0 and 3'))
  t.throws(() => n.legSendDtmf(leg.id, '1', 'rfc4733', 0, 100, 1), new RangeError('toneMs must be between 40 and 5000'))
  t.throws(() => n.play(leg.id, Buffer.alloc(3)), /even length/)
  t.throws(() => n.createLeg({ frameQueueFrames: 0 } as never), new RangeError('frameQueueFrames must be between 2 and 3000'))
  t.throws(() => n.createLeg({ playoutQueueMs: 2 ** 32 } as never), new RangeError('playoutQueueMs must be between 100 and 600000'))
  t.throws(() => n.portCreate(0), new RangeError('frameQueueFrames must be between 2 and 3000'))
  t.throws(() => n.legStats('x' as unknown as number), new TypeError('leg id must be an integer'))
  // A valid call still works and the leg keeps running.
  n.legSetCodec(leg.id, 'opus', 111, 101, 60, { inbandFec: true, maxPlaybackRate: 16000 })
  leg.setRemote('127.0.0.1', 9)
  const ticks = engine.stats().workers[0].ticks
  await waitFor(() => engine.stats().workers[0].ticks > ticks + 3, 2000, 'the worker keeps ticking')
  leg.close()
})

t.test('legs created in one JS turn are spread over the media threads at once', async t => {
  const engine = new MediaEngine({ portRange: [29700, 29899], bindAddress: '127.0.0.1', threads: 4 })
  t.teardown(() => engine.close())
  const legs = Array.from({ length: 40 }, () => engine.createLeg())
  t.same(engine.stats().workers.map(w => w.legs), [10, 10, 10, 10], 'balanced before any worker attached them')
  const ticks = engine.stats().workers.map(w => w.ticks)
  await waitFor(() => engine.stats().workers.every((w, i) => w.ticks > ticks[i] + 2), 3000, 'workers attached them')
  t.same(engine.stats().workers.map(w => w.legs), [10, 10, 10, 10], 'and still balanced once running')
  for (const leg of legs) leg.close()
  await waitFor(() => engine.stats().workers.every(w => w.legs === 0), 3000, 'legs detached')
})

t.test('closing legs returns their ports from the JS thread, never from a media thread', async t => {
  const engine = new MediaEngine({ portRange: [29900, 29999], bindAddress: '127.0.0.1', threads: 2 })
  t.teardown(() => engine.close())
  const legs = Array.from({ length: 20 }, () => engine.createLeg())
  for (const leg of legs) leg.setRemote('127.0.0.1', 9)
  t.equal(engine.stats().portsInUse, 20)
  for (const leg of legs) leg.close()
  await waitFor(() => engine.stats().portsInUse === 0, 3000, 'ports back in the allocator')
  t.equal(engine.stats().foreignPortReleases, 0, 'no release (close + allocator mutex) ran on a media thread')
  const again = Array.from({ length: 50 }, () => engine.createLeg())  // the whole range is usable again
  t.equal(engine.stats().portsInUse, 50)
  for (const leg of again) leg.close()
})

t.test('failed sendto calls are counted on the leg', async t => {
  const engine = new MediaEngine({ portRange: [29500, 29599], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => engine.close())
  const leg = engine.createLeg()
  t.teardown(() => leg.close())
  // An IPv6 destination on an IPv4 socket: every sendto fails (EAFNOSUPPORT/EINVAL).
  leg.setRemote('::1', 40000)
  await waitFor(() => leg.stats().sendErrors >= 5, 2000, 'send errors counted')
  t.equal(leg.stats().packetsSent, 0, 'nothing counted as sent')
})

t.test('a flood on one leg is cut at the per-tick receive budget; the other legs keep their frames', async t => {
  const engine = new MediaEngine({ portRange: [29400, 29499], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => engine.close())
  const flooded = engine.createLeg({ frames: false })
  const quiet = engine.createLeg()
  const attacker = await RtpPeer.create()
  t.teardown(async () => { flooded.close(); quiet.close(); await attacker.close() })
  flooded.setRemote('127.0.0.1', attacker.port)
  quiet.setRemote('127.0.0.1', 9)
  let frames = 0
  quiet.on('frames', ({ frames: n }) => { frames += n })
  attacker.sendTo('127.0.0.1', flooded.localPort)
  const payload = Buffer.from(new Uint8Array(160).fill(0xff))
  for (let i = 0; i < 600; i++) attacker.sendRaw(attacker.packet(0, payload, { seq: i, ts: i * 160 }))
  await waitFor(() => engine.stats().workers[0].receiveBudgetHits > 0, 3000, 'budget reached')
  const before = frames
  await waitFor(() => frames >= before + 5, 2000, 'the quiet leg still gets its frames')
  await waitFor(() => flooded.stats().packetsReceived > 64, 2000, 'the flood is read over several ticks')
  t.pass(`budget hits ${engine.stats().workers[0].receiveBudgetHits}`)
})
