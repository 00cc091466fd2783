// One dialog's side of the offer/answer exchange over its lifetime (RFC 3264 §8): the initial
// offer or answer, then re-INVITEs (hold, codec change, new keys, session refresh).
//
// o= rules (RFC 3264 §5, §8; RFC 8866 §5.2): sess-id is fixed for the dialog; sess-version starts
// at some value and grows by exactly one each time we send a description that differs from the
// previous one. A description identical to the last (e.g. answering a session-timer refresh)
// keeps the version, which tells the peer nothing changed.
import { randomInt } from 'node:crypto'
import type { Logger } from '../log'
import {
  acceptAnswer, answerOffer, createOffer, type AnswerResult, type LocalMedia, type MediaPolicy, type NegotiatedAudio,
  type OfferResult, type OriginFields, type PendingOffer
} from './negotiate'
import { serializeSdp } from './sdp-serializer'
import type { SrtpSuiteName } from './srtp-suites'
import type { SdpDirection, SessionDescription } from './types'

export interface SdpSessionOptions {
  username?: string
  /** Fixed for tests; default a random number (RFC 8866 §5.2 suggests an NTP timestamp, any unique number works). */
  sessionId?: string
  log?: Logger
}

export class SdpSession {
  readonly policy: MediaPolicy
  local: LocalMedia
  /** The current negotiated stream, null until the first offer/answer completes. */
  negotiated: NegotiatedAudio | null = null
  private readonly origin: OriginFields
  private readonly log: Logger | undefined
  /** Our last description without o=, to decide whether the version must grow. */
  private lastBody: string | null = null
  private lastAnswer: AnswerResult | null = null
  private lastAnswerHold = false
  private lastRemote: { sessionId: string; version: bigint } | null = null
  private pending: PendingOffer | null = null

  constructor (policy: MediaPolicy, local: LocalMedia, opts: SdpSessionOptions = {}) {
    this.policy = policy
    this.local = local
    this.log = opts.log
    const id = opts.sessionId ?? String(randomInt(1, 2 ** 47))
    this.origin = { username: opts.username ?? 'trunkgate', sessionId: id, sessionVersion: BigInt(id) }
  }

  get sessionVersion (): bigint {
    return this.origin.sessionVersion
  }

  /**
   * Answers an offer (initial INVITE or re-INVITE). `localHold` keeps the peer on hold (we answer
   * without sending). Throws SipError 488 when the offer is unacceptable; the previous negotiation
   * then stays in force (RFC 3264 §8: a rejected re-offer leaves the session as it was).
   */
  answer (offer: SessionDescription, opts: { localHold?: boolean } = {}): AnswerResult {
    const remote = { sessionId: offer.origin.sessionId, version: offer.origin.sessionVersion }
    // RFC 3264 §8: an offer with an unchanged o= version is the same offer; answer the same answer.
    if (this.lastAnswer && this.lastRemote && this.lastRemote.sessionId === remote.sessionId &&
        this.lastRemote.version === remote.version && this.lastAnswerHold === (opts.localHold ?? false)) {
      return this.lastAnswer
    }
    const result = answerOffer(offer, this.policy, this.local, {
      origin: this.origin, localHold: opts.localHold, previous: this.negotiated, log: this.log
    })
    this.stampVersion(result.answer)
    const final: AnswerResult = { ...result, sdp: serializeSdp(result.answer) }
    this.lastAnswer = final
    this.lastAnswerHold = opts.localHold ?? false
    this.lastRemote = remote
    this.negotiated = final.media
    this.pending = null
    return final
  }

  /** Builds an offer: the outbound INVITE, or a re-INVITE (hold = 'sendonly', resume = 'sendrecv'). */
  offer (direction: SdpDirection = 'sendrecv'): OfferResult {
    const keys = new Map<SrtpSuiteName, Buffer>()
    if (this.negotiated?.srtp) keys.set(this.negotiated.srtp.suite, this.negotiated.srtp.localKeySalt)
    // A re-offer keeps the transport the dialog runs (RFC 3264 §8: a new offer may change it, but
    // silently dropping SRTP on hold would be a downgrade).
    const secure = this.negotiated ? this.negotiated.srtp !== null : undefined
    const result = createOffer(this.policy, this.local, { origin: this.origin, direction, keys, secure })
    this.stampVersion(result.offer)
    this.pending = result.pending
    return { ...result, sdp: serializeSdp(result.offer) }
  }

  /** Applies the answer to our last offer. Throws SipError 488 when it does not fit the offer. */
  acceptAnswer (answer: SessionDescription): NegotiatedAudio {
    if (!this.pending) throw new Error('acceptAnswer without an outstanding offer')
    const media = acceptAnswer(this.pending, answer)
    this.pending = null
    this.negotiated = media
    this.lastRemote = { sessionId: answer.origin.sessionId, version: answer.origin.sessionVersion }
    this.lastAnswer = null
    return media
  }

  /** Sets o= version: +1 when the body differs from the last one we sent (RFC 3264 §8). */
  private stampVersion (sd: SessionDescription): void {
    const body = serializeSdp({ ...sd, origin: { ...sd.origin, sessionVersion: 0n } })
    if (this.lastBody !== null && body !== this.lastBody) this.origin.sessionVersion += 1n
    this.lastBody = body
    sd.origin.sessionVersion = this.origin.sessionVersion
  }
}
