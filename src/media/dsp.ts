// Typed facade over the native DSP building blocks (exports.dsp of trunkgate_media.node): codecs, resampler,
// RTP/RTCP, RFC 4733, SRTP, DTMF, jitter buffer, mixer. Pure functions for tests and tools; the media threads
// use the same C++ classes directly. Arguments are checked HERE, before anything crosses into C++, and bad
// ones throw TypeError/RangeError with the exact messages below (tests assert them).
import path from 'node:path'
import { audioCodecs, codecByName, type CodecName } from './codec-registry'

export type { CodecName }
export type G711Law = 'ulaw' | 'alaw'
export type SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM' | 'AEAD_AES_256_GCM' |
  'AES_256_CM_HMAC_SHA1_80' | 'AES_256_CM_HMAC_SHA1_32'
export type SrtpError = 'auth-fail' | 'replay-fail' | 'replay-old' | 'no-space' | 'bad-param' | 'unsupported' | 'not-ready' | 'error'
export type RtpParseError = 'too-short' | 'bad-version' | 'bad-padding' | 'bad-extension'
export type RtcpParseError = 'too-short' | 'bad-version' | 'bad-length' | 'not-sr-or-rr-first' | 'bad-padding'

export interface CodecInfo {
  name: string, payloadType: number, sampleRate: number, rtpClock: number, frameSamplesPer10ms: number
  bytesPer10ms: number, isAudio: boolean, decodeChain: string, encodeChain: string
}
export interface RtpHeaderFields {
  marker?: boolean, payloadType: number, sequence: number, timestamp: number, ssrc: number, csrc?: number[]
  extensionProfile?: number, extensionData?: Uint8Array
}
export interface RtpPacket extends Required<Omit<RtpHeaderFields, 'extensionProfile' | 'extensionData'>> {
  version: number, padding: boolean, extension: boolean, extensionProfile?: number, extensionData?: Buffer
  headerLength: number, paddingLength: number, payload: Buffer
}
export interface TelephoneEvent { event: number, end: boolean, volume: number, duration: number }
export interface RtcpReportBlock {
  ssrc: number, fractionLost: number, cumulativeLost: number, extendedHighestSeq: number, jitter: number
  lastSr: number, delaySinceLastSr: number
}
export interface RtcpReport {
  type: 'sr' | 'rr', ssrc: number, blocks: RtcpReportBlock[], cname?: string | null, bye?: boolean
  ntpSeconds?: number, ntpFraction?: number, rtpTimestamp?: number, packetCount?: number, octetCount?: number
}
export interface DtmfOptions { toneMs?: number, gapMs?: number, volume?: number }
export interface DtmfEventOptions extends DtmfOptions { payloadType?: number, ssrc?: number, sequence?: number, timestamp?: number, eventClock?: number }
export interface DetectedDigit { digit: string, startMs: number, durationMs: number }
export interface ReceivedDigit { digit: string, event: number, timestamp: number, durationUnits: number, durationMs: number, endSeen: boolean }
export interface JitterConfig { minDelayMs?: number, maxDelayMs?: number, windowMs?: number, quantile?: number, maxConcealMs?: number }
export interface JitterTracePacket { seq: number, ts: number, ssrc?: number, marker?: boolean, arrivalUs: number, payload: Uint8Array }
export interface JitterStats {
  currentDelayMs: number, targetDelayMs: number, pushed: number, played: number, lateLosses: number, lost: number
  concealedSamples: number, underflows: number, overflows: number, duplicates: number, reorders: number
  droppedFrames: number, insertedFrames: number, resets: number, decodeErrors: number, fecFrames: number
}
export type FrameKind = 'audio' | 'concealed' | 'empty'
export type PushResult = 'accepted' | 'duplicate' | 'late' | 'too-large' | 'overflow'
export interface JitterRunResult {
  kinds: FrameKind[], currentDelayMs: number[], targetDelayMs: number[], pushResults: PushResult[], pcm: Int16Array, stats: JitterStats
}
export type SrtpResult = { ok: true, packet: Buffer } | { ok: false, error: SrtpError }

