// End-to-end over real loopback UDP: a dgram peer speaks G.711 RTP to a leg and listens to what the
// leg sends back. G.711 coding on the peer side uses the npm `g711` package and parsing uses
// `rtp-parser`, both independent of the code under test.
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import { concat, rms, tone, toneLevel } from './audio-tools'
import { RtpPeer, waitFor } from './rtp-peer'

const engine = new MediaEngine({ portRange: [21000, 21999], bindAddress: '127.0.0.1', threads: 2 })
t.teardown(() => engine.close())

t.test('RFC 3551 PCMU in: 20 ms 16 kHz frames reach JS with the tone and consecutive sequence numbers', async t => {
  const leg = engine.createLeg()
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setRemote('127.0.0.1', peer.port)
  const frames: Int16Array[] = []
  const seqs: number[] = []
  leg.on('frames', ({ seq, pcm, frames: n }) => {
    for (let i = 0; i < n; i++) seqs.push(seq + i)
    frames.push(pcm)
  })
  peer.sendTo('127.0.0.1', leg.localPort)
  const sig = tone(1000, 2000, 8000, 8000)
  peer.stream(i => sig.subarray((i * 160) % (sig.length - 160), (i * 160) % (sig.length - 160) + 160))
  await waitFor(() => seqs.length >= 40, 5000, '40 frames')
  peer.stop()
  for (const f of frames) t.equal(f.length % 320, 0, 'frames are whole 20 ms blocks at 16 kHz')
  for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1] + 1) t.fail(`frame sequence gap at ${i}`)
  const all = concat(frames)
  const steady = all.subarray(all.length - 320 * 20)  // the last 400 ms: past the jitter buffer's start
  t.ok(toneLevel(steady, 1000, 16000) > 6000, `1 kHz tone arrives at ~8000 (got ${toneLevel(steady, 1000, 16000).toFixed(0)})`)
  t.ok(toneLevel(steady, 2500, 16000) < 300, 'no energy at unrelated frequencies')
  const s = leg.stats()
  t.ok(s.packetsReceived >= 30, 'packets counted')
  t.equal(s.remoteSsrc, peer.ssrc >>> 0, 'remote SSRC reported')
  t.equal(s.packetsLost, 0, 'no loss on loopback')
})

t.test('RFC 3550 §5.1 send path: JS PCM becomes PCMU RTP with +1 seq, +160 ts, one SSRC, marker on talkspurt start, 20 ms pacing', async t => {
  const leg = engine.createLeg({ sendSilence: false })
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setRemote('127.0.0.1', peer.port)
  leg.play(tone(440, 1000, 16000, 10000))
  await waitFor(() => peer.received.length >= 50, 5000, '50 packets')
  await new Promise(resolve => setTimeout(resolve, 200))
  const pk = peer.received
  t.equal(pk.length, 50, 'exactly one second of audio, then nothing (silence is not sent)')
  t.equal(pk[0].marker, 1, 'first packet of the talkspurt has the marker bit (RFC 3551 §4.1)')
  t.ok(pk.slice(1).every(p => p.marker === 0), 'no marker afterwards')
  for (let i = 1; i < pk.length; i++) {
    if (pk[i].sequenceNumber !== ((pk[i - 1].sequenceNumber + 1) & 0xffff)) t.fail(`seq not consecutive at ${i}`)
    if (pk[i].timestamp !== ((pk[i - 1].timestamp + 160) >>> 0)) t.fail(`timestamp not +160 at ${i}`)
  }
  t.ok(pk.every(p => p.ssrc === pk[0].ssrc && p.payloadType === 0 && p.payload.length === 160), 'PT 0, 160 octets, one SSRC')
  t.equal(pk[0].ssrc, leg.stats().localSsrc, 'SSRC matches stats')
  const spanMs = Number(pk[pk.length - 1].at - pk[0].at) / 1e6
  t.ok(Math.abs(spanMs / (pk.length - 1) - 20) < 1.5, `mean packet interval ~20 ms (got ${(spanMs / (pk.length - 1)).toFixed(2)})`)
  const pcm = peer.decodedG711()
  t.ok(toneLevel(pcm.subarray(800), 440, 8000) > 8000, `peer decodes the 440 Hz tone (level ${toneLevel(pcm.subarray(800), 440, 8000).toFixed(0)})`)

  // Second talkspurt: marker again, sequence continues, timestamp jumped by the silent time.
  const before = pk.length
  const lastTs = pk[before - 1].timestamp
  const lastAt = pk[before - 1].at
  leg.play(tone(440, 200, 16000, 10000))
  await waitFor(() => peer.received.length >= before + 10, 3000, 'second talkspurt')
  const first = peer.received[before]
  t.equal(first.marker, 1, 'marker on the new talkspurt')
  t.equal(first.sequenceNumber, (pk[before - 1].sequenceNumber + 1) & 0xffff, 'sequence has no gap across silence')
  const elapsedUnits = Number(first.at - lastAt) / 1e6 * 8
  const tsDelta = (first.timestamp - lastTs) >>> 0
  t.ok(Math.abs(tsDelta - elapsedUnits) < 400, `timestamp advanced with real time over the silence (${tsDelta} vs ~${elapsedUnits.toFixed(0)})`)
})

