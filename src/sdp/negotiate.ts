// RFC 3264 offer/answer for one audio stream, under a trunk's media policy.
//
// Answer side (inbound calls, re-INVITEs): the first audio m= line we can accept is answered, every
// other m= line is rejected with port 0 (§6: same number of m= lines, same order). We answer with ONE
// codec plus telephone-event, so the media core never has to follow mid-stream codec switches
// (§6.1 lets the answerer list a subset).
//
// Media encryption (SDES, RFC 4568) by trunk mode:
//   disabled → RTP only; an SRTP-only offer gets 488.
//   allowed  → SRTP when the offer is RTP/SAVP(F), RTP when it is RTP/AVP(F).
//   required → SRTP only; an RTP offer gets 488 with a Warning.
// SDES carries the master keys in the SDP itself, so over plain TCP they travel in clear: refused
// (488 + Warning + a log line) unless the trunk sets allowSdesOverTcp.
//
// An RTP/AVP offer that carries a=crypto ("best-effort SRTP", Asterisk/FreeSWITCH style) is treated
// as plain RTP: RFC 4568 §3 defines a=crypto only for the secure RTP profiles.
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { SipError } from '../sip/sip-error'
import { rootLogger, type Logger } from '../log'
import { effectiveConnection, effectiveDirection } from './sdp-parser'
import { serializeSdp } from './sdp-serializer'
import {
  DEFAULT_CODEC_PREFERENCE, DEFAULT_TELEPHONE_EVENT_PT, encoderFmtp, sdpCodec, staticSdpCodec, TELEPHONE_EVENT,
  TELEPHONE_EVENT_FMTP, type CodecName, type EncoderFmtp, type SdpCodec
} from './codecs'
import { BASELINE_SUITES, keySaltLength, OFFER_SUITE_ORDER, srtpSuiteOf, type SrtpSuiteName } from './srtp-suites'
import type { SdesLifetime, SdpCrypto, SdpDirection, SdpMedia, SessionDescription } from './types'

export type MediaEncryptionMode = 'disabled' | 'allowed' | 'required'

export interface MediaPolicy {
  /** Preference order (registry names, case-insensitive); default G722, PCMU, PCMA. */
  codecs?: readonly CodecName[]
  mediaEncryption: MediaEncryptionMode
  allowSdesOverTcp: boolean
  /** Transport the SDP arrived / leaves on: SDES keys are only protected by TLS. */
  signallingTransport: 'udp' | 'tcp' | 'tls'
  /** Packetisation we send with; default the offer's a=ptime, else 20 ms. */
  ptime?: number
  /** Suites the native SRTP core reports (libsrtp2); default the two AES-CM suites. */
  supportedSuites?: readonly string[]
}

export interface LocalMedia {
  /** Our RTP address (IP literal) and port for this call. */
  address: string
  port: number
  /** warn-agent for Warning headers (RFC 3261 §20.43); default the address. */
  warningHost?: string
}

export interface SrtpParameters {
  suite: SrtpSuiteName
  /** The a=crypto tag of the selected line (RFC 4568 §6.1: the answer echoes it). */
  tag: number
  /** Our fresh master key||salt: protects what we send. */
  localKeySalt: Buffer
  /** The peer's master key||salt: unprotects what we receive. */
  remoteKeySalt: Buffer
  remoteLifetime?: SdesLifetime
}

export interface NegotiatedAudio {
  /** Index of the accepted m= line in the offer/answer. */
  mediaIndex: number
  proto: string
  codec: SdpCodec
  payloadType: number
  /** RFC 4733 events at the codec's RTP clock; null when the peer offered none (fall back to INFO/in-band). */
  telephoneEvent: { payloadType: number; clockRate: number } | null
  /** Milliseconds of audio per packet we send (one the codec allows). */
  ptime: number
  /** What the peer's a=fmtp for the codec asks of our encoder (Opus in-band FEC, max playback rate). */
  encoder: EncoderFmtp
  rtcpMux: boolean
  /** Our direction, as written in our SDP. */
  direction: SdpDirection
  remote: { address: string; port: number; rtcpAddress: string; rtcpPort: number }
  srtp: SrtpParameters | null
}

