import type { SipRequest, SipResponse } from '../message/types'
import { createResponse } from '../message/factory'
import { Transaction, type TransactionContext } from './transaction'
import type { MessageSource } from './sip-sender'
import { responseTargets } from './response-targets'

/** RFC 3261 §17.2.1 Figure 7, with the Accepted state of RFC 6026 §7.1. */
export enum InviteServerState {
  Proceeding = 'Proceeding',
  Accepted = 'Accepted',
  Completed = 'Completed',
  Confirmed = 'Confirmed',
  Terminated = 'Terminated'
}

const S = InviteServerState

/**
 * INVITE server transaction. The TU answers with respond(); events: 'cancel' (a matching CANCEL arrived while
 * Proceeding), 'ack' (an ACK that matched while Accepted — only with RFC 2543 peers, whose 2xx ACK reuses the
 * INVITE's Via), 'timeout' (Timer H: no ACK for our non-2xx), 'transportError', 'stateChanged', 'terminated'.
 */
export class InviteServerTransaction extends Transaction<InviteServerState> {
  protected readonly terminatedState = S.Terminated
  protected readonly transitions = {
    [S.Proceeding]: [S.Accepted, S.Completed, S.Terminated],
    [S.Accepted]: [S.Terminated],
    [S.Completed]: [S.Confirmed, S.Terminated],
    [S.Confirmed]: [S.Terminated],
    [S.Terminated]: []
  }

  readonly source: MessageSource
  private lastResponse: SipResponse | null = null
  private started = false
  /** The connection of the latest retransmission when it differs from the original one (see responseTargets). */
  private retransmittedOn: MessageSource | null = null

  constructor (ctx: TransactionContext, key: string, request: SipRequest, source: MessageSource) {
    super(ctx, key, request, S.Proceeding, source.transport)
    this.source = source
  }

  get finalResponse (): SipResponse | null {
    return this.lastResponse && this.lastResponse.status >= 200 ? this.lastResponse : null
  }

  get lastSent (): SipResponse | null { return this.lastResponse }

  /** To tag of the final response, for the RFC 2543 ACK match (§17.2.3). */
  get responseToTag (): string | null {
    const r = this.lastResponse
    if (!r) return null
    const to = r.headers.find((h) => h.name === 'To')?.value ?? ''
    const m = /;\s*tag=([^;>\s]+)/i.exec(to)
    return m ? m[1] : null
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.onEnter(S.Proceeding)
  }

  protected onEnter (state: InviteServerState): void {
    switch (state) {
      case S.Proceeding:
        // §17.2.1 lets the TU answer within 200 ms before a 100 is due; carrier trunks retransmit or fail over
        // when it is late, so it goes out at once.
        this.lastResponse = createResponse(this.request, 100, 'Trying')
        this.transmit(this.lastResponse, responseTargets(this.request, this.source, this.retransmittedOn))
        break
      case S.Accepted:
        // RFC 6026 §7.1: absorb INVITE retransmissions and let the TU retransmit its 2xx for Timer L = 64*T1.
        this.startTimer('L', this.timers.L, () => this.stateTransition(S.Terminated))
        break
      case S.Completed:
        // §17.2.1: Timer G (unreliable only) retransmits the final response, doubling up to T2; Timer H = 64*T1
        // bounds the wait for the ACK.
        if (this.timers.G !== null) this.retransmitFinalAfter(this.timers.G)
        this.startTimer('H', this.timers.H, () => {
          this.emit('timeout')
          this.stateTransition(S.Terminated)
        })
        break
      case S.Confirmed:
        // §17.2.1: "the timer G MUST be ignored" once the ACK is in.
        this.stopTimer('G')
        this.stopTimer('H')
        // §17.2.1: Timer I absorbs ACK retransmissions; zero on reliable transports.
        if (this.timers.I === 0) this.stateTransition(S.Terminated)
        else this.startTimer('I', this.timers.I, () => this.stateTransition(S.Terminated))
        break
      case S.Terminated:
        break
    }
  }

  private retransmitFinalAfter (interval: number): void {
    this.startTimer('G', interval, () => {
      if (this.state !== S.Completed || !this.lastResponse) return
      this.transmit(this.lastResponse, responseTargets(this.request, this.source))
      this.retransmitFinalAfter(Math.min(interval * 2, this.timers.T2))
    })
  }

  /** The TU's response. Throws when the state machine has no place for it (a TU bug, e.g. two finals). */
  respond (res: SipResponse): void {
    const st = this.state
    if (st === S.Accepted && res.status >= 200 && res.status < 300) {
      // RFC 6026 §7.1: 2xx retransmissions by the TU (§13.3.1.4) pass straight to the transport.
      this.lastResponse = res
      this.transmit(res, responseTargets(this.request, this.source, this.retransmittedOn))
      return
    }
    if (st !== S.Proceeding) throw new Error(`InviteServerTransaction: cannot send ${res.status} in ${st}`)
    this.lastResponse = res
    this.transmit(res, responseTargets(this.request, this.source, this.retransmittedOn))
    if (res.status < 200) return
    this.stateTransition(res.status < 300 ? S.Accepted : S.Completed)
  }

  /** A request that matched this transaction: a retransmitted INVITE or an ACK (§17.2.1). */
  receiveRequest (req: SipRequest, source?: MessageSource): void {
    if (source && req.method !== 'ACK' && source.connectionId !== this.source.connectionId) this.retransmittedOn = source
    const st = this.state
    if (req.method === 'ACK') {
      if (st === S.Completed) this.stateTransition(S.Confirmed)
      else if (st === S.Accepted) this.emit('ack', req)
      return
    }
    // §17.2.1: "If a request retransmission is received while in the Proceeding state, the most recent provisional
    // response ... MUST be passed to the transport layer"; in Completed the final response is. In Accepted we also
    // repeat the 2xx: a TCP peer that retransmits its INVITE has not seen it.
    if ((st === S.Proceeding || st === S.Completed || st === S.Accepted) && this.lastResponse) {
      this.transmit(this.lastResponse, responseTargets(this.request, this.source, this.retransmittedOn))
    }
  }

  /** §9.2: CANCEL matched while no final response was sent. Returns false when it is too late to cancel. */
  cancel (cancelRequest: SipRequest): boolean {
    if (this.state !== S.Proceeding) return false
    this.emit('cancel', cancelRequest)
    return true
  }

  protected onTransportError (err: Error): void {
    if (this.state === S.Terminated) return
    // §17.2.4: the transport error is reported to the TU and the transaction ends.
    this.emit('transportError', err)
    if (!this.terminated) this.stateTransition(S.Terminated)
  }
}
