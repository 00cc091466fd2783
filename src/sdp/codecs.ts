// Codec facts for offer/answer, read from the codec registry the native core exports (one list:
// native/codec/codec_registry.cc via src/media/codec-registry.ts). The RTP clock rate is what SDP and RTP
// timestamps use; the sample rate is what the audio really is. G.722 is the famous mismatch: 16 kHz audio
// advertised and timestamped at 8000 (RFC 3551 §4.5.2); Opus is always opus/48000/2 (RFC 7587 §7).
import { audioCodecs, codecByName, codecByStaticPayloadType, type CodecEntry, type CodecName } from '../media/codec-registry'

export type { CodecName }

export interface SdpCodec {
  /** The registry's encoding name (as written in a=rtpmap). */
  name: CodecName
  /** RFC 3551 table 4 static payload type, or null for a dynamic codec. */
  staticPayloadType: number | null
  /** The payload type we offer: the static one, else the registry's dynamic default. */
  offerPayloadType: number
  rtpClock: number
  sampleRate: number
  /** a=rtpmap encoding parameter: written when not 1 (opus/48000/2). */
  channels: number
  /** Our a=fmtp for it ('' for none). */
  fmtp: string
  ptimes: readonly number[]
}

function toSdp (c: CodecEntry): SdpCodec {
  return {
    name: c.name,
    staticPayloadType: c.payloadType,
    offerPayloadType: c.payloadType ?? c.defaultDynamicPayloadType ?? 96,
    rtpClock: c.clockRate,
    sampleRate: c.sampleRate,
    channels: c.channels,
    fmtp: c.fmtp,
    ptimes: c.ptimes
  }
}

/** The audio codec of the registry with this (case-insensitive) name, or undefined. */
export function sdpCodec (name: string): SdpCodec | undefined {
  const c = codecByName(name)
  return c?.isAudio === true ? toSdp(c) : undefined
}

/** The codec of an RFC 3551 static payload type, when the offer has no rtpmap for it. */
export function staticSdpCodec (pt: number): SdpCodec | undefined {
  const c = codecByStaticPayloadType(pt)
  return c?.isAudio === true ? toSdp(c) : undefined
}

/** Every audio codec the media core implements, in registry order. */
export function supportedCodecNames (): CodecName[] {
  return audioCodecs().map(c => c.name)
}

/**
 * Default preference: wideband first, then the two G.711 laws. Opus is answered when a peer offers it and
 * a trunk lists it (`codecs`), but not offered by default: an extra dynamic codec in every offer changes
 * what long-deployed PBX peers see.
 */
export const DEFAULT_CODEC_PREFERENCE: readonly CodecName[] = ['G722', 'PCMU', 'PCMA']

/** RFC 4733 §7.1.1 media subtype for DTMF events. */
export const TELEPHONE_EVENT = 'telephone-event'
/** Dynamic payload type we use for telephone-event when we make the offer (common practice). */
export const DEFAULT_TELEPHONE_EVENT_PT = 101
/** RFC 4733 §3.2: events 0-15 are the DTMF digits 0-9 * # A-D, which is what we send and detect. */
export const TELEPHONE_EVENT_FMTP = '0-15'

export function isCodecName (s: string): s is CodecName {
  return sdpCodec(s) !== undefined
}

/** RFC 7587 §6.1 Opus parameters of the peer's a=fmtp that steer our encoder. */
export interface EncoderFmtp { inbandFec: boolean, maxPlaybackRate?: number }

/** Reads `key=value;key=value` fmtp parameters (RFC 8866 §6.15; names case-insensitive). */
export function parseFmtpParameters (parameters: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of parameters.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim())
  }
  return out
}

/** What the peer's fmtp for the chosen codec asks of our encoder (useinbandfec, maxplaybackrate). */
export function encoderFmtp (parameters: string | undefined): EncoderFmtp {
  const p = parseFmtpParameters(parameters ?? '')
  const rate = Number(p.get('maxplaybackrate'))
  const out: EncoderFmtp = { inbandFec: p.get('useinbandfec') === '1' }
  if (Number.isInteger(rate) && rate >= 8000 && rate <= 48000) out.maxPlaybackRate = rate
  return out
}