export interface OriginFields {
  username: string
  sessionId: string
  sessionVersion: bigint
}

export interface AnswerOptions {
  origin: OriginFields
  /** Put/keep the peer on hold: we do not send (RFC 3264 §8.4). */
  localHold?: boolean
  /** The previous negotiation of this dialog, to keep our SRTP key when the peer keeps theirs. */
  previous?: NegotiatedAudio | null
  log?: Logger
}

export interface AnswerResult {
  media: NegotiatedAudio
  answer: SessionDescription
  sdp: string
}

const PLAIN_PROTOS = new Set(['RTP/AVP', 'RTP/AVPF'])
const SECURE_PROTOS = new Set(['RTP/SAVP', 'RTP/SAVPF'])

/** RFC 3264 §6.1: the answer's direction mirrors the offer's. */
export function answerDirection (offered: SdpDirection): SdpDirection {
  switch (offered) {
    case 'sendonly': return 'recvonly'
    case 'recvonly': return 'sendonly'
    default: return offered
  }
}

/** Removes our sending side: used when we hold the peer. */
function withoutSend (d: SdpDirection): SdpDirection {
  if (d === 'sendrecv') return 'sendonly'
  if (d === 'recvonly') return 'inactive'
  return d
}

/** Removes the peer's receiving side (old-style hold, c=0.0.0.0, RFC 3264 §8.4). */
function withoutRemoteReceive (d: SdpDirection): SdpDirection {
  if (d === 'sendrecv') return 'sendonly'
  if (d === 'recvonly') return 'inactive'
  return d
}

function warning (code: number, host: string, text: string): { name: string; value: string } {
  return { name: 'Warning', value: `${code} ${host} "${text.replace(/"/g, "'")}"` }
}

function notAcceptable (code: string, detail: string, warn?: { name: string; value: string }): SipError {
  return new SipError(488, 'Not Acceptable Here', code, { detail, headers: warn ? [warn] : [] })
}

export function usableSuites (policy: MediaPolicy): SrtpSuiteName[] {
  const reported = policy.supportedSuites ?? BASELINE_SUITES
  return OFFER_SUITE_ORDER.filter(s => reported.includes(s))
}

/** The codec named by an offered format: its rtpmap, else the RFC 3551 static assignment. */
function codecOfFormat (m: SdpMedia, fmt: string): { name: string; clock: number; channels: number } | null {
  if (!/^[0-9]{1,3}$/.test(fmt)) return null
  const pt = Number(fmt)
  const map = m.rtpmaps.find(r => r.payloadType === pt)
  if (map) return { name: map.encodingName.toUpperCase(), clock: map.clockRate, channels: map.channels ?? 1 }
  const stat = staticSdpCodec(pt)
  return stat ? { name: stat.name.toUpperCase(), clock: stat.rtpClock, channels: stat.channels } : null
}

/** Whether an offered format is this registry codec: name, clock and channels (opus/48000/2, RFC 7587 §7). */
function isCodec (c: { name: string; clock: number; channels: number } | null, codec: SdpCodec): boolean {
  return c !== null && c.name === codec.name.toUpperCase() && c.clock === codec.rtpClock && c.channels === codec.channels
}

export function chooseCodec (m: SdpMedia, preference: readonly CodecName[]): { codec: SdpCodec; payloadType: number } | null {
  for (const name of preference) {
    const codec = sdpCodec(name)
    if (codec === undefined) continue
    for (const fmt of m.formats) {
      if (isCodec(codecOfFormat(m, fmt), codec)) return { codec, payloadType: Number(fmt) }
    }
  }
  return null
}

/** The peer's a=fmtp parameters for a payload type ('' when none). */
function fmtpOf (m: SdpMedia, pt: number): string {
  return m.fmtps.find(f => f.format === String(pt))?.parameters ?? ''
}

/**
 * The packetisation we send: the wanted one when the codec allows it, else the largest allowed one not
 * above it (a peer's a=ptime:30 on Opus gives 20), else the codec's smallest.
 */
