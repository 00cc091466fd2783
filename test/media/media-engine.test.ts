// Engine-level behaviour: argument checks before C++, port allocation (RFC 3550 §11 even/odd pairs,
// rtcp-mux), advertised vs bind address, slow JS event loop (drop-and-count, media thread not
// blocked), and 1,000 legs created and destroyed without leaking ports or memory.
import dgram from 'node:dgram'
import { once } from 'node:events'
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import { RtpPeer, waitFor } from './rtp-peer'

t.test('constructor and createLeg check their arguments', async t => {
  t.throws(() => new MediaEngine({ portRange: [10000] as unknown as [number, number] }), new TypeError('portRange must be [min, max]'))
  t.throws(() => new MediaEngine({ portRange: [80, 90] }), new RangeError('portRange[0] must be between 1024 and 65534'))
  t.throws(() => new MediaEngine({ portRange: [20000, 20000] }), new RangeError('portRange must hold at least one even/odd port pair'))
  t.throws(() => new MediaEngine({ bindAddress: 'localhost' }), new TypeError('bindAddress must be an IPv4 or IPv6 address literal'))
  t.throws(() => new MediaEngine({ threads: 0 }), new RangeError('threads must be between 1 and 64'))
  const engine = new MediaEngine({ portRange: [27000, 27099], bindAddress: '127.0.0.1', advertiseAddress: '203.0.113.9', threads: 1 })
  t.teardown(() => engine.close())
  t.throws(() => engine.createLeg({ frames: 'yes' as unknown as boolean }), new TypeError('frames must be a boolean'))
  t.throws(() => engine.createLeg({ timeouts: { beforeMediaMs: -1 } }), new RangeError('timeouts.beforeMediaMs must be between 0 and 3600000'))
  const leg = engine.createLeg()
  t.equal(leg.localAddress, '203.0.113.9', 'the advertised address goes to SDP, not the bind address')
  t.throws(() => leg.setCodec({ name: 'G729' }), new RangeError('codec must be one of PCMU, PCMA, G722, opus'))
  t.throws(() => leg.setCodec({ name: 'PCMU', ptime: 25 }), new RangeError('ptime for PCMU must be one of 10, 20, 30, 40'))
  t.throws(() => leg.setCodec({ name: 'opus', ptime: 30 }), new RangeError('ptime for opus must be one of 10, 20, 40, 60'))
  t.throws(() => leg.setCodec({ name: 'G722', payloadType: 9, telephoneEventPayloadType: 9 }), new RangeError('telephoneEventPayloadType must differ from payloadType'))
  t.throws(() => leg.setRemote('example.com', 5000), new TypeError('address must be an IPv4 or IPv6 address literal'))
  t.throws(() => leg.setRemote('127.0.0.1', 70000), new RangeError('port must be between 1 and 65535'))
  t.throws(() => leg.setDirection('hold' as 'inactive'), new RangeError('direction must be one of sendrecv, sendonly, recvonly, inactive'))
  leg.close()
  t.throws(() => leg.play(new Int16Array(10)), /MEDIA_ERR_LEG_CLOSED/)
  engine.close()
  t.throws(() => engine.createLeg(), /MEDIA_ERR_CLOSED/)
})

async function canBind (port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4')
  const ok = await new Promise<boolean>(resolve => {
    s.once('error', () => resolve(false))
    s.bind(port, '127.0.0.1', () => resolve(true))
  })
  await new Promise<void>(resolve => { try { s.close(() => resolve()) } catch { resolve() } })
  return ok
}

