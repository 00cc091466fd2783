// A call leg's media as seen from JS. Thin: checks arguments, then forwards to the native engine;
// the audio itself never passes through JS unless the application asks for frames or plays PCM.
import { EventEmitter } from 'node:events'
import {
  checkBoolean, checkCodec, checkDirection, checkDtmfDigits, checkInteger, checkIp, checkKey, checkPtime, CodecName,
  DIRECTIONS, MediaDirection, SRTP_KEY_SALT_LENGTH, SRTP_SUITES, SrtpSuiteName, checkPcm16
} from './media-args'
import type { NativeLegStats, NativeMediaEngine } from './native'
import type { Conference } from './conference'

export interface CodecOptions {
  name: CodecName                   // a registry codec: PCMU, PCMA, G722, opus (case-insensitive)
  payloadType?: number              // default: the static PT (0, 8, 9), else the registry's dynamic one (opus 111)
  telephoneEventPayloadType?: number | null  // RFC 4733 PT, null/undefined: not negotiated
  ptime?: number                    // outbound packetisation (ms): one of the codec's registry ptimes
  /** What the peer's a=fmtp asks of our encoder (Opus, RFC 7587 §6.1): in-band FEC, max bandwidth. */
  encoder?: { inbandFec?: boolean, maxPlaybackRate?: number }
}

export interface SrtpOptions {
  suite: SrtpSuiteName
  localKey: Buffer | string   // our master key||salt (what we put in our a=crypto), Buffer or base64
  remoteKey: Buffer | string  // the peer's master key||salt
}

export interface DtmfOptions { mode?: 'auto' | 'rfc4733' | 'inband', toneMs?: number, gapMs?: number }

export interface FramesEvent { seq: number, frames: number, pcm: Int16Array }
export interface DtmfEvent { digit: string, durationMs: number, source: 'rfc4733' | 'inband' }
export interface TimeoutEvent { afterMedia: boolean, silentMs: number }

export type LegStats = NativeLegStats

/** A trunk's `dtmf_inband`: look for key tones in the audio only without RFC 4733 ('auto'), always, or never. */
export type InbandDtmfMode = 'auto' | 'always' | 'never'

/**
 * Whether a leg runs in-band DTMF detection under `mode` for the current negotiation: 'auto' only
 * while no RFC 4733 telephone-event is negotiated (as Asterisk's dtmf_mode=auto).
 */
export function inbandDtmfWanted (mode: InbandDtmfMode, telephoneEventNegotiated: boolean): boolean {
  return mode === 'always' || (mode === 'auto' && !telephoneEventNegotiated)
}

export interface LegHost {
  readonly native: NativeMediaEngine
  nextRequestId: () => number
  forget: (id: number) => void
  createConference: (capacity: number) => Conference
}

export class Leg extends EventEmitter {
  readonly id: number
  readonly localPort: number
  readonly localAddress: string
  private readonly host: LegHost
  private closed = false
  private codecName: CodecName = 'PCMU'
  private telephoneEvent = false
  private dtmfBusy: string | null = null
  private dtmfRequest = 0
  private readonly marks = new Map<number, unknown>()
  private bridgeConference: Conference | null = null
  conference: Conference | null = null  // set by Conference.add/remove

  constructor (host: LegHost, id: number, localPort: number, localAddress: string) {
    super()
    this.host = host
    this.id = id
    this.localPort = localPort
    this.localAddress = localAddress
  }

  get isClosed (): boolean { return this.closed }
  get codec (): CodecName { return this.codecName }

  private live (): void {
    if (this.closed) throw new Error('MEDIA_ERR_LEG_CLOSED: leg is closed')
  }