interface NativeSrtp {
  setOutbound (suite: string, key: Uint8Array, mki?: Uint8Array): string
  setInbound (suite: string, key: Uint8Array, window: number, mki?: Uint8Array): string
  protectRtp (p: Uint8Array, cap?: number): Buffer | string
  unprotectRtp (p: Uint8Array): Buffer | string
  protectRtcp (p: Uint8Array, cap?: number): Buffer | string
  unprotectRtcp (p: Uint8Array): Buffer | string
}
interface NativeReceiveStats {
  onPacket (seq: number, ts: number, arrivalUs: number): boolean
  onSenderReport (ntpSeconds: number, ntpFraction: number, arrivalUs: number): void
  makeReportBlock (nowUs: number): RtcpReportBlock
  snapshot (): ReceiveStatsSnapshot
}
interface NativeMixer {
  join (): number, leave (id: number): void, setWhisper (id: number, listener: number): boolean
  setMuted (id: number, muted: boolean): void, setInput (id: number, pcm: Int16Array): boolean, mix (): void
  output (id: number): Buffer | null
}
interface NativeDsp {
  g711Encode (law: number, pcm: Int16Array): Buffer
  g711Decode (law: number, codes: Uint8Array): Buffer
  codecEncode (id: number, pcm: Int16Array, frame: number): Buffer
  codecDecode (id: number, payload: Uint8Array, packet: number): Buffer
  codecInfo (id: number): CodecInfo
  resample (dir: number, pcm: Int16Array, chunk: number): Buffer
  resampleRate (inRate: number, outRate: number, pcm: Int16Array, chunk: number): Buffer
  rtpParse (p: Uint8Array): Omit<RtpPacket, never> | string
  rtpMarshal (h: RtpHeaderFields, payload: Uint8Array): Buffer
  telephoneEventParse (p: Uint8Array): (TelephoneEvent & { digit: string }) | null
  telephoneEventBuild (e: TelephoneEvent): Buffer
  rtcpParse (p: Uint8Array): RtcpReport | string
  rtcpBuild (r: RtcpReport): Buffer
  rttFromReport (arrivalNtpMiddle: number, lsr: number, dlsr: number): number
  dtmfGeneratePcm (digits: string, o: DtmfOptions): Buffer | number
  dtmfGenerateEvents (digits: string, o: DtmfEventOptions): Array<{ tick: number, packet: Buffer }> | number
  dtmfDetect (pcm: Int16Array, chunk: number): DetectedDigit[]
  dtmfReceive (packets: Array<{ packet: Uint8Array, arrivalUs: number }>, endUs: number): ReceivedDigit[]
  jitterRun (id: number, cfg: JitterConfig, trace: JitterTracePacket[], firstPopUs: number, pops: number): {
    kinds: Buffer, delays: Buffer, targets: Buffer, pushResults: Buffer, pcm: Buffer, stats: JitterStats
  }
  SrtpSession: new () => NativeSrtp
  RtpReceiveStats: new (clock: number, ssrc: number) => NativeReceiveStats
  Mixer: new (max: number, frame: number) => NativeMixer
  supportedSrtpSuites (): string[]
  srtpSuiteInfo (s: string): { keyLength: number, saltLength: number, rtpOverhead: number, rtcpOverhead: number, supported: boolean } | null
  bench (name: string, iterations: number): number
}

let native: NativeDsp | undefined
function dsp (): NativeDsp {
  if (native === undefined) {
    // src/media or dist/src/media: the repo root is two (or three) levels up.
    const root = __dirname.includes(`${path.sep}dist${path.sep}`) ? path.resolve(__dirname, '..', '..', '..') : path.resolve(__dirname, '..', '..')
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    native = (require(path.join(root, 'build', 'Release', 'trunkgate_media.node')) as { dsp: NativeDsp }).dsp
  }
  return native
}

const SUITES: readonly SrtpSuiteName[] = [
  'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM', 'AES_256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32'
]
const FRAME_KINDS: FrameKind[] = ['audio', 'concealed', 'empty']
const PUSH_RESULTS: PushResult[] = ['accepted', 'duplicate', 'late', 'too-large', 'overflow']