t.test('PCMA and ptime 40: PT 8, 320-octet packets every 40 ms, ts +320', async t => {
  const leg = engine.createLeg({ sendSilence: false })
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setCodec({ name: 'PCMA', ptime: 40 })
  leg.setRemote('127.0.0.1', peer.port)
  leg.play(tone(700, 1000, 16000, 10000))
  await waitFor(() => peer.received.length >= 25, 5000, '25 packets')
  const pk = peer.received
  t.ok(pk.every(p => p.payloadType === 8 && p.payload.length === 320), 'PT 8 with 40 ms payloads')
  for (let i = 1; i < pk.length; i++) if (((pk[i].timestamp - pk[i - 1].timestamp) >>> 0) !== 320) t.fail('ts step is not 320')
  const spanMs = Number(pk[pk.length - 1].at - pk[0].at) / 1e6
  t.ok(Math.abs(spanMs / (pk.length - 1) - 40) < 2, 'mean interval ~40 ms')
  t.ok(toneLevel(peer.decodedG711().subarray(800), 700, 8000) > 8000, 'A-law audio decodes to the tone')
})

t.test('inbound ptime 30 ms, sequence wrap and an SSRC change are played without loss', async t => {
  const leg = engine.createLeg()
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setRemote('127.0.0.1', peer.port)
  const frames: Int16Array[] = []
  leg.on('frames', ({ pcm }) => frames.push(pcm))
  peer.sendTo('127.0.0.1', leg.localPort)
  peer.seq = 65520  // wraps after 16 packets (RFC 3550 A.1 extended sequence numbers)
  const sig = tone(1000, 5000, 8000, 8000)
  let off = 0
  let sent = 0
  await new Promise<void>(resolve => {
    const timer = setInterval(() => {
      if (sent === 40) peer.ssrc = (peer.ssrc + 1) >>> 0  // new source mid-call (RFC 3550 §8.2)
      const pcm = sig.subarray(off, off + 240)
      off += 240
      peer.sendG711(pcm)
      if (++sent === 70) { clearInterval(timer); resolve() }
    }, 30)
  })
  await new Promise(resolve => setTimeout(resolve, 300))
  const s = leg.stats()
  t.equal(s.packetsReceived, 70, 'all packets accepted across the wrap and the SSRC change')
  t.equal(s.remoteSsrc, peer.ssrc, 'stats follow the new SSRC')
  t.equal(s.packetsLost, 0, 'no loss counted across the sequence wrap')
  const all = concat(frames)
  const mid = all.subarray(16000 * 0.4, 16000 * 1.1)
  t.ok(toneLevel(mid, 1000, 16000) > 6000, '30 ms packets re-framed to 20 ms carry the tone')
  t.ok(rms(mid) > 4000, 'no dropouts in the middle of the stream')
})

t.test('RFC 3264 §6.1 direction: recvonly/inactive send nothing, sendonly ignores incoming audio; statsIntervalMs emits stats', async t => {
  const e2 = new MediaEngine({ portRange: [29000, 29099], bindAddress: '127.0.0.1', threads: 1, statsIntervalMs: 100 })
  t.teardown(() => e2.close())
  const leg = e2.createLeg()
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  const frames: Int16Array[] = []
  leg.on('frames', ({ pcm }) => frames.push(pcm))
  let statsEvents = 0
  leg.on('stats', (s: { packetsSent: number }) => { if (typeof s.packetsSent === 'number') statsEvents++ })
  leg.setRemote('127.0.0.1', peer.port)
  peer.sendTo('127.0.0.1', leg.localPort)
  peer.stream(i => tone(1000, 20, 8000, 8000, i * 2 * Math.PI * 1000 * 160 / 8000))
  t.teardown(() => peer.stop())
  leg.setDirection('recvonly')
  await new Promise(resolve => setTimeout(resolve, 100))
  let n = peer.received.length
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(peer.received.length, n, 'recvonly: no RTP sent')
  t.ok(toneLevel(concat(frames).subarray(-3200), 1000, 16000) > 5000, 'recvonly: incoming audio is played')
  leg.setDirection('inactive')
  await new Promise(resolve => setTimeout(resolve, 100))
  n = peer.received.length
  frames.length = 0
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(peer.received.length, n, 'inactive: no RTP sent')
  t.ok(rms(concat(frames)) < 10, 'inactive: incoming audio is not played')
  leg.setDirection('sendonly')
  await new Promise(resolve => setTimeout(resolve, 100))
  n = peer.received.length
  frames.length = 0
  await new Promise(resolve => setTimeout(resolve, 300))
  t.ok(peer.received.length - n >= 12, 'sendonly: RTP flows again')
  t.ok(rms(concat(frames)) < 10, 'sendonly: incoming audio is not played')
  t.ok(statsEvents >= 5, `stats events every 100 ms (${statsEvents})`)
})
