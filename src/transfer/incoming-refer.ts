// REFER received from the trunk or PBX in the caller's dialog (RFC 3515 §2.4.2): the peer asks the
// agent's side to call someone else. Per trunk policy: decline (403 / 405), or accept with 202, report
// progress in NOTIFYs (message/sipfrag, RFC 3420) and INVITE the Refer-To target, whose leg then takes
// the caller's place in the conversation.
import type { SipRequest } from '../sip/message/types'
import { getCSeq, getHeaders } from '../sip/message/headers'
import { parseNameAddr } from '../sip/message/name-addr'
import type { RequestOptions } from '../sip/dialog/dialog'
import { DialogState, ALLOWED_METHODS } from '../sip/dialog/dialog-state'
import type { ServerResponse } from '../sip/transaction/server-response'
import type { SipResponse } from '../sip/message/types'
import type { Clock, TimerHandle } from '../sip/transaction/clock'
import type { IncomingReferPolicy } from '../config/transfer-schema'
import { rootLogger, type Logger } from '../log'
import { formatSipfrag, SIPFRAG_CONTENT_TYPE } from './sipfrag'

/** The dialog the REFER arrived in (src/sip/dialog/dialog.ts). */
export interface ReferredDialog {
  readonly state: DialogState
  request: (method: string, opts?: RequestOptions) => Promise<SipResponse>
  destroy: (opts?: RequestOptions) => Promise<SipResponse | null>
}

/** Calls the Refer-To target and, on a 2xx, moves the conversation onto the new leg (the call does both). */
export type ReferTargetDialer = (target: { uri: string, referredBy: string | null }) => Promise<{ status: number, reason: string }>

export interface IncomingReferOptions {
  dialog: ReferredDialog
  policy: IncomingReferPolicy
  dial: ReferTargetDialer
  clock: Clock
  /** After a successful transfer the transferor should BYE (RFC 5589 §6); if it has not after this long, we do. */
  byeGraceMs?: number
  /** Host in our Warning headers (RFC 3261 §20.43 warn-agent). */
  warnAgent?: string
  logger?: Logger
}

/** RFC 3261 §8.2.6: ALLOWED_METHODS without REFER, for the 405 of a trunk that must not transfer this way. */
const ALLOW_WITHOUT_REFER = ALLOWED_METHODS.split(/\s*,\s*/).filter(m => m !== 'REFER').join(', ')
/** RFC 3515 §2.4.4: the implicit subscription's lifetime is the referee's choice. */
const SUBSCRIPTION_EXPIRES = 60

export type IncomingReferResult =
  | { kind: 'declined', status: number }
  | { kind: 'transferred', target: string, status: number }
  | { kind: 'failed', target: string, status: number, reason: string }

/**
 * Handles the REFERs of one dialog: handle(req, res) is the Dialog 'refer' listener. Resolves each
 * REFER's outcome through onResult. One referral at a time (a second one gets 491 Request Pending).
 */
export class IncomingReferHandler {
  private readonly opts: IncomingReferOptions
  private readonly log: Logger
  private busy = false
  private byeTimer: TimerHandle | null = null
  onResult: ((r: IncomingReferResult) => void) | null = null

  constructor (opts: IncomingReferOptions) {
    this.opts = opts
    this.log = (opts.logger ?? rootLogger).child({ transfer: 'incoming_refer' })
  }