export function codecPtime (codec: SdpCodec, wanted: number): number {
  if (codec.ptimes.includes(wanted)) return wanted
  const below = codec.ptimes.filter(p => p <= wanted)
  return below.length > 0 ? Math.max(...below) : Math.min(...codec.ptimes)
}

/** RFC 4733 §7.1.1: telephone-event must run at the clock of the audio codec it accompanies. */
export function chooseTelephoneEvent (m: SdpMedia, clock: number): { payloadType: number; clockRate: number } | null {
  for (const fmt of m.formats) {
    const c = codecOfFormat(m, fmt)
    if (c && c.name === TELEPHONE_EVENT.toUpperCase() && c.clock === clock) return { payloadType: Number(fmt), clockRate: clock }
  }
  return null
}

/**
 * RFC 4568 §7.1.2: the answerer picks one offered crypto line, in the offerer's order, whose suite,
 * key method and parameters it supports. Lines with several keys or an MKI are skipped: the native
 * SRTP core runs one master key per direction without MKI.
 */
function chooseCrypto (m: SdpMedia, suites: readonly SrtpSuiteName[], log: Logger): { crypto: SdpCrypto; suite: SrtpSuiteName } | null {
  for (const c of m.crypto) {
    const suite = srtpSuiteOf(c.suite)
    const why = ((): string | null => {
      if (suite === null || !suites.includes(suite)) return `suite ${c.suite} not supported`
      if (c.keyParams.length !== 1) return 'more than one key (MKI rollover) not supported'
      const k = c.keyParams[0]
      if (k.method !== 'inline') return `key method ${k.method} not supported`
      if (k.mki) return 'MKI not supported'
      if (k.keySalt.length !== keySaltLength(suite)) return `key||salt is ${k.keySalt.length} bytes, ${suite} needs ${keySaltLength(suite)}`
      // §6.3: an answerer must not accept a line whose session parameters it does not understand;
      // FEC_ORDER=FEC_SRTP is the default ordering, so harmless (an ABNF literal: any case).
      const unknown = c.sessionParams.filter(p => p.toUpperCase() !== 'FEC_ORDER=FEC_SRTP')
      if (unknown.length > 0) return `session parameters ${unknown.join(' ')} not supported`
      return null
    })()
    if (why === null && suite !== null) return { crypto: c, suite }
    log.debug({ tag: c.tag, suite: c.suite, why }, 'SDES crypto line skipped')
  }
  return null
}

interface Candidate { media: NegotiatedAudio; offerCrypto: SdpCrypto | null }

