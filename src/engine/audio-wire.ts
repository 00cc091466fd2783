// The Audio message's protobuf wire format, written and read by hand. Audio is almost every message
// on an engine stream (25 a second each way per call with 40 ms messages), and the generic
// protobufjs path (fromObject, a Writer with an op list, finish; decode then toObject) was a visible
// share of the gateway's JS thread at a few hundred calls (`npm run bench -- load calls`).
//
// Both GatewayMessage and EngineMessage carry Audio as field 2 of their `msg` oneof, and Audio is
// { uint64 seq = 1; bytes data = 2; } (proto/engine.proto). Encoding (https://protobuf.dev/programming-guides/encoding/):
//   0x12 <len> [0x08 <varint seq>] [0x12 <len> <data>]
// Anything else (another message, unknown fields, a packed surprise) returns null from the reader and
// goes to the generic decoder; the writer takes only the exact shape EngineCall and engines write.
// test/engine/audio-wire.test.ts checks both directions byte for byte against protobufjs.

/** Field 2, wire type 2 (LEN): the `audio` member of both oneofs, and Audio.data. */
const TAG_LEN_2 = 0x12
/** Field 1, wire type 0 (VARINT): Audio.seq. */
const TAG_VARINT_1 = 0x08
/** Varints longer than this are left to protobufjs: 7 bytes hold 49 bits, below 2^53. */
const MAX_FAST_VARINT_BYTES = 7

export interface AudioFields { seq: number; data: Buffer }

function varintSize (n: number): number {
  let size = 1
  while (n >= 0x80) { n = Math.floor(n / 128); size++ }
  return size
}

function writeVarint (out: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 128) | 0x80
    n = Math.floor(n / 128)
  }
  out[pos++] = n
  return pos
}

/** True when `data` and `seq` can be written by encodeAudio (else the generic serializer runs). */
export function isFastAudio (audio: { seq?: unknown; data?: unknown } | null | undefined): audio is AudioFields {
  if (audio === null || audio === undefined || !(audio.data instanceof Uint8Array)) return false
  const seq = audio.seq
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0
}

/**
 * The serialized GatewayMessage/EngineMessage `{ audio: { seq, data } }`, as protobufjs writes it
 * (seq and data both present, seq first).
 */
export function encodeAudio (seq: number, data: Uint8Array): Buffer {
  const inner = 1 + varintSize(seq) + 1 + varintSize(data.length) + data.length
  const out = Buffer.allocUnsafe(1 + varintSize(inner) + inner)
  let pos = 0
  out[pos++] = TAG_LEN_2
  pos = writeVarint(out, pos, inner)
  out[pos++] = TAG_VARINT_1
  pos = writeVarint(out, pos, seq)
  out[pos++] = TAG_LEN_2
  pos = writeVarint(out, pos, data.length)
  out.set(data, pos)
  return out
}

/** Reads a varint at pos: [value, next position], or null if truncated or too long for this path. */
function readVarint (buf: Buffer, pos: number, end: number): [number, number] | null {
  let value = 0
  let scale = 1
  for (let i = 0; i < MAX_FAST_VARINT_BYTES && pos < end; i++) {
    const b = buf[pos++]
    value += (b & 0x7f) * scale
    if (b < 0x80) return [value, pos]
    scale *= 128
  }
  return null
}

/**
 * The Audio of a serialized message that is exactly `audio` (field 2) holding only seq and data,
 * or null for anything else. `data` is a view into `buf`, not a copy. Repeated fields: the last one
 * wins, as protobuf parsers merge scalars and bytes.
 */
export function decodeAudio (buf: Buffer): AudioFields | null {
  const end = buf.length
  if (end < 2 || buf[0] !== TAG_LEN_2) return null
  const outer = readVarint(buf, 1, end)
  if (outer === null || outer[1] + outer[0] !== end) return null
  let pos = outer[1]
  let seq = 0
  let data: Buffer | null = null
  while (pos < end) {
    const tag = buf[pos++]
    if (tag === TAG_VARINT_1) {
      const v = readVarint(buf, pos, end)
      if (v === null) return null
      seq = v[0]
      pos = v[1]
    } else if (tag === TAG_LEN_2) {
      const v = readVarint(buf, pos, end)
      if (v === null || v[1] + v[0] > end) return null
      data = buf.subarray(v[1], v[1] + v[0])
      pos = v[1] + v[0]
    } else {
      return null
    }
  }
  return { seq, data: data ?? Buffer.alloc(0) }
}
