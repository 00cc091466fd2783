// RTP timeouts (no media after the answer; media stopped) and symmetric RTP latching.
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import type { TimeoutEvent } from '../../src/media/leg'
import { concat, tone, toneLevel } from './audio-tools'
import { RtpPeer, waitFor } from './rtp-peer'

const engine = new MediaEngine({ portRange: [23000, 23999], bindAddress: '127.0.0.1', threads: 2 })
t.teardown(() => engine.close())

t.test('timeout before any RTP, then after RTP stops; none while on hold', async t => {
  const leg = engine.createLeg({ timeouts: { beforeMediaMs: 300, afterMediaMs: 200 } })
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  const events: Array<TimeoutEvent & { at: number }> = []
  leg.on('timeout', (e: TimeoutEvent) => events.push({ ...e, at: Date.now() }))
  const armed = Date.now()
  leg.setRemote('127.0.0.1', peer.port)
  await waitFor(() => events.length === 1, 2000, 'first timeout')
  t.equal(events[0].afterMedia, false, 'no RTP since the answer')
  t.ok(events[0].at - armed >= 280, `not before 300 ms (${events[0].at - armed} ms)`)
  t.ok(events[0].silentMs >= 300, 'silence duration reported')
  await new Promise(resolve => setTimeout(resolve, 400))
  t.equal(events.length, 1, 'raised once per silence, not every tick')

  peer.sendTo('127.0.0.1', leg.localPort)
  peer.stream(() => tone(1000, 20, 8000))
  await new Promise(resolve => setTimeout(resolve, 300))
  peer.stop()
  const stopped = Date.now()
  await waitFor(() => events.length === 2, 2000, 'second timeout')
  t.equal(events[1].afterMedia, true, 'media stopped after it had flowed')
  t.ok(events[1].at - stopped >= 180, `after the 200 ms limit (${events[1].at - stopped} ms)`)

  leg.setDirection('sendonly')  // RFC 3264 §8.4 hold: the peer may stop sending
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(events.length, 2, 'no timeout while on hold')
  t.equal(leg.stats().timeouts, 2, 'counted in stats')
})

t.test('symmetric RTP: latch to the first valid source, count and drop everyone else', async t => {
  const leg = engine.createLeg({ symmetric: true })
  const real = await RtpPeer.create()   // the peer behind a NAT: its SDP address is not where it sends from
  const intruder = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await real.close(); await intruder.close() })
  leg.setRemote('127.0.0.1', 9)  // what the SDP said (discard port): wrong
  const frames: Int16Array[] = []
  leg.on('frames', ({ pcm }) => frames.push(pcm))
  real.sendTo('127.0.0.1', leg.localPort)
  real.stream(i => tone(600, 20, 8000, 8000, i * 2 * Math.PI * 600 * 160 / 8000))
  await waitFor(() => leg.stats().latched, 2000, 'latched')
  intruder.sendTo('127.0.0.1', leg.localPort)
  intruder.stream(i => tone(1500, 20, 8000, 8000, i * 2 * Math.PI * 1500 * 160 / 8000))
  await waitFor(() => real.received.length >= 10, 2000, 'RTP back to the latched source')
  await new Promise(resolve => setTimeout(resolve, 400))
  real.stop()
  intruder.stop()
  const s = leg.stats()
  t.ok(s.unexpectedSource >= 15, `intruder packets counted (${s.unexpectedSource})`)
  t.equal(intruder.received.length, 0, 'nothing is sent to the intruder')
  const heard = concat(frames).subarray(-16000 * 0.3)
  t.ok(toneLevel(heard, 600, 16000) > 5000, 'the latched source is heard')
  t.ok(toneLevel(heard, 1500, 16000) < 200, 'the intruder is not heard')
})

t.test('without symmetric RTP, packets from other sources than the SDP address are dropped and counted', async t => {
  const leg = engine.createLeg()
  const peer = await RtpPeer.create()
  const other = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close(); await other.close() })
  leg.setRemote('127.0.0.1', peer.port)
  other.sendTo('127.0.0.1', leg.localPort)
  peer.sendTo('127.0.0.1', leg.localPort)
  for (let i = 0; i < 5; i++) other.sendG711(tone(500, 20, 8000))
  peer.sendG711(tone(500, 20, 8000))
  await waitFor(() => leg.stats().packetsReceived === 1, 2000, 'the SDP source accepted')
  await waitFor(() => leg.stats().unexpectedSource === 5, 2000, 'the others counted')
  t.equal(leg.stats().packetsReceived, 1, 'only the packet from the SDP address and port')
  t.equal(leg.stats().rejectedSources, 1, 'one rejected source')
  t.equal(leg.stats().latched, false)
})