function evaluateAudio (offer: SessionDescription, index: number, policy: MediaPolicy, local: LocalMedia, opts: AnswerOptions, log: Logger): Candidate {
  const m = offer.media[index]
  const host = local.warningHost ?? local.address
  const secure = SECURE_PROTOS.has(m.proto)
  if (!secure && !PLAIN_PROTOS.has(m.proto)) {
    throw notAcceptable('SIP_ERR_SDP_UNSUPPORTED_PROTO', `m=audio transport ${m.proto} is not supported (RTP/AVP, RTP/AVPF, RTP/SAVP, RTP/SAVPF)`,
      warning(302, host, `Incompatible transport protocol ${m.proto}`))
  }
  if (!secure && policy.mediaEncryption === 'required') {
    throw notAcceptable('SIP_ERR_SRTP_REQUIRED', `this trunk requires SRTP but the offer is ${m.proto}`,
      warning(399, host, 'SRTP (RTP/SAVP with a=crypto) required by this trunk'))
  }
  if (secure && policy.mediaEncryption === 'disabled') {
    throw notAcceptable('SIP_ERR_SRTP_DISABLED', `media encryption is disabled on this trunk but the offer is ${m.proto}`,
      warning(399, host, 'SRTP not enabled on this trunk, offer RTP/AVP'))
  }
  if (secure && policy.signallingTransport !== 'tls' && !policy.allowSdesOverTcp) {
    log.warn({ proto: m.proto }, 'SDES offer over unencrypted signalling refused: the SRTP master keys would travel in clear (use TLS or set allow_sdes_over_tcp)')
    throw notAcceptable('SIP_ERR_SDES_OVER_TCP', `SDES keys over unencrypted ${policy.signallingTransport.toUpperCase()} signalling are refused by this trunk`,
      warning(399, host, 'SDES requires TLS signalling on this trunk'))
  }
  const preference = policy.codecs ?? DEFAULT_CODEC_PREFERENCE
  const chosen = chooseCodec(m, preference)
  if (!chosen) {
    throw notAcceptable('SIP_ERR_SDP_NO_COMMON_CODEC', `no common codec: offered ${m.formats.join(' ')}, we accept ${preference.join(', ')}`,
      warning(305, host, `Incompatible media format, supported: ${preference.join(' ')}`))
  }
  let srtp: SrtpParameters | null = null
  let offerCrypto: SdpCrypto | null = null
  if (secure) {
    const suites = usableSuites(policy)
    const pick = chooseCrypto(m, suites, log)
    if (!pick) {
      throw notAcceptable('SIP_ERR_SRTP_NO_SUITE', `no usable a=crypto line; offered ${m.crypto.map(c => c.suite).join(', ') || 'none'}, supported ${suites.join(', ')}`,
        warning(399, host, `No supported SRTP crypto suite, supported: ${suites.join(' ')}`))
    }
    offerCrypto = pick.crypto
    const remoteKey = pick.crypto.keyParams[0]
    const prev = opts.previous?.srtp
    // Keep our key when the peer keeps its suite and key (a re-INVITE that only changes direction
    // or codec); otherwise a fresh key, so a new peer key never pairs with an old stream of ours.
    const keep = prev && prev.suite === pick.suite && prev.remoteKeySalt.equals(remoteKey.keySalt)
    srtp = {
      suite: pick.suite,
      tag: pick.crypto.tag,
      localKeySalt: keep ? prev.localKeySalt : randomBytes(keySaltLength(pick.suite)),
      remoteKeySalt: remoteKey.keySalt
    }
    if (remoteKey.lifetime) srtp.remoteLifetime = remoteKey.lifetime
  }
  const conn = effectiveConnection(offer, m)
  if (!conn || isIP(conn.address) === 0) {
    throw notAcceptable('SIP_ERR_SDP_UNSUPPORTED', `m=audio connection address "${conn?.address ?? ''}" is not an IP literal`,
      warning(301, host, 'Incompatible network address format, use an IP address'))
  }
  let offered = effectiveDirection(offer, m)
  if (conn.address === '0.0.0.0' || conn.address === '::') offered = withoutRemoteReceive(offered)
  let direction = answerDirection(offered)
  if (opts.localHold) direction = withoutSend(direction)
  let ptime = policy.ptime ?? m.ptime ?? 20
  if (m.maxptime !== undefined && ptime > m.maxptime) ptime = m.maxptime
  ptime = codecPtime(chosen.codec, ptime)
  return {
    offerCrypto,
    media: {
      mediaIndex: index,
      proto: m.proto,
      codec: chosen.codec,
      payloadType: chosen.payloadType,
      telephoneEvent: chooseTelephoneEvent(m, chosen.codec.rtpClock),
      ptime,
      encoder: encoderFmtp(fmtpOf(m, chosen.payloadType)),
      rtcpMux: m.rtcpMux,
      direction,
      remote: {
        address: conn.address,
        port: m.port,
        // RFC 5761 §5.1.3: with rtcp-mux RTCP shares the RTP port; else RFC 3605 a=rtcp, else port+1.
        rtcpAddress: m.rtcp?.address ?? conn.address,
        rtcpPort: m.rtcpMux ? m.port : (m.rtcp?.port ?? m.port + 1)
      },
      srtp
    }
  }
}

function addrType (address: string): 'IP4' | 'IP6' {
  return isIP(address) === 6 ? 'IP6' : 'IP4'
}

