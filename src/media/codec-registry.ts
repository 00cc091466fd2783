// The codec registry as the native addon exports it (native/codec/codec_registry.cc): the ONE list of
// codecs. SDP negotiation (src/sdp/codecs.ts) and the media facade (media-args.ts, dsp.ts) read it here;
// nothing in TypeScript lists codecs again. Adding a codec = one native encoder/decoder pair + one row in
// the native table; it then shows up in offers, answers and setCodec() without a TypeScript change.
import { loadAddon } from './native'

export interface CodecEntry {
  /** Index in the native table (the id the DSP bindings take). */
  readonly id: number
  /** SDP encoding name as written in a=rtpmap (RFC 3551 §6, RFC 4733 §7, RFC 7587 §7). */
  readonly name: string
  /** RFC 3551 table 4 static payload type, or null for a dynamic codec. */
  readonly payloadType: number | null
  /** The dynamic payload type we offer for it (common practice: opus 111, telephone-event 101). */
  readonly defaultDynamicPayloadType: number | null
  /** What the audio really is (G.722: 16000). */
  readonly sampleRate: number
  /** RTP timestamp rate, the rate in a=rtpmap (G.722: 8000, RFC 3551 §4.5.2; Opus: 48000). */
  readonly clockRate: number
  /** a=rtpmap encoding parameter (Opus: 2 by definition, RFC 7587 §7). */
  readonly channels: number
  readonly frameSamplesPer10ms: number
  /** Encoded octets per 10 ms; 0 for variable-rate codecs. */
  readonly bytesPer10ms: number
  readonly maxPayload: number
  /** Packetisations (ms) we can send with. */
  readonly ptimes: readonly number[]
  /** a=fmtp we offer and answer with ('' for none). */
  readonly fmtp: string
  readonly isAudio: boolean
}

/** A codec name from the registry (e.g. 'PCMU', 'G722', 'opus'); checked at run time against the registry. */
export type CodecName = string

let table: readonly CodecEntry[] | undefined

/** Every codec the native core implements, telephone-event included. */
export function codecRegistry (): readonly CodecEntry[] {
  table ??= loadAddon().codecs
  return table
}

/** Audio codecs only (what setCodec accepts and SDP may choose). */
export function audioCodecs (): readonly CodecEntry[] {
  return codecRegistry().filter(c => c.isAudio)
}

/** Case-insensitive lookup by encoding name (RFC 4855 §3: media subtype names are case-insensitive). */
export function codecByName (name: string): CodecEntry | undefined {
  const lower = name.toLowerCase()
  return codecRegistry().find(c => c.name.toLowerCase() === lower)
}

export function codecByStaticPayloadType (pt: number): CodecEntry | undefined {
  return codecRegistry().find(c => c.payloadType === pt)
}
