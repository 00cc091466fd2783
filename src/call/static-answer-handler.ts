import { randomInt } from 'node:crypto'
import { answerOffer, createOffer } from '../sdp/negotiate'
import { SipError } from '../sip/sip-error'
import type { CallHandler, RoutedInvite } from './call-handler'

export interface StaticAnswerOptions {
  /** RTP port written into the answer (nothing listens on it: signalling only). */
  rtpPort?: number
  /** Send 180 Ringing before answering. Default true. */
  ring?: boolean
  /** Called with each answered dialog (tests use it to watch BYE handling). */
  onAnswered?: (call: RoutedInvite) => void
}

/**
 * Answers every routed call at once with a fixed PCMU a=sendrecv SDP (RFC 3264 answer to the offer,
 * or an offer in the 200 when the INVITE had none) — no media engine attached. It stands in for the
 * media/agent call layer in signalling tests and benchmarks, and keeps the call up until the peer's BYE.
 */
export class StaticAnswerCallHandler implements CallHandler {
  private readonly opts: StaticAnswerOptions

  constructor (opts: StaticAnswerOptions = {}) {
    this.opts = opts
  }

  async handleInvite (call: RoutedInvite): Promise<void> {
    if (this.opts.ring !== false) call.ringing()
    const local = { address: call.mediaAddress, port: this.opts.rtpPort ?? 40000 }
    const origin = { username: 'trunkgate', sessionId: String(randomInt(1, 2 ** 47)), sessionVersion: 1n }
    const policy = { ...call.mediaPolicy, codecs: ['PCMU'] as const }
    let sdp: string
    if (call.sdpOffer === null) {
      sdp = createOffer(policy, local, { origin }).sdp
    } else if (call.sdpOffer.error !== null) {
      call.reject(call.sdpOffer.error)
      return
    } else {
      try {
        sdp = answerOffer(call.sdpOffer.parsed, policy, local, { origin, log: call.logger }).sdp
      } catch (err) {
        if (err instanceof SipError) { call.reject(err); return }
        throw err
      }
    }
    if (call.canceled) return
    const dialog = await call.answer(sdp)
    this.opts.onAnswered?.(call)
    call.logger.debug({ dialog: dialog.id }, 'static answer: call confirmed')
  }
}