function rtpmapOf (codec: SdpCodec, pt: number): SdpMedia['rtpmaps'][number] {
  const map: SdpMedia['rtpmaps'][number] = { payloadType: pt, encodingName: codec.name, clockRate: codec.rtpClock }
  if (codec.channels !== 1) map.channels = codec.channels
  return map
}

/** Builds the m= section for our side of a negotiated stream (used by answers and re-offers). */
export function localAudioSection (n: NegotiatedAudio, local: LocalMedia): SdpMedia {
  const formats = [String(n.payloadType)]
  const m: SdpMedia = {
    media: 'audio', port: local.port, proto: n.proto, formats, otherLines: [], bandwidths: [],
    rtpmaps: [rtpmapOf(n.codec, n.payloadType)],
    fmtps: n.codec.fmtp !== '' ? [{ format: String(n.payloadType), parameters: n.codec.fmtp }] : [],
    ptime: n.ptime, rtcpMux: n.rtcpMux, direction: n.direction, crypto: [], attributes: []
  }
  if (n.telephoneEvent) {
    formats.push(String(n.telephoneEvent.payloadType))
    m.rtpmaps.push({ payloadType: n.telephoneEvent.payloadType, encodingName: TELEPHONE_EVENT, clockRate: n.telephoneEvent.clockRate })
    m.fmtps.push({ format: String(n.telephoneEvent.payloadType), parameters: TELEPHONE_EVENT_FMTP })
  }
  if (n.srtp) {
    m.crypto.push({
      tag: n.srtp.tag,
      suite: n.srtp.suite,
      keyParams: [{ method: 'inline', keySalt: n.srtp.localKeySalt, keyInfo: n.srtp.localKeySalt.toString('base64') }],
      sessionParams: []
    })
  }
  return m
}

export function localDescription (origin: OriginFields, local: LocalMedia, media: SdpMedia[]): SessionDescription {
  const type = addrType(local.address)
  return {
    version: 0,
    origin: { ...origin, netType: 'IN', addrType: type, address: local.address },
    sessionName: '-',
    otherLines: [],
    connection: { netType: 'IN', addrType: type, address: local.address },
    bandwidths: [],
    timing: [{ start: '0', stop: '0' }],
    attributes: [],
    media
  }
}

/**
 * Answers an offer (RFC 3264 §6). Throws SipError 488 (with a Warning header where a peer can act
 * on it) when no audio stream is acceptable; the error of the first audio m= line is reported.
 */
export function answerOffer (offer: SessionDescription, policy: MediaPolicy, local: LocalMedia, opts: AnswerOptions): AnswerResult {
  const log = opts.log ?? rootLogger
  let chosen: Candidate | null = null
  let firstError: unknown = null
  for (let i = 0; i < offer.media.length && !chosen; i++) {
    const m = offer.media[i]
    if (m.media !== 'audio' || m.port === 0) continue
    try {
      chosen = evaluateAudio(offer, i, policy, local, opts, log)
    } catch (err) {
      firstError ??= err
    }
  }
  if (!chosen) {
    if (firstError) throw firstError
    throw notAcceptable('SIP_ERR_SDP_NO_AUDIO', 'the offer has no active m=audio stream',
      warning(304, local.warningHost ?? local.address, 'Media type not available, offer m=audio'))
  }
  const media = chosen.media
  const sections = offer.media.map((m, i): SdpMedia => {
    if (i === media.mediaIndex) return localAudioSection(media, local)
    // §6: a rejected stream keeps its media type and transport, port 0, and at least one format.
    return {
      media: m.media, port: 0, proto: m.proto, formats: [m.formats[0]], otherLines: [], bandwidths: [],
      rtpmaps: [], fmtps: [], rtcpMux: false, crypto: [], attributes: []
    }
  })
  const answer = localDescription(opts.origin, local, sections)
  return { media, answer, sdp: serializeSdp(answer) }
}

