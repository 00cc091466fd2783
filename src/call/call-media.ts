// A call's media: its native Leg and its side of the RFC 3264 offer/answer (SdpSession), kept in
// step. Negotiation results reach the leg only through apply(), and only what changed is
// re-applied, so a session refresh re-INVITE does not reset the jitter buffer or the SRTP
// contexts (RFC 3711 §3.2.3: a re-keyed context starts a new replay window and ROC).
import type { Logger } from '../log'
import type { CallMediaStats } from './call-record'
import { inbandDtmfWanted, type InbandDtmfMode, type Leg, type LegOptions, type MediaEngine } from '../media/media-engine'
import {
  parseSdp, SdpSession, type MediaPolicy, type NegotiatedAudio, type SessionDescription
} from '../sdp'
import type { SipRequest } from '../sip/message/types'
import { getHeader } from '../sip/message/headers'
import { findSdp } from '../sip/policy/sdp-body'
import { SipError } from '../sip/sip-error'

export interface CallMediaOptions {
  media: MediaEngine
  policy: MediaPolicy
  /** Address written into our SDP when the leg's own address is a wildcard. */
  fallbackAddress: string
  /** Whether the offer asked for rtcp-mux (RFC 5761): the leg is created for it. */
  rtcpMux: boolean
  legOptions?: LegOptions
  /** In-band DTMF detection (trunk `dtmf_inband`); default 'auto': only without RFC 4733. */
  inbandDtmf?: InbandDtmfMode
  log: Logger
}

/** What answering a re-INVITE produced: a response to send and, when the hold state changed, the new one. */
export interface ReOfferAnswer {
  status: number
  reason?: string
  headers?: Array<{ name: string; value: string }>
  body?: string
  holdChanged: boolean
}

const PTIMES = new Set([10, 20, 30, 40])