// ---- argument checks (exact messages are part of the contract) ----
function checkPcm (pcm: unknown, name = 'pcm'): asserts pcm is Int16Array {
  if (!(pcm instanceof Int16Array)) throw new TypeError(`${name} must be an Int16Array`)
}
function checkBytes (b: unknown, name: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Buffer or Uint8Array`)
}
function checkInt (v: unknown, name: string, min: number, max: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer ${min}..${max}`)
}
// The registry's id for an audio codec (dsp bindings take ids).
function codecId (codec: unknown): number {
  const c = typeof codec === 'string' ? codecByName(codec) : undefined
  if (c === undefined || !c.isAudio) throw new TypeError(`codec must be one of ${audioCodecs().map(a => a.name).join(', ')}`)
  return c.id
}
function lawId (law: unknown): number {
  if (law !== 'ulaw' && law !== 'alaw') throw new TypeError("law must be 'ulaw' or 'alaw'")
  return law === 'ulaw' ? 0 : 1
}
function asInt16 (b: Buffer): Int16Array {
  // Buffers made by Napi::Buffer::Copy own their ArrayBuffer at offset 0; copy if one ever is not aligned.
  if (b.byteOffset % 2 !== 0) return new Int16Array(new Uint8Array(b).buffer)
  return new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2)
}

// ---- codecs ----
/** G.711 at its own 8 kHz rate (no resampling): the bit-exact ITU-T G.191 table lookup. */
export function g711Encode (law: G711Law, pcm8k: Int16Array): Buffer {
  const l = lawId(law); checkPcm(pcm8k, 'pcm8k')
  return dsp().g711Encode(l, pcm8k)
}
export function g711Decode (law: G711Law, codes: Uint8Array): Int16Array {
  const l = lawId(law); checkBytes(codes, 'codes')
  return asInt16(dsp().g711Decode(l, codes))
}
/** 16 kHz in, RTP payload octets out, through one encoder fed frame by frame (G.711 includes 16k->8k). */
export function encode (codec: CodecName, pcm16k: Int16Array, frameSamples = 320): Buffer {
  const id = codecId(codec); checkPcm(pcm16k, 'pcm16k')
  if (!Number.isInteger(frameSamples) || frameSamples <= 0 || frameSamples % 2 !== 0) throw new RangeError('frameSamples must be a positive even integer')
  if (pcm16k.length % 2 !== 0) throw new RangeError('pcm16k must hold an even number of samples')
  return dsp().codecEncode(id, pcm16k, frameSamples)
}
/** RTP payload octets in, 16 kHz out, decoded packet by packet of packetBytes (G.711 includes 8k->16k). */
export function decode (codec: CodecName, payload: Uint8Array, packetBytes = 160): Int16Array {
  const id = codecId(codec); checkBytes(payload, 'payload')
  checkInt(packetBytes, 'packetBytes', 1, 65535)
  return asInt16(dsp().codecDecode(id, payload, packetBytes))
}
export function codecInfo (codec: CodecName | 'telephone-event'): CodecInfo {
  return dsp().codecInfo(codec === 'telephone-event' ? (codecByName('telephone-event')?.id ?? 3) : codecId(codec))
}
/** The rates the rational converter joins: G.711 / μ-law engines, internal, 24 kHz engines, Opus/WebRTC. */
export type AudioRate = 8000 | 16000 | 24000 | 48000
const RATES: readonly number[] = [8000, 16000, 24000, 48000]

/**
 * Streaming rational polyphase converter between any two of 8, 16, 24 and 48 kHz; `chunk` splits the input to
 * exercise chunk boundaries (default: one call).
 */
export function convertRate (from: AudioRate, to: AudioRate, pcm: Int16Array, chunk?: number): Int16Array {
  if (!RATES.includes(from) || !RATES.includes(to) || from === to) throw new RangeError('rates must be two different of 8000, 16000, 24000, 48000')
  checkPcm(pcm)
  if (chunk !== undefined) checkInt(chunk, 'chunk', 1, 1 << 24)
  return asInt16(dsp().resampleRate(from, to, pcm, chunk ?? 0))
}

/** Streaming half-band resampler; `chunk` splits the input to exercise chunk boundaries (default: one call). */
export function resample (direction: '8k->16k' | '16k->8k', pcm: Int16Array, chunk?: number): Int16Array {
  if (direction !== '8k->16k' && direction !== '16k->8k') throw new TypeError("direction must be '8k->16k' or '16k->8k'")
  checkPcm(pcm)
  if (chunk !== undefined) checkInt(chunk, 'chunk', 1, 1 << 24)
  return asInt16(dsp().resample(direction === '8k->16k' ? 0 : 1, pcm, chunk ?? 0))
}