export interface OfferOptions {
  origin: OriginFields
  /** Hold the peer (sendonly) or pause both ways (inactive); default sendrecv. */
  direction?: SdpDirection
  /** Keep these keys (re-offer in a dialog that already runs SRTP) instead of drawing new ones. */
  keys?: ReadonlyMap<SrtpSuiteName, Buffer>
  /**
   * Offer SRTP (RTP/SAVP) or not; default: only when the trunk requires it. A re-offer in an
   * established dialog passes what the dialog runs, so `allowed` never drops SRTP on a re-INVITE.
   */
  secure?: boolean
}

/** What we offered, needed to read the answer. */
export interface PendingOffer {
  proto: string
  payloadTypes: ReadonlyMap<number, SdpCodec>
  telephoneEventPt: number
  ptime: number
  direction: SdpDirection
  /** Our key per offered crypto tag. */
  crypto: ReadonlyMap<number, { suite: SrtpSuiteName; keySalt: Buffer }>
}

export interface OfferResult {
  offer: SessionDescription
  sdp: string
  pending: PendingOffer
}

/**
 * Builds an offer for an outbound call or a re-offer. Choice for `allowed`: we offer plain RTP/AVP.
 * Offering RTP/SAVP would make every peer without SRTP reject the call (488) and a second INVITE
 * would be needed; RTP/AVP with a=crypto is not defined by RFC 4568. So `allowed` means "SRTP when
 * the peer offers it" (inbound), and outbound SRTP needs `required`, which offers RTP/SAVP.
 */
export function createOffer (policy: MediaPolicy, local: LocalMedia, opts: OfferOptions): OfferResult {
  const secure = policy.mediaEncryption === 'required' || (opts.secure === true && policy.mediaEncryption !== 'disabled')
  if (secure && policy.signallingTransport !== 'tls' && !policy.allowSdesOverTcp) {
    throw notAcceptable('SIP_ERR_SDES_OVER_TCP', `this trunk requires SRTP but signals over plain ${policy.signallingTransport.toUpperCase()}, where SDES keys would travel in clear (use TLS or set allow_sdes_over_tcp)`)
  }
  const preference = policy.codecs ?? DEFAULT_CODEC_PREFERENCE
  const ptime = policy.ptime ?? 20
  const direction = opts.direction ?? 'sendrecv'
  const payloadTypes = new Map<number, SdpCodec>()
  const m: SdpMedia = {
    media: 'audio', port: local.port, proto: secure ? 'RTP/SAVP' : 'RTP/AVP', formats: [], otherLines: [], bandwidths: [],
    rtpmaps: [], fmtps: [], ptime, rtcpMux: false, direction, crypto: [], attributes: []
  }
  const clocks: number[] = []
  for (const name of preference) {
    const c = sdpCodec(name)
    if (c === undefined || payloadTypes.has(c.offerPayloadType)) continue
    payloadTypes.set(c.offerPayloadType, c)
    m.formats.push(String(c.offerPayloadType))
    m.rtpmaps.push(rtpmapOf(c, c.offerPayloadType))
    if (c.fmtp !== '') m.fmtps.push({ format: String(c.offerPayloadType), parameters: c.fmtp })
    if (!clocks.includes(c.rtpClock)) clocks.push(c.rtpClock)
  }
  // RFC 4733 §7.1.1: telephone-event at the clock of each audio codec offered (8000; 48000 with Opus).
  if (!clocks.includes(8000)) clocks.unshift(8000)
  clocks.sort((a, b) => a - b).forEach((clock, i) => {
    const pt = DEFAULT_TELEPHONE_EVENT_PT + i
    m.formats.push(String(pt))
    m.rtpmaps.push({ payloadType: pt, encodingName: TELEPHONE_EVENT, clockRate: clock })
    m.fmtps.push({ format: String(pt), parameters: TELEPHONE_EVENT_FMTP })
  })
  const crypto = new Map<number, { suite: SrtpSuiteName; keySalt: Buffer }>()
  if (secure) {
    usableSuites(policy).forEach((suite, i) => {
      const keySalt = opts.keys?.get(suite) ?? randomBytes(keySaltLength(suite))
      crypto.set(i + 1, { suite, keySalt })
      m.crypto.push({ tag: i + 1, suite, keyParams: [{ method: 'inline', keySalt, keyInfo: keySalt.toString('base64') }], sessionParams: [] })
    })
  }
  const offer = localDescription(opts.origin, local, [m])
  return {
    offer,
    sdp: serializeSdp(offer),
    pending: { proto: m.proto, payloadTypes, telephoneEventPt: DEFAULT_TELEPHONE_EVENT_PT, ptime, direction, crypto }
  }
}