  handle (req: SipRequest, res: ServerResponse): void {
    const decline = (status: number, reason: string, headers: Record<string, string> = {}): void => {
      res.send(status, reason, { headers })
      this.log.info({ status }, 'incoming REFER declined')
      this.onResult?.({ kind: 'declined', status })
    }
    const warn = (text: string): Record<string, string> => ({ Warning: `399 ${this.opts.warnAgent ?? 'trunkgate'} "${text}"` })
    if (this.opts.policy === 'reject_405') { decline(405, 'Method Not Allowed', { Allow: ALLOW_WITHOUT_REFER }); return }
    if (this.opts.policy === 'reject_403') { decline(403, 'Forbidden', warn('transfers by REFER are not allowed on this trunk')); return }
    // RFC 3515 §2.4.1: exactly one Refer-To.
    const referTo = getHeaders(req, 'Refer-To')
    if (referTo.length !== 1) { decline(400, 'Bad Request', warn(`REFER needs exactly one Refer-To, got ${referTo.length}`)); return }
    let uri: string
    let scheme: string
    let replaces = false
    let method: string | null = null
    try {
      const target = parseNameAddr(referTo[0])
      scheme = target.uri.scheme
      for (const [name, value] of target.uri.headers) {
        if (name.toLowerCase() === 'replaces') replaces = true
        if (name.toLowerCase() === 'method') method = value.toUpperCase()
      }
      // The embedded headers are instructions for the INVITE (RFC 3515 §2.1); what we dial is the bare URI.
      uri = referTo[0].replace(/^[^<]*<([^>]*)>.*$/s, '$1').split('?')[0]
    } catch (err) {
      decline(400, 'Bad Request', warn(`unreadable Refer-To: ${(err as Error).message.slice(0, 100).replace(/"/g, "'")}`))
      return
    }
    if (scheme !== 'sip' && scheme !== 'sips') { decline(416, 'Unsupported URI Scheme', warn(`Refer-To scheme ${scheme}: only sip and sips are dialled`)); return }
    if (replaces) {
      // Attended transfer (RFC 3891) would replace a dialog of ours with one the agent is not part of;
      // 501 tells the PBX this feature, not REFER as a whole, is missing (it may fall back to blind).
      decline(501, 'Not Implemented', warn('Refer-To with Replaces (attended transfer) is not supported; use a blind transfer'))
      return
    }
    if (method !== null && method !== 'INVITE') { decline(501, 'Not Implemented', warn(`Refer-To method=${method}: only INVITE referrals are supported`)); return }
    if (this.busy) { decline(491, 'Request Pending'); return }
    this.busy = true
    const referredBy = getHeaders(req, 'Referred-By')[0] ?? null
    const id = getCSeq(req).seq
    res.send(202, 'Accepted')
    this.log.info({ uri }, 'incoming REFER accepted')
    void this.run(id, uri, referredBy)
  }

  private async run (id: number, uri: string, referredBy: string | null): Promise<void> {
    // RFC 3515 §2.4.5: the first NOTIFY tells that the referral is being tried.
    await this.notify(id, 100, 'Trying', false)
    let final: { status: number, reason: string }
    try {
      final = await this.opts.dial({ uri, referredBy })
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'referred INVITE failed')
      final = { status: 503, reason: 'Service Unavailable' }
    }
    await this.notify(id, final.status, final.reason, true)
    this.busy = false
    if (final.status >= 200 && final.status < 300) {
      this.onResult?.({ kind: 'transferred', target: uri, status: final.status })
      this.byeTimer = this.opts.clock.setTimeout(() => {
        this.byeTimer = null
        if (this.opts.dialog.state === DialogState.Terminated) return
        this.log.info('transferor did not hang up after the transfer: sending BYE')
        this.opts.dialog.destroy({ headers: { Reason: 'SIP;cause=200;text="transferred"' } }).catch(() => undefined)
      }, this.opts.byeGraceMs ?? 5000)
    } else {
      this.onResult?.({ kind: 'failed', target: uri, status: final.status, reason: final.reason })
    }
  }

  private async notify (id: number, status: number, reason: string, terminated: boolean): Promise<void> {
    if (this.opts.dialog.state === DialogState.Terminated) return
    try {
      const res = await this.opts.dialog.request('NOTIFY', {
        headers: {
          Event: `refer;id=${id}`,
          'Subscription-State': terminated ? 'terminated;reason=noresource' : `active;expires=${SUBSCRIPTION_EXPIRES}`
        },
        body: formatSipfrag(status, reason),
        contentType: SIPFRAG_CONTENT_TYPE
      })
      if (res.status >= 300) this.log.info({ status: res.status }, 'REFER NOTIFY refused by the transferor')
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'REFER NOTIFY not sent')
    }
  }

  /** The call ended: no BYE of ours is due any more. */
  close (): void {
    if (this.byeTimer !== null) { this.opts.clock.clearTimeout(this.byeTimer); this.byeTimer = null }
  }
}
