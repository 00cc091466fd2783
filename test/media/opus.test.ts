// Opus on a trunk leg (RFC 7587) against an independent implementation: @discordjs/opus (its own libopus
// build) encodes what the peer sends and decodes what the leg sends. The leg runs Opus at the internal
// 16 kHz with the 48 kHz RTP clock; lost packets are rebuilt from the next packet's in-band FEC.
import t from 'tap'
import { OpusEncoder } from '@discordjs/opus'
import { MediaEngine } from '../../src/media/media-engine'
import { concat, tone, toneLevel } from './audio-tools'
import { RtpPeer, waitFor } from './rtp-peer'

const engine = new MediaEngine({ portRange: [29000, 29199], bindAddress: '127.0.0.1', threads: 1 })
t.teardown(() => engine.close())

const OPUS_PT = 111
const OPUS_SET_INBAND_FEC = 4012
const OPUS_SET_PACKET_LOSS_PERC = 4014

function toBuffer (pcm: Int16Array): Buffer {
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)
}

// Streams 20 ms Opus packets of a 48 kHz tone (timestamps step 960) until stop; `skip` drops packets.
function streamOpus (peer: RtpPeer, enc: OpusEncoder, hz: number, skip: (i: number) => boolean = () => false): () => void {
  let i = 0
  const tick = (): void => {
    const pcm = tone(hz, 20, 48000, 8000, i * 2 * Math.PI * hz * 960 / 48000)
    const payload = enc.encode(toBuffer(pcm))
    if (!skip(i)) peer.sendRaw(peer.packet(OPUS_PT, payload, { marker: i === 0, seq: peer.seq + i, ts: peer.ts + i * 960 }))
    i++
  }
  tick()
  const timer = setInterval(tick, 20)
  return () => clearInterval(timer)
}

t.test('a peer\'s Opus (48 kHz, another libopus build) is decoded to 16 kHz frames', async t => {
  const leg = engine.createLeg()
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setCodec({ name: 'opus', payloadType: OPUS_PT, telephoneEventPayloadType: 101 })
  leg.setRemote('127.0.0.1', peer.port)
  const frames: Int16Array[] = []
  leg.on('frames', ({ pcm }) => frames.push(pcm))
  peer.sendTo('127.0.0.1', leg.localPort)
  const stop = streamOpus(peer, new OpusEncoder(48000, 1), 700)
  t.teardown(stop)
  await waitFor(() => leg.stats().packetsReceived >= 30, 3000, 'Opus packets received')
  frames.length = 0
  await waitFor(() => frames.length >= 15, 2000, 'frames')
  stop()
  const heard = concat(frames)
  t.ok(toneLevel(heard, 700, 16000) > 3000, `the 700 Hz tone is heard (${toneLevel(heard, 700, 16000).toFixed(0)})`)
  t.equal(leg.stats().jitterBuffer.decodeErrors, 0, 'every packet decoded')
})

t.test('the leg\'s Opus is decodable by the reference, with 48 kHz RTP timestamps', async t => {
  const leg = engine.createLeg()
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setCodec({ name: 'opus', payloadType: OPUS_PT, ptime: 20, encoder: { inbandFec: true, maxPlaybackRate: 16000 } })
  leg.setRemote('127.0.0.1', peer.port)
  leg.play(tone(900, 1000, 16000, 8000))
  await waitFor(() => peer.received.length >= 40, 3000, 'Opus packets from the leg')
  const pkts = peer.received.filter(p => p.payloadType === OPUS_PT)
  const steps = pkts.slice(1, 30).map((p, i) => (p.timestamp - pkts[i].timestamp) >>> 0)
  t.same([...new Set(steps)], [960], 'RFC 7587 §4.1: 20 ms = 960 units of the 48 kHz clock')
  const dec = new OpusEncoder(16000, 1)
  const pcm = concat(pkts.slice(5, 40).map(p => {
    const b = dec.decode(p.payload)
    return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
  }))
  t.ok(toneLevel(pcm, 900, 16000) > 3000, `the reference decoder hears the 900 Hz tone (${toneLevel(pcm, 900, 16000).toFixed(0)})`)
})

t.test('a lost packet is rebuilt from the next packet\'s in-band FEC (or the Opus PLC), never silence', async t => {
  const leg = engine.createLeg({ jitter: { minMs: 60, maxMs: 200 } })
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setCodec({ name: 'opus', payloadType: OPUS_PT })
  leg.setRemote('127.0.0.1', peer.port)
  peer.sendTo('127.0.0.1', leg.localPort)
  const enc = new OpusEncoder(48000, 1)
  enc.applyEncoderCTL(OPUS_SET_INBAND_FEC, 1)
  enc.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC, 20)
  const stop = streamOpus(peer, enc, 500, i => i > 20 && i % 10 === 0)
  t.teardown(stop)
  await waitFor(() => leg.stats().jitterBuffer.lost >= 3, 5000, 'losses seen')
  stop()
  const jb = leg.stats().jitterBuffer
  t.ok(jb.fecFrames >= 1, `FEC used (${jb.fecFrames} of ${jb.lost} lost)`)
  t.equal(jb.decodeErrors, 0)
})