/**
 * Reads the answer to our offer (RFC 3264 §6, §7). A rejected stream, a codec or crypto tag we
 * did not offer, or a changed transport is a failed negotiation: SipError 488 for the call layer,
 * which ends the call (ACK + BYE).
 */
export function acceptAnswer (pending: PendingOffer, answer: SessionDescription): NegotiatedAudio {
  const m = answer.media[0]
  const fail = (code: string, detail: string): SipError => notAcceptable(code, detail)
  if (!m || m.media !== 'audio') throw fail('SIP_ERR_SDP_ANSWER_MISMATCH', 'the answer has no m=audio as its first stream')
  if (m.port === 0) throw fail('SIP_ERR_SDP_ANSWER_REJECTED', 'the peer rejected the audio stream (port 0)')
  if (m.proto !== pending.proto) throw fail('SIP_ERR_SDP_ANSWER_MISMATCH', `answer transport ${m.proto} differs from offered ${pending.proto}`)
  let chosen: { codec: SdpCodec; payloadType: number } | null = null
  for (const fmt of m.formats) {
    const c = codecOfFormat(m, fmt)
    const ours = pending.payloadTypes.get(Number(fmt))
    if (ours && isCodec(c, ours)) { chosen = { codec: ours, payloadType: Number(fmt) }; break }
  }
  if (!chosen) throw fail('SIP_ERR_SDP_NO_COMMON_CODEC', `answer formats ${m.formats.join(' ')} contain no codec we offered`)
  let srtp: SrtpParameters | null = null
  if (SECURE_PROTOS.has(m.proto)) {
    const c = m.crypto[0]
    const ours = c ? pending.crypto.get(c.tag) : undefined
    // RFC 4568 §7.1.3: exactly one crypto line, with a tag and suite from the offer.
    if (!c || m.crypto.length !== 1 || !ours || ours.suite !== srtpSuiteOf(c.suite)) {
      throw fail('SIP_ERR_SRTP_NO_SUITE', 'the answer must carry one a=crypto line with an offered tag and suite')
    }
    const k = c.keyParams[0]
    if (c.keyParams.length !== 1 || k.method !== 'inline' || k.mki || k.keySalt.length !== keySaltLength(ours.suite)) {
      throw fail('SIP_ERR_SRTP_NO_SUITE', `the answer's a=crypto key is unusable (one inline key of ${keySaltLength(ours.suite)} bytes, no MKI)`)
    }
    srtp = { suite: ours.suite, tag: c.tag, localKeySalt: ours.keySalt, remoteKeySalt: k.keySalt }
    if (k.lifetime) srtp.remoteLifetime = k.lifetime
  }
  const conn = effectiveConnection(answer, m)
  if (!conn || isIP(conn.address) === 0) throw fail('SIP_ERR_SDP_UNSUPPORTED', `answer address "${conn?.address ?? ''}" is not an IP literal`)
  const theirs = effectiveDirection(answer, m)
  return {
    mediaIndex: 0,
    proto: m.proto,
    codec: chosen.codec,
    payloadType: chosen.payloadType,
    telephoneEvent: chooseTelephoneEvent(m, chosen.codec.rtpClock),
    ptime: codecPtime(chosen.codec, m.ptime ?? pending.ptime),
    encoder: encoderFmtp(fmtpOf(m, chosen.payloadType)),
    rtcpMux: false,
    direction: answerDirection(theirs),
    remote: { address: conn.address, port: m.port, rtcpAddress: m.rtcp?.address ?? conn.address, rtcpPort: m.rtcp?.port ?? m.port + 1 },
    srtp
  }
}
