// Blind transfer of the caller by REFER in the caller's own dialog (RFC 3515): the trunk's switch
// calls the destination and reports through NOTIFYs carrying message/sipfrag (RFC 3420).
import type { SipRequest, SipResponse } from '../sip/message/types'
import { getCSeq, getHeader } from '../sip/message/headers'
import type { RequestOptions } from '../sip/dialog/dialog'
import { DialogState } from '../sip/dialog/dialog-state'
import type { ServerResponse } from '../sip/transaction/server-response'
import type { Clock, TimerHandle } from '../sip/transaction/clock'
import { IllegalTransitionError } from '../sip/transaction/illegal-transition-error'
import { rootLogger, type Logger } from '../log'
import { isSipfragType, parseSipfrag } from './sipfrag'
import { parseEventHeader, parseSubscriptionState } from './event-headers'

/** What the transfer needs of the caller's dialog (src/sip/dialog/dialog.ts implements it). */
export interface ReferDialog {
  readonly state: DialogState
  readonly localSeq: number
  request: (method: string, opts?: RequestOptions) => Promise<SipResponse>
  destroy: (opts?: RequestOptions) => Promise<SipResponse | null>
  on: (event: 'notify' | 'destroy', fn: (...args: any[]) => void) => unknown
  off: (event: 'notify' | 'destroy', fn: (...args: any[]) => void) => unknown
}

export enum ReferState {
  Idle = 'idle',
  Referring = 'referring', // REFER sent, no final response yet
  Accepted = 'accepted',   // 2xx to the REFER: waiting for the sipfrag NOTIFYs (RFC 3515 §2.4.4)
  Succeeded = 'succeeded', // a 2xx sipfrag: the caller is with the destination; our leg is gone
  Failed = 'failed',       // REFER refused, failing sipfrag, NOTIFY timeout: the call goes on with the agent
  PeerEnded = 'peer-ended' // the trunk ended the dialog before telling the outcome
}

const TRANSITIONS: Readonly<Record<ReferState, readonly ReferState[]>> = {
  [ReferState.Idle]: [ReferState.Referring],
  [ReferState.Referring]: [ReferState.Accepted, ReferState.Succeeded, ReferState.Failed, ReferState.PeerEnded],
  [ReferState.Accepted]: [ReferState.Succeeded, ReferState.Failed, ReferState.PeerEnded],
  [ReferState.Succeeded]: [],
  [ReferState.Failed]: [],
  [ReferState.PeerEnded]: []
}

export type ReferFailure = 'rejected' | 'sipfrag' | 'notify_timeout' | 'subscription_terminated' | 'dialog_gone'

export type ReferOutcome =
  | { kind: 'succeeded', sipStatus: number, detail: string }
  | { kind: 'failed', failure: ReferFailure, sipStatus: number, detail: string }
  | { kind: 'peer-ended', sipStatus: number, detail: string }

export interface ReferProgress { sipStatus: number, reason: string }

export interface ReferTransferOptions {
  dialog: ReferDialog
  /** Refer-To URI (RFC 3515 §2.1): the number at the trunk (sip:+1555…@trunkhost) or the configured SIP URI. */
  referTo: string
  /** Referred-By URI (RFC 3892): who asks for the transfer — the agent's address in this dialog. */
  referredBy: string
  clock: Clock
  /** No final sipfrag this long after the 202 (or after the last provisional NOTIFY) → failure. */
  notifyTimeoutMs: number
  onProgress?: (p: ReferProgress) => void
  logger?: Logger
}

/**
 * One REFER and its implicit subscription. start() resolves once: succeeded (our leg is ended with BYE
 * unless the trunk already sent one), failed (the dialog stays up for the agent), or peer-ended.
 */
export class ReferTransfer {
  private current = ReferState.Idle
  private readonly opts: ReferTransferOptions
  private readonly log: Logger
  private timer: TimerHandle | null = null
  private firstCSeq = 0
  private lastProvisional = 0
  private resolve: ((o: ReferOutcome) => void) | null = null
  private readonly onNotify = (req: SipRequest, res: ServerResponse): void => { this.handleNotify(req, res) }
  private readonly onDestroy = (): void => {
    this.finish(ReferState.PeerEnded, { kind: 'peer-ended', sipStatus: this.lastProvisional, detail: 'the trunk ended the call before the final NOTIFY' })
  }

  constructor (opts: ReferTransferOptions) {
    this.opts = opts
    this.log = (opts.logger ?? rootLogger).child({ transfer: 'sip_refer' })
  }

  get state (): ReferState { return this.current }

  private stateTransition (next: ReferState): void {
    if (!TRANSITIONS[this.current].includes(next)) throw new IllegalTransitionError('ReferTransfer', this.current, next)
    this.current = next
  }

