// Latching (RTP-Bleed class): nothing before the answer; without symmetric RTP only the SDP address; with
// it (NAT) the first source after the answer that sends the negotiated payload type, never replaced by
// another source while it is alive, not even across a re-INVITE to the same address.
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import { concat, tone, toneLevel } from './audio-tools'
import { RtpPeer, waitFor } from './rtp-peer'

const engine = new MediaEngine({ portRange: [29200, 29399], bindAddress: '127.0.0.1', threads: 2 })
t.teardown(() => engine.close())

const sine = (hz: number) => (i: number): Int16Array => tone(hz, 20, 8000, 8000, i * 2 * Math.PI * hz * 160 / 8000)

t.test('symmetric: an intruder sending first (before the answer) and during the call is never heard', async t => {
  const leg = engine.createLeg({ symmetric: true })
  const real = await RtpPeer.create()
  const intruder = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await real.close(); await intruder.close() })
  const frames: Int16Array[] = []
  leg.on('frames', ({ pcm }) => frames.push(pcm))
  // Before the answer: a burst with the right payload type.
  intruder.sendTo('127.0.0.1', leg.localPort)
  for (let i = 0; i < 10; i++) intruder.sendG711(sine(1500)(i))
  await waitFor(() => leg.stats().unexpectedSource >= 10, 2000, 'pre-answer packets dropped')
  t.equal(leg.stats().packetsReceived, 0, 'nothing accepted before the answer')
  t.equal(leg.stats().latched, false, 'nor latched')

  leg.setRemote('127.0.0.1', 9)  // the SDP's address (behind a NAT: not where the peer sends from)
  real.sendTo('127.0.0.1', leg.localPort)
  real.stream(sine(600))
  await waitFor(() => leg.stats().latched, 2000, 'latched to the real peer')
  intruder.stream(sine(1500))
  t.teardown(() => { real.stop(); intruder.stop() })
  await waitFor(() => leg.stats().unexpectedSource >= 25, 3000, 'intruder packets counted during the call')

  // A re-INVITE naming the same address keeps the latch, even while the real peer pauses.
  real.stop()
  leg.setRemote('127.0.0.1', 9)
  await new Promise(resolve => setTimeout(resolve, 200))
  real.stream(sine(600))
  frames.length = 0
  await waitFor(() => frames.length >= 20, 3000, 'frames after the re-INVITE')
  const s = leg.stats()
  t.ok(s.rejectedSources >= 1, `rejected sources counted (${s.rejectedSources})`)
  t.equal(intruder.received.length, 0, 'nothing was ever sent to the intruder')
  t.ok(real.received.length > 10, 'RTP goes to the latched source')
  const heard = concat(frames).subarray(-16000 * 0.2)
  t.ok(toneLevel(heard, 600, 16000) > 5000, 'the real peer is heard')
  t.ok(toneLevel(heard, 1500, 16000) < 200, 'the intruder is not heard')
})

t.test('symmetric: a source with a payload type that was not negotiated does not latch', async t => {
  const leg = engine.createLeg({ symmetric: true })
  const real = await RtpPeer.create()
  const intruder = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await real.close(); await intruder.close() })
  leg.setCodec({ name: 'PCMU' })
  leg.setRemote('127.0.0.1', 9)
  intruder.sendTo('127.0.0.1', leg.localPort)
  for (let i = 0; i < 5; i++) intruder.sendRaw(intruder.packet(18, Buffer.alloc(20), { seq: i, ts: i * 160 }))
  await waitFor(() => leg.stats().unknownPayloadType >= 5, 2000, 'G.729 packets seen')
  t.equal(leg.stats().latched, false, 'not latched')
  real.sendTo('127.0.0.1', leg.localPort)
  real.sendG711(sine(600)(0))
  await waitFor(() => leg.stats().latched, 2000, 'latched to the negotiated stream')
  for (let i = 0; i < 5; i++) intruder.sendG711(sine(1500)(i))
  await waitFor(() => leg.stats().unexpectedSource >= 5, 2000, 'then the intruder is rejected')
  t.equal(leg.stats().packetsReceived, 1)
})
