// Bridges and conferences: everything meets at 16 kHz, so a bridge transcodes (PCMU <-> G.722) and
// a conference is mix-minus: each participant hears everyone but itself; a whisper reaches one.
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import type { Leg } from '../../src/media/leg'
import { concat, tone, toneLevel } from './audio-tools'
import { RtpPeer, waitFor } from './rtp-peer'

const engine = new MediaEngine({ portRange: [25000, 25999], bindAddress: '127.0.0.1', threads: 2 })
t.teardown(() => engine.close())

// A continuous 8 kHz tone source for RtpPeer.stream (phase carried across packets).
const toneSource = (hz: number, amp = 6000) => (i: number) => tone(hz, 20, 8000, amp, i * 2 * Math.PI * hz * 160 / 8000)

async function peerLeg (t: { teardown: (fn: () => unknown) => void }, hz: number): Promise<{ leg: Leg, peer: RtpPeer }> {
  const leg = engine.createLeg({ frames: false })
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setRemote('127.0.0.1', peer.port)
  peer.sendTo('127.0.0.1', leg.localPort)
  peer.stream(toneSource(hz))
  return { leg, peer }
}

t.test('bridge PCMU <-> G.722 carries a tone both ways (transcoding through 16 kHz)', async t => {
  const { leg: a, peer: peerA } = await peerLeg(t, 1000)
  const b = engine.createLeg({ frames: false })
  const c = engine.createLeg()  // the far end, speaking G.722 to b over real RTP
  t.teardown(() => { b.close(); c.close() })
  b.setCodec({ name: 'G722' })
  c.setCodec({ name: 'G722' })
  b.setRemote('127.0.0.1', c.localPort)
  c.setRemote('127.0.0.1', b.localPort)
  const atC: Int16Array[] = []
  c.on('frames', ({ pcm }) => atC.push(pcm))
  a.bridge(b)
  c.play(tone(600, 3000, 16000, 8000))
  await waitFor(() => concat(atC).length >= 16000 * 1.5, 5000, '1.5 s at the G.722 end')
  await waitFor(() => peerA.received.length >= 75, 5000, '1.5 s at the PCMU end')
  peerA.stop()
  const g722Side = concat(atC).subarray(-16000 * 0.5)
  t.ok(toneLevel(g722Side, 1000, 16000) > 3000, `PCMU 1 kHz reaches the G.722 side (${toneLevel(g722Side, 1000, 16000).toFixed(0)})`)
  t.ok(b.stats().packetsSent > 50 && b.stats().packetsReceived > 50, 'G.722 RTP flowed on the real socket')
  const pcmuSide = peerA.decodedG711().subarray(-8000 * 0.5)
  t.ok(toneLevel(pcmuSide, 600, 8000) > 3000, `G.722 600 Hz reaches the PCMU side (${toneLevel(pcmuSide, 600, 8000).toFixed(0)})`)
  t.ok(toneLevel(pcmuSide, 1000, 8000) < 300, 'no echo of its own tone on the PCMU side')
  a.unbridge()
  const n = peerA.received.length
  await waitFor(() => peerA.received.length >= n + 15, 2000, 'after unbridge')
  const after = peerA.decodedG711().subarray(-8000 * 0.2)
  t.ok(toneLevel(after, 600, 8000) < 200, 'unbridge: the other side is no longer heard')
  t.throws(() => a.bridge(a), new RangeError('cannot bridge a leg to itself'))
})

t.test('3-party conference is mix-minus; a whisper reaches one participant; the engine port is a participant', async t => {
  const p1 = await peerLeg(t, 500)
  const p2 = await peerLeg(t, 1100)
  const p3 = await peerLeg(t, 1700)
  const conf = engine.createConference()
  t.teardown(() => conf.close())
  conf.add(p1.leg)
  conf.add(p2.leg)
  conf.add(p3.leg)
  const port = conf.createPort()
  const portFrames: Int16Array[] = []
  port.on('frames', ({ pcm }: { pcm: Int16Array }) => portFrames.push(pcm))
  conf.add(port, { whisperTo: p1.leg })
  port.play(tone(2300, 3000, 16000, 6000))
  t.throws(() => conf.add(p1.leg), /MEDIA_ERR_BUSY/, 'a leg is in one conference at a time')
  const marks = [p1, p2, p3].map(p => p.peer.received.length)
  await waitFor(() => [p1, p2, p3].every((p, i) => p.peer.received.length >= marks[i] + 60), 5000, '1.2 s of mix')
  await waitFor(() => concat(portFrames).length >= 16000, 3000, 'port frames')
  const heard = [p1, p2, p3].map(p => p.peer.decodedG711().subarray(-8000 * 0.6))
  const level = (pcm: Int16Array, hz: number) => toneLevel(pcm, hz, 8000)
  // p1 (500 Hz) hears 1100 + 1700 + the whisper, never itself
  t.ok(level(heard[0], 1100) > 3000 && level(heard[0], 1700) > 3000, 'p1 hears p2 and p3')
  t.ok(level(heard[0], 500) < 300, `p1 does not hear itself (${level(heard[0], 500).toFixed(0)})`)
  t.ok(level(heard[0], 2300) > 3000, 'p1 hears the whisper')
  t.ok(level(heard[1], 500) > 3000 && level(heard[1], 1700) > 3000 && level(heard[1], 1100) < 300, 'p2: others, not itself')
  t.ok(level(heard[2], 500) > 3000 && level(heard[2], 1100) > 3000 && level(heard[2], 1700) < 300, 'p3: others, not itself')
  t.ok(level(heard[1], 2300) < 300 && level(heard[2], 2300) < 300, 'the whisper is not heard by p2 and p3')
  const portHeard = concat(portFrames).subarray(-16000 * 0.5)
  t.ok([500, 1100, 1700].every(hz => toneLevel(portHeard, hz, 16000) > 3000), 'the engine port hears all three legs')
  t.ok(toneLevel(portHeard, 2300, 16000) < 300, 'the engine port does not hear itself')

  conf.remove(p2.leg)
  const n = p1.peer.received.length
  await waitFor(() => p1.peer.received.length >= n + 25, 3000, 'after leave')
  const afterLeave = p1.peer.decodedG711().subarray(-8000 * 0.3)
  t.ok(level(afterLeave, 1100) < 300 && level(afterLeave, 1700) > 3000, 'after p2 leaves, p1 hears p3 only')
})