  start (): Promise<ReferOutcome> {
    const d = this.opts.dialog
    this.stateTransition(ReferState.Referring)
    if (d.state !== DialogState.Confirmed) {
      this.stateTransition(ReferState.Failed)
      return Promise.resolve({ kind: 'failed', failure: 'dialog_gone', sipStatus: 0, detail: `the caller's dialog is ${d.state}` })
    }
    const promise = new Promise<ReferOutcome>((resolve) => { this.resolve = resolve })
    // Listen before sending: a NOTIFY may overtake the 202 (RFC 6665 §4.1.2.4).
    d.on('notify', this.onNotify)
    d.on('destroy', this.onDestroy)
    this.firstCSeq = d.localSeq + 1
    d.request('REFER', {
      headers: [
        { name: 'Refer-To', value: `<${this.opts.referTo}>` },
        { name: 'Referred-By', value: `<${this.opts.referredBy}>` }
      ]
    }).then((res) => { this.onReferResponse(res) }, (err: Error) => {
      this.finish(ReferState.Failed, { kind: 'failed', failure: 'dialog_gone', sipStatus: 0, detail: err.message })
    })
    return promise
  }

  private onReferResponse (res: SipResponse): void {
    if (this.current !== ReferState.Referring) return // a NOTIFY already settled it
    if (res.status >= 200 && res.status < 300) {
      this.stateTransition(ReferState.Accepted)
      this.armTimer()
      return
    }
    // 405/501: the trunk does not do REFER; 403/603: not allowed for this call; 408/503: synthesized on timeout.
    this.finish(ReferState.Failed, { kind: 'failed', failure: 'rejected', sipStatus: res.status, detail: `REFER answered ${res.status} ${res.reason}` })
  }

  private armTimer (): void {
    if (this.timer !== null) this.opts.clock.clearTimeout(this.timer)
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null
      this.finish(ReferState.Failed, {
        kind: 'failed', failure: 'notify_timeout', sipStatus: this.lastProvisional,
        detail: `no final NOTIFY within ${this.opts.notifyTimeoutMs} ms`
      })
    }, this.opts.notifyTimeoutMs)
  }

  private handleNotify (req: SipRequest, res: ServerResponse): void {
    const event = parseEventHeader(getHeader(req, 'Event'))
    if (event === null || event.package !== 'refer') {
      // RFC 6665 §8.3.1: a NOTIFY for a package we did not subscribe to.
      res.send(489, 'Bad Event', { headers: { 'Allow-Events': 'refer' } })
      return
    }
    // RFC 3515 §2.4.6: id is the CSeq number of the REFER that created the subscription.
    if (event.id !== null && !(Number(event.id) >= this.firstCSeq && Number(event.id) <= this.opts.dialog.localSeq)) {
      res.send(481, 'Subscription Does Not Exist')
      return
    }
    if (this.current !== ReferState.Referring && this.current !== ReferState.Accepted) {
      res.send(481, 'Subscription Does Not Exist')
      return
    }
    const sub = parseSubscriptionState(getHeader(req, 'Subscription-State'))
    let frag: { status: number, reason: string } | null = null
    if (req.body.length > 0) {
      if (!isSipfragType(getHeader(req, 'Content-Type'))) {
        res.send(415, 'Unsupported Media Type', { headers: { Accept: 'message/sipfrag' } })
        return
      }
      try {
        frag = parseSipfrag(req.body)
      } catch (err) {
        res.send(400, 'Bad Request', { headers: { Warning: `399 trunkgate "${(err as Error).message.slice(0, 120).replace(/"/g, "'")}"` } })
        return
      }
    }
    res.send(200, 'OK')
    this.log.debug({ cseq: getCSeq(req).seq, frag, sub }, 'REFER NOTIFY')
    if (frag !== null && frag.status < 200) {
      this.lastProvisional = frag.status
      if (this.current === ReferState.Accepted) this.armTimer()
      this.opts.onProgress?.({ sipStatus: frag.status, reason: frag.reason })
    } else if (frag !== null && frag.status < 300) {
      this.finish(ReferState.Succeeded, { kind: 'succeeded', sipStatus: frag.status, detail: `${frag.status} ${frag.reason}`.trim() })
      return
    } else if (frag !== null) {
      this.finish(ReferState.Failed, { kind: 'failed', failure: 'sipfrag', sipStatus: frag.status, detail: `the destination answered ${frag.status} ${frag.reason}`.trim() })
      return
    }
    if (sub?.state === 'terminated') {
      // RFC 3515 §2.4.7: the subscription ends without telling the outcome (reason=timeout, noresource …).
      this.finish(ReferState.Failed, {
        kind: 'failed', failure: 'subscription_terminated', sipStatus: this.lastProvisional,
        detail: `REFER subscription terminated without a final status${sub.reason ? ` (reason=${sub.reason})` : ''}`
      })
    }
  }

  private finish (next: ReferState, outcome: ReferOutcome): void {
    if (this.current !== ReferState.Referring && this.current !== ReferState.Accepted) return
    this.stateTransition(next)
    if (this.timer !== null) { this.opts.clock.clearTimeout(this.timer); this.timer = null }
    const d = this.opts.dialog
    d.off('notify', this.onNotify)
    d.off('destroy', this.onDestroy)
    this.log.info({ outcome }, 'REFER transfer finished')
    if (next === ReferState.Succeeded && d.state !== DialogState.Terminated) {
      // RFC 5589 §6: the transferor ends its dialog once the transfer succeeded.
      d.destroy({ headers: { Reason: 'SIP;cause=200;text="transferred"' } }).catch((err: Error) => { this.log.warn({ err }, 'BYE after transfer failed') })
    }
    this.resolve?.(outcome)
    this.resolve = null
  }
}