t.test('RFC 3550 §11 ports: even RTP port with RTCP on +1 from the range; rtcp-mux uses one port; busy ports are skipped', async t => {
  // Occupy the first pair's RTCP port so the allocator must skip that pair.
  const blocker = dgram.createSocket('udp4')
  blocker.bind(27101, '127.0.0.1')
  await once(blocker, 'listening')
  t.teardown(() => blocker.close())
  const engine = new MediaEngine({ portRange: [27100, 27107], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => engine.close())
  const a = engine.createLeg()
  const b = engine.createLeg({ rtcpMux: true })
  const c = engine.createLeg()
  t.same([a.localPort, b.localPort, c.localPort], [27102, 27104, 27106], 'even ports, the pair with a busy RTCP port skipped')
  t.throws(() => engine.createLeg(), /MEDIA_ERR_PORTS: no free RTP port pair in range 27100-27107/)
  // RTCP really is bound on +1 for a, and not for the rtcp-mux leg b
  t.equal(await canBind(27103), false, 'RTCP of the first leg is bound on RTP + 1')
  t.equal(await canBind(27105), true, 'rtcp-mux leaves RTP + 1 free')
  a.close()
  await waitFor(() => { try { engine.createLeg(); return true } catch { return false } }, 1000, 'port pair released on close')
})

t.test('slow event loop: frames are dropped and counted with visible sequence gaps; the media thread keeps sending', async t => {
  const engine = new MediaEngine({ portRange: [27200, 27299], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => engine.close())
  const leg = engine.createLeg({ frameQueueFrames: 10 })
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setRemote('127.0.0.1', peer.port)
  const seqs: number[] = []
  leg.on('frames', ({ seq, frames }: { seq: number, frames: number }) => { for (let i = 0; i < frames; i++) seqs.push(seq + i) })
  await waitFor(() => seqs.length > 10, 2000, 'frames flowing')
  const before = engine.stats().workers[0].ticks
  const sentBefore = leg.stats().packetsSent
  const blockUntil = Date.now() + 600
  while (Date.now() < blockUntil) { /* a stuck event loop */ }
  const ticks = engine.stats().workers[0].ticks - before
  t.ok(ticks >= 28, `the 20 ms clock kept ticking while JS was blocked (${ticks} ticks in 600 ms)`)
  await new Promise(resolve => setTimeout(resolve, 300))
  t.ok(leg.stats().packetsSent - sentBefore >= 25, 'RTP kept going out (stats are published every 200 ms, so allow for that lag)')
  const gaps = seqs.filter((s, i) => i > 0 && s !== seqs[i - 1] + 1)
  t.ok(gaps.length >= 1, 'a sequence gap shows where frames were dropped')
  const s = leg.stats()
  t.ok(s.framesDropped >= 10, `dropped frames counted (${s.framesDropped} of 30 produced while blocked)`)
  t.equal(seqs[seqs.length - 1] - seqs[0] + 1, seqs.length + s.framesDropped, 'delivered + dropped accounts for every frame')
})

t.test('an idle leg costs little memory (queues are committed only as audio passes through them)', async t => {
  const engine = new MediaEngine({ portRange: [30000, 30999], bindAddress: '127.0.0.1', threads: 2 })
  t.teardown(() => engine.close())
  const rss0 = process.memoryUsage().rss
  const legs = []
  for (let i = 0; i < 500; i++) legs.push(engine.createLeg())
  await new Promise(resolve => setTimeout(resolve, 200))
  const perLegKb = (process.memoryUsage().rss - rss0) / 500 / 1024
  t.ok(perLegKb < 250, `${perLegKb.toFixed(0)} KB per leg (a 16 s playout ring alone would be 512 KB if touched)`)
  for (const l of legs) l.close()
})

t.test('1,000 legs created and destroyed: ports come back, memory stays bounded', async t => {
  // 100 port pairs only: without release on close, the second batch could not be allocated.
  const engine = new MediaEngine({ portRange: [27400, 27599], bindAddress: '127.0.0.1', threads: 2 })
  t.teardown(() => engine.close())
  let rssAfterFirst = 0
  for (let batch = 0; batch < 10; batch++) {
    const legs = []
    for (let i = 0; i < 100; i++) {
      const leg = engine.createLeg()
      leg.setCodec({ name: i % 2 === 0 ? 'PCMU' : 'G722', telephoneEventPayloadType: 101 })
      leg.setSrtp({ suite: 'AES_CM_128_HMAC_SHA1_80', localKey: Buffer.alloc(30, 1), remoteKey: Buffer.alloc(30, 2) })
      leg.setRemote('127.0.0.1', 9)
      leg.play(new Int16Array(1600))
      legs.push(leg)
    }
    if (batch % 3 === 0) legs[0].bridge(legs[1])
    await new Promise(resolve => setTimeout(resolve, 60))
    for (const leg of legs) leg.close()
    await waitFor(() => engine.stats().workers.every(w => w.legs === 0), 2000, 'legs detached')
    if (batch === 1) { global.gc?.(); rssAfterFirst = process.memoryUsage().rss }
  }
  global.gc?.()
  const growth = (process.memoryUsage().rss - rssAfterFirst) / 1e6
  t.ok(growth < 40, `RSS growth over 800 legs after warm-up is bounded (${growth.toFixed(1)} MB)`)
  t.equal(engine.legCount, 0, 'no leg left in the facade')
})