// ---- RTP / RFC 4733 / RTCP ----
export function parseRtp (packet: Uint8Array): RtpPacket | { error: RtpParseError } {
  checkBytes(packet, 'packet')
  const r = dsp().rtpParse(packet)
  return typeof r === 'string' ? { error: r as RtpParseError } : r as RtpPacket
}
export function marshalRtp (header: RtpHeaderFields, payload: Uint8Array): Buffer {
  if (typeof header !== 'object' || header === null) throw new TypeError('header must be an object')
  checkInt(header.payloadType, 'payloadType', 0, 127)
  checkInt(header.sequence, 'sequence', 0, 0xffff)
  checkInt(header.timestamp, 'timestamp', 0, 0xffffffff)
  checkInt(header.ssrc, 'ssrc', 0, 0xffffffff)
  if (header.csrc !== undefined) {
    if (!Array.isArray(header.csrc) || header.csrc.length > 15) throw new RangeError('csrc must be an array of at most 15 SSRCs')
    header.csrc.forEach(c => checkInt(c, 'csrc', 0, 0xffffffff))
  }
  if (header.extensionData !== undefined) {
    checkBytes(header.extensionData, 'extensionData')
    if (header.extensionData.length % 4 !== 0) throw new RangeError('extensionData length must be a multiple of 4')
    checkInt(header.extensionProfile ?? 0, 'extensionProfile', 0, 0xffff)
  }
  checkBytes(payload, 'payload')
  return dsp().rtpMarshal(header, payload)
}
export function parseTelephoneEvent (payload: Uint8Array): (TelephoneEvent & { digit: string }) | null {
  checkBytes(payload, 'payload')
  return dsp().telephoneEventParse(payload)
}
export function buildTelephoneEvent (ev: TelephoneEvent): Buffer {
  checkInt(ev.event, 'event', 0, 255); checkInt(ev.volume, 'volume', 0, 63); checkInt(ev.duration, 'duration', 0, 0xffff)
  return dsp().telephoneEventBuild(ev)
}
export function parseRtcp (packet: Uint8Array): RtcpReport | { error: RtcpParseError } {
  checkBytes(packet, 'packet')
  const r = dsp().rtcpParse(packet)
  return typeof r === 'string' ? { error: r as RtcpParseError } : r
}
/** Builds a compound packet: SR or RR (+ SDES CNAME if cname, + BYE if bye), RFC 3550 §6.1. */
export function buildRtcp (report: RtcpReport): Buffer {
  if (report.type !== 'sr' && report.type !== 'rr') throw new TypeError("type must be 'sr' or 'rr'")
  checkInt(report.ssrc, 'ssrc', 0, 0xffffffff)
  if (!Array.isArray(report.blocks) || report.blocks.length > 31) throw new RangeError('blocks must be an array of at most 31 report blocks')
  for (const b of report.blocks) {
    checkInt(b.fractionLost, 'fractionLost', 0, 255)
    checkInt(b.cumulativeLost, 'cumulativeLost', -0x800000, 0x7fffff)
  }
  if (report.cname != null && Buffer.byteLength(report.cname) > 255) throw new RangeError('cname must be at most 255 octets')
  return dsp().rtcpBuild(report)
}
/** RFC 3550 §6.4.1 round-trip time in microseconds (-1 when LSR is 0 or the result would be negative). */
export function rttFromReport (arrivalNtpMiddle32: number, lsr: number, dlsr: number): number {
  return dsp().rttFromReport(arrivalNtpMiddle32 >>> 0, lsr >>> 0, dlsr >>> 0)
}

