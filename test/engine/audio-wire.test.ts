// The hand-written Audio path (src/engine/audio-wire.ts) against protobufjs, which proto-loader uses
// for every other message: same bytes out, same objects in, and protobufjs's answer whenever the
// input is not a plain Audio message.
import t, { type Test } from 'tap'
import crypto from 'node:crypto'
import type * as grpc from '@grpc/grpc-js'
import { conversationEngineService, genericConversationEngineService } from '../../src/engine/engine-proto'
import { decodeAudio, encodeAudio } from '../../src/engine/audio-wire'

type Def = grpc.MethodDefinition<unknown, unknown>
const fast = conversationEngineService().service.Converse as Def
const ref = genericConversationEngineService().service.Converse as Def

const SEQS = [0, 1, 127, 128, 300, 16383, 16384, 2 ** 21, 2 ** 28 + 5, 2 ** 32, 2 ** 35 + 1, 2 ** 49 - 1, 2 ** 49, Number.MAX_SAFE_INTEGER]
const LENGTHS = [0, 1, 127, 128, 640, 1280, 3200, 20000]

function same (t: Test, run: () => unknown, reference: () => unknown, what: string): void {
  let a: unknown, b: unknown, ea: unknown, eb: unknown
  try { a = run() } catch (err) { ea = err }
  try { b = reference() } catch (err) { eb = err }
  if (eb !== undefined) t.ok(ea !== undefined, `${what}: both reject`)
  else t.same(a, b, what)
}

t.test('Audio messages serialize to the bytes protobufjs writes, in both directions', async t => {
  for (const seq of SEQS) {
    for (const len of LENGTHS) {
      const data = crypto.randomBytes(len)
      const msg = { audio: { seq, data } }
      const bytes = fast.requestSerialize(msg)
      t.ok(bytes.equals(ref.requestSerialize(msg)), `gateway audio seq ${seq} len ${len}`)
      t.ok(fast.responseSerialize!(msg).equals(ref.responseSerialize!(msg)), `engine audio seq ${seq} len ${len}`)
      t.same(fast.requestDeserialize!(bytes), ref.requestDeserialize!(bytes), `decoded seq ${seq} len ${len}`)
      t.same(fast.responseDeserialize(bytes), ref.responseDeserialize(bytes), `decoded engine side seq ${seq} len ${len}`)
    }
  }
  // The msg discriminator may come along (objects read back from a stream carry it).
  const data = crypto.randomBytes(640)
  t.ok(fast.requestSerialize({ audio: { seq: 7, data }, msg: 'audio' }).equals(ref.requestSerialize({ audio: { seq: 7, data }, msg: 'audio' })))
})

t.test('decoded audio is a view of the received bytes, not a copy', async t => {
  const bytes = encodeAudio(9, Buffer.from([1, 2, 3, 4]))
  const a = decodeAudio(bytes)!
  t.equal(a.data.buffer, bytes.buffer)
  t.same([...a.data], [1, 2, 3, 4])
  t.equal(a.seq, 9)
})

t.test('every other message takes the protobufjs path unchanged', async t => {
  const gateway = [
    { dtmf: { digit: '5', duration_ms: 120, source: 'DTMF_SOURCE_RFC4733' } },
    { playback_mark: { name: 'm1', cleared: true } },
    { call_event: { hangup: { side: 'HANGUP_SIDE_CALLER', cause: 'bye', sip_status: 0 } } },
    { start: { conversation_id: 'c', agent_id: 'a', timezone: 'UTC' } },
    { audio: { seq: 1, data: 'AAEC' } },  // base64 text: protobufjs accepts it, the fast path does not
    { audio: { seq: -1, data: Buffer.alloc(2) } },
    { audio: { seq: 1.5, data: Buffer.alloc(2) } },
    { audio: { seq: 1, data: Buffer.alloc(2) }, dtmf: { digit: '1' } }  // two oneof members: protobufjs decides
  ]
  for (const m of gateway) {
    same(t, () => fast.requestSerialize(m), () => ref.requestSerialize(m), `serialize ${JSON.stringify(m)}`)
    const bytes = ref.requestSerialize(m)
    t.same(fast.requestDeserialize!(bytes), ref.requestDeserialize!(bytes), `deserialize ${JSON.stringify(m)}`)
  }
  for (const m of [{ ready: {} }, { clear: {} }, { mark: { name: 'x' } }, { hangup: { reason: 'done' } }]) {
    const bytes = ref.responseSerialize!(m)
    t.ok(fast.responseSerialize!(m).equals(bytes), `serialize ${JSON.stringify(m)}`)
    t.same(fast.responseDeserialize(bytes), ref.responseDeserialize(bytes), `deserialize ${JSON.stringify(m)}`)
  }
})

t.test('unusual but valid encodings of Audio decode as protobufjs decodes them', async t => {
  const cases: Array<[string, number[]]> = [
    ['data before seq', [0x12, 0x06, 0x12, 0x02, 0xaa, 0xbb, 0x08, 0x05]],
    ['no seq', [0x12, 0x04, 0x12, 0x02, 0xaa, 0xbb]],
    ['no data', [0x12, 0x02, 0x08, 0x05]],
    ['empty audio', [0x12, 0x00]],
    ['data twice: last wins', [0x12, 0x08, 0x12, 0x02, 0xaa, 0xbb, 0x12, 0x02, 0xcc, 0xdd]],
    ['seq twice: last wins', [0x12, 0x04, 0x08, 0x01, 0x08, 0x02]],
    ['unknown field inside audio', [0x12, 0x06, 0x08, 0x01, 0x18, 0x07, 0x12, 0x00]],
    ['unknown field after audio', [0x12, 0x02, 0x08, 0x01, 0x38, 0x01]],
    ['non-minimal varint for seq', [0x12, 0x03, 0x08, 0x81, 0x00]],
    ['8-byte seq varint', [0x12, 0x09, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]]
  ]
  for (const [what, bytes] of cases) {
    const b = Buffer.from(bytes)
    same(t, () => fast.responseDeserialize(b), () => ref.responseDeserialize(b), what)
    same(t, () => fast.requestDeserialize!(b), () => ref.requestDeserialize!(b), `${what} (gateway side)`)
  }
})

t.test('truncated and corrupted Audio bytes: the fast path never answers differently from protobufjs', async t => {
  const good = encodeAudio(123456, crypto.randomBytes(50))
  for (let cut = 0; cut < good.length; cut++) {
    const b = good.subarray(0, cut)
    same(t, () => fast.responseDeserialize(b), () => ref.responseDeserialize(b), `cut at ${cut}`)
  }
  let differences = 0
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(good)
    const n = 1 + (i % 3)
    for (let k = 0; k < n; k++) b[crypto.randomInt(Math.min(b.length, 12))] = crypto.randomInt(256)
    let a: unknown, r: unknown
    let ea = false, er = false
    try { a = fast.responseDeserialize(b) } catch { ea = true }
    try { r = ref.responseDeserialize(b) } catch { er = true }
    if (ea !== er || (!er && JSON.stringify(a) !== JSON.stringify(r))) differences++
  }
  t.equal(differences, 0, '2,000 mutated messages decode the same (or fail the same) both ways')
})
