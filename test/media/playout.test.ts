// The playout queue: PCM chunks of any size paced by the media clock, clear() (barge-in) within a
// frame, and mark(id) once everything queued before it has been sent.
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import { rms, tone, toneLevel } from './audio-tools'
import { RtpPeer, waitFor } from './rtp-peer'
import { ulawToPCM } from 'g711'

const engine = new MediaEngine({ portRange: [24000, 24999], bindAddress: '127.0.0.1', threads: 2 })
t.teardown(() => engine.close())

function decode (payload: Buffer): Int16Array { return Int16Array.from(ulawToPCM(new Uint8Array(payload), 16)) }

t.test('chunks of any size play as one continuous signal', async t => {
  const leg = engine.createLeg({ sendSilence: false })
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setRemote('127.0.0.1', peer.port)
  const sig = tone(500, 1000, 16000, 10000)
  let at = 0
  let accepted = 0
  const sizes = [1, 7, 333, 2, 1000, 159, 4001]
  for (let i = 0; at < sig.length; i++) {
    const n = Math.min(sizes[i % sizes.length], sig.length - at)
    accepted += leg.play(sig.subarray(at, at + n))
    at += n
  }
  t.equal(accepted, sig.length, 'every sample accepted')
  t.throws(() => leg.play(Buffer.alloc(3)), new RangeError('pcm Buffer length must be even (16-bit samples)'))
  t.throws(() => leg.play([1, 2] as unknown as Int16Array), new TypeError('pcm must be an Int16Array or a Buffer of 16 kHz 16-bit samples'))
  await waitFor(() => peer.received.length >= 50, 3000, '50 packets')
  const pcm = peer.decodedG711()
  t.equal(pcm.length, 8000, 'exactly one second went out')
  // A discontinuity at a chunk boundary would leak energy away from 500 Hz in some frame.
  for (let f = 2; f < 48; f++) {
    const frame = pcm.subarray(f * 160, f * 160 + 160)
    if (toneLevel(frame, 500, 8000) < 8500) t.fail(`frame ${f} is not a clean 500 Hz tone`)
  }
  t.pass('every frame carries the clean tone')
})

t.test('clear() stops queued audio within one frame; marks report played vs flushed', async t => {
  const leg = engine.createLeg()
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setRemote('127.0.0.1', peer.port)
  const marks: Array<{ id: unknown, flushed: boolean, packetsAtMark: number }> = []
  leg.on('mark', (id: unknown, info: { flushed: boolean }) => marks.push({ id, flushed: info.flushed, packetsAtMark: peer.received.length }))
  let playoutDone = 0
  leg.on('playoutDone', () => { playoutDone++ })
  await waitFor(() => peer.received.length > 3, 2000, 'silence flowing')
  const startIdx = peer.received.length
  leg.play(tone(800, 200, 16000, 10000))
  leg.mark('after-200ms')
  leg.play(tone(800, 3000, 16000, 10000))
  leg.mark({ name: 'end-of-prompt' })
  await waitFor(() => marks.length === 1, 2000, 'first mark')
  t.same(marks[0].id, 'after-200ms', 'mark ids come back as given')
  t.equal(marks[0].flushed, false)
  const loudBefore = peer.received.slice(startIdx).filter(p => rms(decode(p.payload)) > 3000).length
  t.ok(loudBefore >= 9 && loudBefore <= 11, `mark raised once ~10 frames were sent (${loudBefore})`)
  await new Promise(resolve => setTimeout(resolve, 300))
  const cleared = process.hrtime.bigint()
  leg.clear()
  await waitFor(() => marks.length === 2, 2000, 'flushed mark')
  t.same(marks[1].id, { name: 'end-of-prompt' })
  t.equal(marks[1].flushed, true, 'a mark dropped by clear() says so')
  await new Promise(resolve => setTimeout(resolve, 200))
  // Allow one tick (20 ms) plus loopback latency for the clear to take effect.
  const late = peer.received.filter(p => p.at > cleared + 45_000_000n)
  t.ok(late.length >= 5, 'silence keeps flowing after clear()')
  t.ok(late.every(p => rms(decode(p.payload)) < 100), 'no queued audio is sent more than one frame after clear()')
  t.equal(leg.queuedMs(), 0)
  t.equal(playoutDone, 1, 'playoutDone once the queue ran dry')
})
