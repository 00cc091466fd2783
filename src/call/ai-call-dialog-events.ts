// What the caller's dialog tells an AI call once it exists: BYE or a dialog failure (destroy),
// re-INVITE and UPDATE offers (hold, new keys, codec change; RFC 3264 §8), the ACK that may carry the
// answer to our offer in a 2xx to an offer-less re-INVITE, and INFO DTMF. Attached when the 2xx goes
// out (AiCall.onDialogCreated), so a request right behind the ACK already finds these listeners.
import type { Logger } from '../log'
import type { Dialog } from '../sip/dialog/dialog'
import { getHeader } from '../sip/message/headers'
import type { SipRequest } from '../sip/message/types'
import type { ServerResponse } from '../sip/transaction/server-response'
import { SipError } from '../sip/sip-error'
import type { CallMedia } from './call-media'
import type { CallOutcome } from './call-record'
import type { Side } from './ai-call-hangup'
import { parseInfoDtmf } from './info-dtmf'

/** What the dialog handling needs from its call. */
export interface DialogEventsHost {
  readonly log: Logger
  isOver: () => boolean
  /** The caller's confirmed dialog; a leg replaced by an incoming REFER is no longer it. */
  dialog: () => Dialog | null
  media: () => CallMedia | null
  onInfoDigit: (digit: string, durationMs: number) => void
  /** The caller's hold state changed (the engine hears of it). */
  onHoldChanged: (held: boolean) => void
  hangup: (side: Side, cause: string, drain: boolean) => void
  end: (outcome: CallOutcome, side: Side, cause: string) => void
}

export class CallDialogEvents {
  /** Our 2xx to an offer-less re-INVITE carried an offer: its ACK carries the answer (RFC 3264 §5). */
  private awaitingAckAnswer = false

  constructor (private readonly host: DialogEventsHost) {}

  attach (dialog: Dialog): void {
    const host = this.host
    dialog.on('destroy', (info: { reason: string }) => {
      // A leg replaced by an incoming REFER (adoptLeg) ending is not the call ending; neither is a
      // dialog that dies before its ACK (the answer promise reports that as not confirmed).
      if (dialog !== host.dialog()) return
      if (info.reason === 'BYE') host.end('completed', 'caller', 'normal_clearing')
      else host.end('failed', 'gateway', info.reason.replace(/-/g, '_'))
    })
    dialog.on('modify', (req: SipRequest, res: ServerResponse) => {
      if (dialog !== host.dialog()) { res.send(488, 'Not Acceptable Here'); return }
      this.onReInvite(req, res)
    })
    dialog.on('info', (req: SipRequest, res: ServerResponse) => this.onInfo(req, res))
    // RFC 3311: an UPDATE may carry an offer (hold, new keys) just like a re-INVITE; without one it is
    // a session refresh (RFC 4028), answered 200 by us with the dialog's timer headers.
    dialog.on('update', (req: SipRequest, res: ServerResponse) => {
      if (req.body.length === 0) res.send(200, 'OK')
      else this.onReInvite(req, res)
    })
    dialog.on('ack', (ack: SipRequest) => this.onReInviteAck(ack))
  }

  private onReInvite (req: SipRequest, res: ServerResponse): void {
    const media = this.host.media()
    if (!media || this.host.isOver()) { res.send(481, 'Call/Transaction Does Not Exist'); return }
    if (req.body.length === 0) {
      this.awaitingAckAnswer = true
      res.send(200, 'OK', { body: media.offerForReInvite() })
      return
    }
    const a = media.answerReInvite(req)
    res.send(a.status, a.reason, { headers: a.headers, body: a.body })
    if (a.holdChanged) this.reportHold(media)
  }

  private onReInviteAck (ack: SipRequest): void {
    const media = this.host.media()
    if (!this.awaitingAckAnswer || !media) return
    this.awaitingAckAnswer = false
    if (ack.body.length === 0) return
    try {
      if (media.acceptAckAnswer(ack.body)) this.reportHold(media)
    } catch (err) {
      // RFC 3261 §14.2 / RFC 3264: an unacceptable answer in the ACK leaves nothing to negotiate with.
      this.host.log.warn({ err: (err as Error).message }, 'unusable SDP answer in the ACK: ending the call')
      this.host.hangup('gateway', 'sdp_answer_in_ack', false)
    }
  }

  private reportHold (media: CallMedia): void {
    const held = media.held
    this.host.log.info({ held }, held ? 'caller put the call on hold' : 'caller resumed the call')
    this.host.onHoldChanged(held)
  }

  private onInfo (req: SipRequest, res: ServerResponse): void {
    try {
      const dtmf = parseInfoDtmf(getHeader(req, 'Content-Type'), req.body)
      res.send(200, 'OK')
      if (dtmf) this.host.onInfoDigit(dtmf.digit, dtmf.durationMs)
    } catch (err) {
      if (!(err instanceof SipError)) throw err
      this.host.log.info({ status: err.status, detail: err.message }, 'INFO refused')
      res.send(err.status, err.reason, { headers: err.headers })
    }
  }
}