// ---- SRTP ----
export function supportedSrtpSuites (): SrtpSuiteName[] { return dsp().supportedSrtpSuites() as SrtpSuiteName[] }
export function srtpSuiteInfo (suite: SrtpSuiteName): { keyLength: number, saltLength: number, rtpOverhead: number, rtcpOverhead: number, supported: boolean } {
  checkSuite(suite)
  const i = dsp().srtpSuiteInfo(suite)
  if (i === null) throw new TypeError(`unknown SRTP suite: ${String(suite)}`)
  return i
}
function checkSuite (suite: unknown): asserts suite is SrtpSuiteName {
  if (typeof suite !== 'string' || !SUITES.includes(suite as SrtpSuiteName)) throw new TypeError(`unknown SRTP suite: ${String(suite)}`)
}
function checkKey (suite: SrtpSuiteName, keySalt: unknown): asserts keySalt is Uint8Array {
  checkBytes(keySalt, 'keySalt')
  const info = srtpSuiteInfo(suite)
  if (!info.supported) throw new RangeError(`SRTP suite not supported by this OpenSSL: ${suite}`)
  const need = info.keyLength + info.saltLength
  if (keySalt.length !== need) throw new RangeError(`${suite} needs ${need} octets of key+salt, got ${keySalt.length}`)
}
function checkMki (mki: unknown): void {
  if (mki === undefined) return
  checkBytes(mki, 'mki')
  if (mki.length < 1 || mki.length > 128) throw new RangeError('mki must be 1..128 octets')
}
/** RFC 4568 §6.1 `|value:length` -> the MKI octets carried in each packet (big-endian value). */
export function sdesMki (value: number, length: number): Buffer {
  checkInt(length, 'length', 1, 128); checkInt(value, 'value', 0, Number.MAX_SAFE_INTEGER)
  if (length < 7 && value >= 2 ** (8 * length)) throw new RangeError(`value does not fit in ${length} octets`)
  const b = Buffer.alloc(length)
  let v = value
  for (let i = length - 1; i >= 0 && v > 0; i--) { b[i] = v % 256; v = Math.floor(v / 256) }
  return b
}
function srtpResult (r: Buffer | string): SrtpResult {
  return typeof r === 'string' ? { ok: false, error: r as SrtpError } : { ok: true, packet: r }
}
/** One leg's SRTP contexts (RFC 3711 over OpenSSL EVP): outbound with our SDES key, inbound with the peer's. */
export class SrtpSession {
  private readonly s: NativeSrtp = new (dsp().SrtpSession)()
  /** `mki`: the RFC 3711 Master Key Identifier of an SDES key with `|value:length` (see `sdesMki`). */
  setOutbound (suite: SrtpSuiteName, keySalt: Uint8Array, mki?: Uint8Array): void {
    checkSuite(suite); checkKey(suite, keySalt); checkMki(mki)
    const st = this.s.setOutbound(suite, keySalt, mki)
    if (st !== 'ok') throw new Error(`SRTP outbound context failed: ${st}`)
  }
  setInbound (suite: SrtpSuiteName, keySalt: Uint8Array, replayWindow = 128, mki?: Uint8Array): void {
    checkSuite(suite); checkKey(suite, keySalt); checkInt(replayWindow, 'replayWindow', 64, 0x7fff); checkMki(mki)
    const st = this.s.setInbound(suite, keySalt, replayWindow, mki)
    if (st !== 'ok') throw new Error(`SRTP inbound context failed: ${st}`)
  }
  /** `capacity` limits the output buffer (default: room for any trailer) to exercise the no-space path. */
  protectRtp (packet: Uint8Array, capacity?: number): SrtpResult {
    checkBytes(packet, 'packet'); if (capacity !== undefined) checkInt(capacity, 'capacity', 0, 65535)
    return srtpResult(this.s.protectRtp(packet, capacity))
  }
  unprotectRtp (packet: Uint8Array): SrtpResult { checkBytes(packet, 'packet'); return srtpResult(this.s.unprotectRtp(packet)) }
  protectRtcp (packet: Uint8Array, capacity?: number): SrtpResult {
    checkBytes(packet, 'packet'); if (capacity !== undefined) checkInt(capacity, 'capacity', 0, 65535)
    return srtpResult(this.s.protectRtcp(packet, capacity))
  }
  unprotectRtcp (packet: Uint8Array): SrtpResult { checkBytes(packet, 'packet'); return srtpResult(this.s.unprotectRtcp(packet)) }
}