  setRemote (address: string, port: number, opts: { rtcpAddress?: string, rtcpPort?: number, rtcpMux?: boolean } = {}): void {
    this.live()
    checkIp(address, 'address')
    checkInteger(port, 'port', 1, 65535)
    const rtcpAddress = opts.rtcpAddress === undefined ? address : checkIp(opts.rtcpAddress, 'rtcpAddress')
    // RFC 3550 §11: RTCP on the next port unless told otherwise (a=rtcp, RFC 3605) or multiplexed.
    const rtcpPort = opts.rtcpPort === undefined
      ? (checkBoolean(opts.rtcpMux, 'rtcpMux', false) ? port : Math.min(port + 1, 65535))
      : checkInteger(opts.rtcpPort, 'rtcpPort', 1, 65535)
    this.host.native.legSetRemote(this.id, address, port, rtcpAddress, rtcpPort)
  }

  setCodec (opts: CodecOptions): void {
    this.live()
    if (typeof opts !== 'object' || opts === null) throw new TypeError('codec options must be an object')
    const codec = checkCodec(opts.name)
    const pt = opts.payloadType === undefined
      ? (codec.payloadType ?? codec.defaultDynamicPayloadType ?? 96)
      : checkInteger(opts.payloadType, 'payloadType', 0, 127)
    const te = opts.telephoneEventPayloadType
    const tePt = te === undefined || te === null ? -1 : checkInteger(te, 'telephoneEventPayloadType', 0, 127)
    if (tePt === pt) throw new RangeError('telephoneEventPayloadType must differ from payloadType')
    const ptime = checkPtime(codec, opts.ptime === undefined ? 20 : opts.ptime)
    const enc = opts.encoder ?? {}
    const encoder = {
      inbandFec: checkBoolean(enc.inbandFec, 'encoder.inbandFec', false),
      maxPlaybackRate: enc.maxPlaybackRate === undefined ? 0 : checkInteger(enc.maxPlaybackRate, 'encoder.maxPlaybackRate', 0, 48000)
    }
    this.host.native.legSetCodec(this.id, codec.name, pt, tePt, ptime, encoder)
    this.codecName = codec.name
    this.telephoneEvent = tePt >= 0
  }

  setSrtp (opts: SrtpOptions | null): void {
    this.live()
    if (opts === null) {
      this.host.native.legSetSrtp(this.id, null)
      return
    }
    if (typeof opts !== 'object') throw new TypeError('srtp options must be an object or null')
    if (!(SRTP_SUITES as readonly string[]).includes(opts.suite)) {
      throw new RangeError(`srtp suite must be one of ${SRTP_SUITES.join(', ')}`)
    }
    const len = SRTP_KEY_SALT_LENGTH[opts.suite]
    const tx = checkKey(opts.localKey, 'localKey', len)
    const rx = checkKey(opts.remoteKey, 'remoteKey', len)
    this.host.native.legSetSrtp(this.id, opts.suite, tx, rx)
  }

  setDirection (direction: MediaDirection): void {
    this.live()
    this.host.native.legSetDirection(this.id, DIRECTIONS[checkDirection(direction)])
  }

  /**
   * In-band DTMF detection on or off, for a leg created with `inbandDtmf: true` (else a no-op). Takes
   * effect at the next 20 ms frame; turned back on, the detector starts clean.
   */
  setInbandDtmf (on: boolean): void {
    this.live()
    if (typeof on !== 'boolean') throw new TypeError('on must be a boolean')
    this.host.native.legSetInbandDtmf(this.id, on)
  }

  // Queues 16 kHz PCM of any length; returns the samples accepted (capacity: LegOptions.playoutQueueMs).
  play (pcm16k: Int16Array | Buffer): number {
    this.live()
    return this.host.native.play(this.id, checkPcm16(pcm16k))
  }

  // Barge-in: drops everything queued; takes effect within one 20 ms frame.
  clear (): void {
    this.live()
    this.host.native.clear(this.id)
  }

  // 'mark' is emitted with id once all audio queued before this call has been sent (or flushed by clear()).
  mark (id: unknown): void {
    this.live()
    const key = this.host.nextRequestId()
    if (!this.host.native.mark(this.id, key)) throw new Error('MEDIA_ERR_MARKS_FULL: too many pending marks')
    this.marks.set(key, id)
  }

