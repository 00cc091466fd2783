// PCM handed to play(): an Int16Array, or a Buffer of s16le bytes that the native core copies as is,
// at any byte offset (protobuf-decoded engine audio sits wherever its field landed).
import t from 'tap'
import { checkPcm16 } from '../../src/media/media-args'
import { MediaEngine } from '../../src/media/media-engine'
import { tone, toneLevel } from './audio-tools'
import { RtpPeer, waitFor } from './rtp-peer'

t.test('checkPcm16 passes Int16Array and even-length Buffers through untouched and refuses the rest', async t => {
  const ints = new Int16Array(4)
  t.equal(checkPcm16(ints), ints)
  const odd = Buffer.alloc(9).subarray(1)
  t.equal(checkPcm16(odd), odd, 'a Buffer at an odd offset is not copied')
  t.throws(() => checkPcm16(Buffer.alloc(3)), new RangeError('pcm Buffer length must be even (16-bit samples)'))
  t.throws(() => checkPcm16('x'), new TypeError('pcm must be an Int16Array or a Buffer of 16 kHz 16-bit samples'))
  t.throws(() => checkPcm16(new Uint16Array(2)), TypeError)
})

t.test('play() of a Buffer at an odd byte offset sends exactly what the same samples as an Int16Array send', async t => {
  const engine = new MediaEngine({ portRange: [28700, 28799], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => engine.close())
  const samples = tone(700, 400, 16000, 9000)
  const backing = Buffer.alloc(samples.byteLength + 1)
  Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).copy(backing, 1)
  const oddBytes = backing.subarray(1)
  t.equal(oddBytes.byteOffset % 2, 1, 'the Buffer really is misaligned for 16-bit samples')

  const sent: Buffer[][] = []
  for (const pcm of [samples, oddBytes]) {
    const leg = engine.createLeg({ frames: false })
    const peer = await RtpPeer.create()
    t.teardown(async () => { leg.close(); await peer.close() })
    leg.setRemote('127.0.0.1', peer.port)
    t.equal(leg.play(pcm), samples.length, 'every sample queued')
    await waitFor(() => peer.received.length >= 40, 5000, 'RTP from the leg')
    // From the first packet that is not μ-law silence (0xFF): the tone, 400 ms = 20 packets.
    const payloads = peer.received.map(r => r.payload)
    const first = payloads.findIndex(p => p.some(b => b !== 0xff))
    t.ok(first >= 0, 'the tone was sent')
    sent.push(payloads.slice(first, first + 20))
    t.ok(toneLevel(peer.decodedG711(first).subarray(0, 3000), 700, 8000) > 4000, 'a 700 Hz tone at the far end')
  }
  t.equal(sent[0].length, 20)
  t.same(sent[1].map(p => p.toString('hex')), sent[0].map(p => p.toString('hex')), 'byte-identical RTP payloads')
})