// ---- receive statistics (RFC 3550 A.1/A.3/A.8) ----
export interface ReceiveStatsSnapshot {
  extendedHighestSeq: number, expected: number, received: number, cumulativeLost: number, jitter: number
  jitterMs: number, probation: boolean, restarts: number
}
export class RtpReceiveStats {
  private readonly s: NativeReceiveStats
  constructor (clockRate: number, ssrc: number) {
    checkInt(clockRate, 'clockRate', 1000, 192000); checkInt(ssrc, 'ssrc', 0, 0xffffffff)
    this.s = new (dsp().RtpReceiveStats)(clockRate, ssrc)
  }
  onPacket (seq: number, ts: number, arrivalUs: number): boolean {
    checkInt(seq, 'seq', 0, 0xffff); checkInt(ts, 'ts', 0, 0xffffffff); checkInt(arrivalUs, 'arrivalUs', 0, Number.MAX_SAFE_INTEGER)
    return this.s.onPacket(seq, ts, arrivalUs)
  }
  onSenderReport (ntpSeconds: number, ntpFraction: number, arrivalUs: number): void {
    checkInt(ntpSeconds, 'ntpSeconds', 0, 0xffffffff); checkInt(ntpFraction, 'ntpFraction', 0, 0xffffffff)
    this.s.onSenderReport(ntpSeconds, ntpFraction, arrivalUs)
  }
  makeReportBlock (nowUs: number): RtcpReportBlock { return this.s.makeReportBlock(nowUs) }
  snapshot (): ReceiveStatsSnapshot { return this.s.snapshot() }
}

// ---- DTMF ----
function checkDtmf (digits: unknown, o: DtmfOptions): asserts digits is string {
  if (typeof digits !== 'string') throw new TypeError('digits must be a string')
  if (digits.length > 128) throw new RangeError('digits must be at most 128 characters')
  if (o.toneMs !== undefined) checkInt(o.toneMs, 'toneMs', 40, 10000)
  if (o.gapMs !== undefined) checkInt(o.gapMs, 'gapMs', 40, 10000)
  if (o.volume !== undefined) checkInt(o.volume, 'volume', 0, 63)
}
function badDigit (digits: string, index: number): RangeError {
  return new RangeError(`invalid DTMF character '${digits[index]}' at index ${index}`)
}
/** In-band tones (16 kHz) for `0-9 * # A-D`, `w` = 500 ms and `W` = 1000 ms pauses. */
export function dtmfToPcm (digits: string, opts: DtmfOptions = {}): Int16Array {
  checkDtmf(digits, opts)
  const r = dsp().dtmfGeneratePcm(digits, opts)
  if (typeof r === 'number') throw badDigit(digits, r)
  return asInt16(r)
}
/** RFC 4733 packets, one 20 ms tick apart (`tick` = index of the 20 ms frame each packet belongs to). */
export function dtmfToEvents (digits: string, opts: DtmfEventOptions = {}): Array<{ tick: number, packet: Buffer }> {
  checkDtmf(digits, opts)
  if (opts.payloadType !== undefined) checkInt(opts.payloadType, 'payloadType', 96, 127)
  if (opts.ssrc !== undefined) checkInt(opts.ssrc, 'ssrc', 0, 0xffffffff)
  if (opts.sequence !== undefined) checkInt(opts.sequence, 'sequence', 0, 0xffff)
  if (opts.timestamp !== undefined) checkInt(opts.timestamp, 'timestamp', 0, 0xffffffff)
  const r = dsp().dtmfGenerateEvents(digits, opts)
  if (typeof r === 'number') throw badDigit(digits, r)
  return r
}
/** spandsp dtmf_rx over 16 kHz audio fed in `chunk`-sample pieces. */
export function detectDtmf (pcm16k: Int16Array, chunk = 320): DetectedDigit[] {
  checkPcm(pcm16k, 'pcm16k'); checkInt(chunk, 'chunk', 1, 1 << 24)
  return dsp().dtmfDetect(pcm16k, chunk)
}
/** RFC 4733 receiver over whole RTP packets; `endUs` runs the end-of-event timeout at the end. */
export function receiveDtmfEvents (packets: Array<{ packet: Uint8Array, arrivalUs: number }>, endUs: number): ReceivedDigit[] {
  if (!Array.isArray(packets)) throw new TypeError('packets must be an array')
  for (const p of packets) { checkBytes(p.packet, 'packet'); checkInt(p.arrivalUs, 'arrivalUs', 0, Number.MAX_SAFE_INTEGER) }
  checkInt(endUs, 'endUs', 0, Number.MAX_SAFE_INTEGER)
  return dsp().dtmfReceive(packets, endUs)
}