export class CallMedia {
  readonly leg: Leg
  readonly session: SdpSession
  private applied: NegotiatedAudio | null = null
  private heldByPeer = false
  private readonly log: Logger
  private readonly inbandDtmf: InbandDtmfMode
  private inbandOn: boolean | null = null
  private digits: { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null

  constructor (opts: CallMediaOptions) {
    this.log = opts.log
    this.inbandDtmf = opts.inbandDtmf ?? 'auto'
    this.leg = opts.media.createLeg({ symmetric: true, inbandDtmf: true, rtcpMux: opts.rtcpMux, ...opts.legOptions })
    this.leg.on('dtmfDone', () => {
      const d = this.digits
      if (!d) return
      this.digits = null
      clearTimeout(d.timer)
      d.resolve()
    })
    const own = this.leg.localAddress
    const address = own === '0.0.0.0' || own === '::' || own === '' ? opts.fallbackAddress : own
    this.session = new SdpSession(opts.policy, { address, port: this.leg.localPort }, { log: opts.log })
  }

  /** The peer put us on hold (its direction is sendonly/inactive, or c=0.0.0.0): no audio to the engine. */
  get held (): boolean { return this.heldByPeer }
  get negotiated (): NegotiatedAudio | null { return this.session.negotiated }
  get telephoneEvent (): boolean { return this.applied?.telephoneEvent !== null && this.applied?.telephoneEvent !== undefined }

  /** Our answer to the INVITE's offer (throws SipError 488), or our offer when the INVITE had none. */
  initialDescription (offer: SessionDescription | null): string {
    if (offer === null) return this.session.offer().sdp
    return this.session.answer(offer).sdp
  }

  /** Makes the leg follow the current negotiation (before the 200 OK leaves, and after each change). */
  apply (): void {
    const n = this.session.negotiated
    if (!n) return
    const prev = this.applied
    const ptime = PTIMES.has(n.ptime) ? n.ptime as 10 | 20 | 30 | 40 : 20
    const te = n.telephoneEvent?.payloadType ?? null
    if (!prev || prev.codec.name !== n.codec.name || prev.payloadType !== n.payloadType ||
        (prev.telephoneEvent?.payloadType ?? null) !== te || prev.ptime !== n.ptime) {
      this.leg.setCodec({ name: n.codec.name, payloadType: n.payloadType, telephoneEventPayloadType: te, ptime, encoder: n.encoder })
    }
    const r = n.remote
    if (!prev || prev.remote.address !== r.address || prev.remote.port !== r.port || prev.rtcpMux !== n.rtcpMux) {
      this.leg.setRemote(r.address, r.port, n.rtcpMux ? { rtcpMux: true } : { rtcpAddress: r.rtcpAddress, rtcpPort: r.rtcpPort })
    }
    const srtpChanged = (prev?.srtp ?? null) === null
      ? n.srtp !== null
      : n.srtp === null || prev?.srtp?.suite !== n.srtp.suite || !prev.srtp.localKeySalt.equals(n.srtp.localKeySalt) ||
        !prev.srtp.remoteKeySalt.equals(n.srtp.remoteKeySalt)
    if (!prev || srtpChanged) {
      this.leg.setSrtp(n.srtp ? { suite: n.srtp.suite, localKey: n.srtp.localKeySalt, remoteKey: n.srtp.remoteKeySalt } : null)
    }
    if (!prev || prev.direction !== n.direction) this.leg.setDirection(n.direction)
    // A re-INVITE that adds or drops telephone-event switches in-band detection under 'auto'.
    const inband = inbandDtmfWanted(this.inbandDtmf, te !== null)
    if (inband !== this.inbandOn) {
      this.leg.setInbandDtmf(inband)
      this.inbandOn = inband
    }
    this.applied = n
    this.log.debug({ codec: n.codec.name, pt: n.payloadType, te, inbandDtmf: inband, ptime, srtp: n.srtp?.suite ?? null, direction: n.direction, remote: r }, 'media applied')
  }

  /**
   * A re-INVITE with an offer (RFC 3264 §8): hold/resume, codec change, new keys, new address.
   * A rejected offer leaves the session as it was (§8) and answers 488/415/400 precisely.
   */
  answerReInvite (req: SipRequest): ReOfferAnswer {
    let offer: SessionDescription
    try {
      const raw = findSdp(getHeader(req, 'Content-Type') ?? '', req.body)
      if (!raw) {
        return { status: 415, reason: 'Unsupported Media Type', headers: [{ name: 'Accept', value: 'application/sdp' }], holdChanged: false }
      }
      offer = parseSdp(raw)
    } catch (err) {
      return this.refusal(err)
    }
    try {
      const a = this.session.answer(offer)
      this.apply()
      return { status: 200, body: a.sdp, holdChanged: this.updateHold(a.media) }
    } catch (err) {
      return this.refusal(err)
    }
  }

  /** An offer-less re-INVITE (RFC 3261 §14.2): our offer goes in the 2xx, the answer comes in the ACK. */
  offerForReInvite (): string {
    return this.session.offer(this.applied?.direction === 'inactive' ? 'inactive' : 'sendrecv').sdp
  }

  /** The ACK's answer to offerForReInvite(); returns whether the hold state changed. Throws SipError 488. */
  acceptAckAnswer (body: Buffer): boolean {
    const media = this.session.acceptAnswer(parseSdp(body))
    this.apply()
    return this.updateHold(media)
  }

  private updateHold (n: NegotiatedAudio): boolean {
    // Our direction mirrors the peer's (RFC 3264 §6.1): recvonly/inactive means the peer does not listen.
    const held = n.direction === 'recvonly' || n.direction === 'inactive'
    if (held === this.heldByPeer) return false
    this.heldByPeer = held
    return true
  }

  private refusal (err: unknown): ReOfferAnswer {
    if (err instanceof SipError) {
      this.log.info({ status: err.status, code: err.code, detail: err.message }, 're-INVITE offer refused; session unchanged')
      return { status: err.status, reason: err.reason, headers: err.headers, holdChanged: false }
    }
    this.log.warn({ err }, 're-INVITE offer could not be applied; session unchanged')
    return { status: 488, reason: 'Not Acceptable Here', holdChanged: false }
  }

  /**
   * Plays keypad tones to the peer: RFC 4733 events when telephone-event was negotiated, in-band
   * tones otherwise. Resolves after the last tone has been sent; one string at a time.
   */
  sendDigits (digits: string): Promise<{ mode: 'rfc4733' | 'inband' }> {
    if (this.digits) return Promise.reject(new Error('touch tones are already being sent'))
    const mode = this.telephoneEvent ? 'rfc4733' as const : 'inband' as const
    // 100 ms tone + 100 ms gap per key, w = 0.5 s, W = 1 s (media core defaults), plus margin.
    let expectMs = 2000
    for (const c of digits) expectMs += c === 'w' ? 500 : c === 'W' ? 1000 : 200
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.digits = null
        reject(new Error(`the media core did not finish within ${expectMs} ms`))
      }, expectMs)
      this.digits = { resolve: () => resolve({ mode }), reject, timer }
      try {
        this.leg.sendDtmf(digits, { mode: 'auto' })
      } catch (err) {
        clearTimeout(timer)
        this.digits = null
        reject(err as Error)
      }
    })
  }

  /**
   * The leg's RTP statistics for the call record, read while the leg is still open (closing it frees
   * the native counters); null when no media was ever negotiated or the leg is already closed.
   */
  finalStats (): CallMediaStats | null {
    const n = this.applied
    if (n === null || this.leg.isClosed) return null
    const s = this.leg.stats()
    return {
      packetsReceived: s.packetsReceived,
      packetsSent: s.packetsSent,
      packetsLost: s.packetsLost,
      jitterMs: s.jitterMs,
      rttMs: s.rttMs,
      ptimeMs: PTIMES.has(n.ptime) ? n.ptime : 20,
      codec: n.codec.name,
      srtp: n.srtp?.suite ?? null
    }
  }

  close (): void {
    const d = this.digits
    if (d) {
      this.digits = null
      clearTimeout(d.timer)
      d.reject(new Error('the call ended'))
    }
    this.leg.close()
  }
}
