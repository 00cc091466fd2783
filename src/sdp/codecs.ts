// Codec facts for offer/answer, as data (STYLE.md). The RTP clock rate is what SDP and RTP
// timestamps use; the sample rate is what the audio really is. G.722 is the famous mismatch:
// 16 kHz audio advertised and timestamped at 8000 (RFC 3551 §4.5.2, kept for compatibility).
// Mirrors native/codec/codec_registry.h; the native core owns the codecs themselves.

export type CodecName = 'G722' | 'PCMU' | 'PCMA'

export interface SdpCodec {
  name: CodecName
  /** RFC 3551 table 4 static payload type. */
  staticPayloadType: number
  rtpClock: number
  sampleRate: number
}

export const SDP_CODECS: Readonly<Record<CodecName, SdpCodec>> = {
  G722: { name: 'G722', staticPayloadType: 9, rtpClock: 8000, sampleRate: 16000 },
  PCMU: { name: 'PCMU', staticPayloadType: 0, rtpClock: 8000, sampleRate: 8000 },
  PCMA: { name: 'PCMA', staticPayloadType: 8, rtpClock: 8000, sampleRate: 8000 }
}

/** Default preference: wideband first, then the two G.711 laws. */
export const DEFAULT_CODEC_PREFERENCE: readonly CodecName[] = ['G722', 'PCMU', 'PCMA']

/** RFC 4733 §7.1.1 media subtype for DTMF events. */
export const TELEPHONE_EVENT = 'telephone-event'
/** Dynamic payload type we use for telephone-event when we make the offer (common practice). */
export const DEFAULT_TELEPHONE_EVENT_PT = 101
/** RFC 4733 §3.2: events 0-15 are the DTMF digits 0-9 * # A-D, which is what we send and detect. */
export const TELEPHONE_EVENT_FMTP = '0-15'

export function isCodecName (s: string): s is CodecName {
  return s === 'G722' || s === 'PCMU' || s === 'PCMA'
}
