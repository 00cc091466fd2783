// toPcm16: how PCM handed to play() becomes 16-bit samples before it crosses into C++.
import t from 'tap'
import { toPcm16 } from '../../src/media/media-args'

t.test('a Buffer at an odd byte offset (as protobuf-decoded engine audio can be) keeps its samples', async t => {
  const samples = Int16Array.from([0, 1, -1, 32767, -32768, 256, -257, 12345])
  const backing = Buffer.alloc(samples.byteLength + 1)
  Buffer.from(samples.buffer).copy(backing, 1)
  const odd = backing.subarray(1)
  t.equal(odd.byteOffset % 2, 1)
  const out = toPcm16(odd)
  t.same(Array.from(out), Array.from(samples), 'same little-endian samples')
  t.equal(out.byteOffset % 2, 0, 'aligned for the native side')
  backing.fill(0)
  t.same(Array.from(out), Array.from(samples), 'a copy: the source may be reused afterwards')
})

t.test('an even offset is viewed, not copied; bad input is refused', async t => {
  const buf = Buffer.alloc(8)
  const view = toPcm16(buf)
  buf.writeInt16LE(-2, 2)
  t.equal(view[1], -2, 'a view of the same memory')
  t.throws(() => toPcm16(Buffer.alloc(3)), new RangeError('pcm Buffer length must be even (16-bit samples)'))
  t.throws(() => toPcm16('x'), new TypeError('pcm must be an Int16Array or a Buffer of 16 kHz 16-bit samples'))
})