  queuedMs (): number {
    this.live()
    return this.host.native.queued(this.id) / 16
  }

  sendDtmf (digits: string, opts: DtmfOptions = {}): void {
    this.live()
    checkDtmfDigits(digits)
    const mode = opts.mode ?? 'auto'
    if (mode !== 'auto' && mode !== 'rfc4733' && mode !== 'inband') throw new RangeError('mode must be auto, rfc4733 or inband')
    const toneMs = opts.toneMs === undefined ? 100 : checkInteger(opts.toneMs, 'toneMs', 40, 5000)
    const gapMs = opts.gapMs === undefined ? 100 : checkInteger(opts.gapMs, 'gapMs', 40, 5000)
    if (this.dtmfBusy !== null) throw new Error('MEDIA_ERR_DTMF_BUSY: a DTMF string is still being sent')
    // RFC 4733 needs a negotiated telephone-event PT; without it the tones go in-band.
    const nativeMode = mode === 'inband' || (mode === 'auto' && !this.telephoneEvent) ? 'inband' : 'rfc4733'
    if (nativeMode === 'rfc4733' && !this.telephoneEvent) {
      throw new RangeError('rfc4733 DTMF needs a telephoneEventPayloadType (setCodec)')
    }
    this.dtmfRequest = this.host.nextRequestId()
    this.dtmfBusy = digits
    this.host.native.legSendDtmf(this.id, digits, nativeMode, toneMs, gapMs, this.dtmfRequest)
  }

  // Connects two legs directly: each hears the other (transcoded through 16 kHz when codecs differ).
  bridge (other: Leg): void {
    this.live()
    if (!(other instanceof Leg)) throw new TypeError('bridge target must be a Leg')
    if (other === this) throw new RangeError('cannot bridge a leg to itself')
    if (other.isClosed) throw new Error('MEDIA_ERR_LEG_CLOSED: leg is closed')
    if (this.conference !== null || other.conference !== null) {
      throw new Error('MEDIA_ERR_BUSY: leg is already bridged or in a conference')
    }
    const conf = this.host.createConference(2)  // a bridge is a two-party mix-minus: each hears the other
    conf.add(this)
    conf.add(other)
    this.bridgeConference = conf
    other.bridgeConference = conf
  }

  unbridge (): void {
    const conf = this.bridgeConference
    if (conf === null) return
    for (const p of conf.participants()) if (p instanceof Leg) p.bridgeConference = null
    conf.close()
  }

  stats (): LegStats {
    this.live()
    return this.host.native.legStats(this.id)
  }

  close (): void {
    if (this.closed) return
    this.unbridge()
    if (this.conference !== null) this.conference.remove(this)
    this.closed = true
    this.host.native.legClose(this.id)
    this.host.forget(this.id)
  }

  /** @internal dispatch from the engine */
  deliverFrames (seq: number, pcm: Int16Array): void {
    this.emit('frames', { seq, frames: pcm.length / 320, pcm } satisfies FramesEvent)
  }

  /** @internal */
  deliverEvent (ev: import('./native').NativeEvent): void {
    switch (ev.type) {
      case 'dtmf':
        this.emit('dtmf', { digit: ev.digit, durationMs: ev.durationMs, source: ev.source } satisfies DtmfEvent)
        break
      case 'mark': {
        const id = this.marks.get(ev.markId)
        this.marks.delete(ev.markId)
        this.emit('mark', id, { flushed: ev.flushed })
        break
      }
      case 'timeout':
        this.emit('timeout', { afterMedia: ev.afterMedia, silentMs: ev.silentMs } satisfies TimeoutEvent)
        break
      case 'dtmfDone':
        if (ev.requestId === this.dtmfRequest && this.dtmfBusy !== null) {
          const digits = this.dtmfBusy
          this.dtmfBusy = null
          this.emit('dtmfDone', { digits })
        }
        break
      case 'playoutDone':
        this.emit('playoutDone', { flushed: ev.flushed })
        break
    }
  }
}