// ---- jitter buffer ----
/** Drives the native jitter buffer with a synthetic trace: pops every 20 ms from firstPopUs, pushing every
 * packet whose arrivalUs is <= the pop time first. */
export function runJitterBuffer (codec: CodecName, config: JitterConfig, trace: JitterTracePacket[], firstPopUs: number, pops: number): JitterRunResult {
  const id = codecId(codec)
  if (config.minDelayMs !== undefined) checkInt(config.minDelayMs, 'minDelayMs', 0, 5000)
  if (config.maxDelayMs !== undefined) checkInt(config.maxDelayMs, 'maxDelayMs', config.minDelayMs ?? 0, 5000)
  if (config.quantile !== undefined && !(config.quantile > 0 && config.quantile <= 1)) throw new RangeError('quantile must be in (0, 1]')
  if (!Array.isArray(trace)) throw new TypeError('trace must be an array')
  let last = -Infinity
  for (const p of trace) {
    checkInt(p.seq, 'seq', 0, 0xffff); checkInt(p.ts, 'ts', 0, 0xffffffff); checkBytes(p.payload, 'payload')
    checkInt(p.arrivalUs, 'arrivalUs', 0, Number.MAX_SAFE_INTEGER)
    if (p.arrivalUs < last) throw new RangeError('trace must be sorted by arrivalUs')
    last = p.arrivalUs
  }
  checkInt(firstPopUs, 'firstPopUs', 0, Number.MAX_SAFE_INTEGER); checkInt(pops, 'pops', 0, 1_000_000)
  const r = dsp().jitterRun(id, config, trace, firstPopUs, pops)
  const u16 = (b: Buffer): number[] => Array.from(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2))
  return {
    kinds: Array.from(r.kinds, k => FRAME_KINDS[k]),
    currentDelayMs: u16(r.delays),
    targetDelayMs: u16(r.targets),
    pushResults: Array.from(r.pushResults, k => PUSH_RESULTS[k]),
    pcm: asInt16(r.pcm),
    stats: r.stats
  }
}

// ---- mixer ----
/** N-party mix-minus at 16 kHz: setInput per participant, mix(), then output(id) = everyone but id. */
export class Mixer {
  private readonly m: NativeMixer
  readonly frameSamples: number
  constructor (maxParticipants: number, frameSamples = 320) {
    checkInt(maxParticipants, 'maxParticipants', 1, 256); checkInt(frameSamples, 'frameSamples', 160, 960)
    this.frameSamples = frameSamples
    this.m = new (dsp().Mixer)(maxParticipants, frameSamples)
  }
  /** Returns the participant id, or -1 when the conference is full. */
  join (): number { return this.m.join() }
  leave (id: number): void { checkInt(id, 'id', 0, 255); this.m.leave(id) }
  /** Whisper: id is heard only by listener (-1: heard by everyone again). */
  setWhisper (id: number, listener: number): boolean { checkInt(id, 'id', 0, 255); checkInt(listener, 'listener', -1, 255); return this.m.setWhisper(id, listener) }
  setMuted (id: number, muted: boolean): void { checkInt(id, 'id', 0, 255); this.m.setMuted(id, muted === true) }
  setInput (id: number, pcm: Int16Array): boolean {
    checkInt(id, 'id', 0, 255); checkPcm(pcm)
    if (pcm.length !== this.frameSamples) throw new RangeError(`pcm must hold exactly ${this.frameSamples} samples`)
    return this.m.setInput(id, pcm)
  }
  mix (): void { this.m.mix() }
  output (id: number): Int16Array {
    checkInt(id, 'id', 0, 255)
    const b = this.m.output(id)
    if (b === null) throw new RangeError('id is not a participant slot')
    return asInt16(b)
  }
}

/** Per-operation cost measured inside C++ (N-API overhead excluded), in microseconds. */
export function nativeBench (name: 'g711_dec' | 'g722_enc' | 'resample' | 'resample_up' | 'srtp_protect' | 'jitter' | 'mix' | 'rtp_parse' | 'rtcp_parse' | 'opus_enc' | 'opus_dec' | `rate_${8 | 16 | 24 | 48}_${8 | 16 | 24 | 48}`, iterations: number): number {
  checkInt(iterations, 'iterations', 1, 100_000_000)
  return dsp().bench(name, iterations)
}
