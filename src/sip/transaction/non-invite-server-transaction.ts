import type { SipRequest, SipResponse } from '../message/types'
import { Transaction, type TransactionContext } from './transaction'
import type { MessageSource } from './sip-sender'
import { responseTargets } from './response-targets'

/** RFC 3261 §17.2.2 Figure 8. */
export enum NonInviteServerState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated'
}

const S = NonInviteServerState

/** Non-INVITE server transaction. Events: 'transportError', 'stateChanged', 'terminated'. */
export class NonInviteServerTransaction extends Transaction<NonInviteServerState> {
  protected readonly terminatedState = S.Terminated
  protected readonly transitions = {
    [S.Trying]: [S.Proceeding, S.Completed, S.Terminated],
    [S.Proceeding]: [S.Completed, S.Terminated],
    [S.Completed]: [S.Terminated],
    [S.Terminated]: []
  }

  readonly source: MessageSource
  private lastResponse: SipResponse | null = null
  /** The connection of the latest retransmission when it differs from the original one (see responseTargets). */
  private retransmittedOn: MessageSource | null = null

  constructor (ctx: TransactionContext, key: string, request: SipRequest, source: MessageSource) {
    super(ctx, key, request, S.Trying, source.transport)
    this.source = source
  }

  get finalResponse (): SipResponse | null {
    return this.lastResponse && this.lastResponse.status >= 200 ? this.lastResponse : null
  }

  get lastSent (): SipResponse | null { return this.lastResponse }

  start (): void { /* Trying has no entry action: the request goes to the TU (§17.2.2). */ }

  protected onEnter (state: NonInviteServerState): void {
    if (state === S.Completed) {
      // §17.2.2: Timer J absorbs request retransmissions; zero on reliable transports. The transaction layer keeps
      // the final response a little longer so a TCP peer that retransmits anyway gets the same answer.
      if (this.timers.J === 0) this.stateTransition(S.Terminated)
      else this.startTimer('J', this.timers.J, () => this.stateTransition(S.Terminated))
    }
  }

  respond (res: SipResponse): void {
    const st = this.state
    if (st !== S.Trying && st !== S.Proceeding) {
      throw new Error(`NonInviteServerTransaction: cannot send ${res.status} in ${st}`)
    }
    this.lastResponse = res
    this.transmit(res, responseTargets(this.request, this.source, this.retransmittedOn))
    if (res.status < 200) {
      if (st === S.Trying) this.stateTransition(S.Proceeding)
    } else {
      this.stateTransition(S.Completed)
    }
  }

  /** §17.2.2: a retransmission is absorbed in Trying and answered with the last response afterwards. */
  receiveRequest (_req: SipRequest, source?: MessageSource): void {
    if (source && source.connectionId !== this.source.connectionId) this.retransmittedOn = source
    if (this.state === S.Trying || !this.lastResponse) return
    if (this.state === S.Proceeding || this.state === S.Completed) {
      this.transmit(this.lastResponse, responseTargets(this.request, this.source, this.retransmittedOn))
    }
  }

  protected onTransportError (err: Error): void {
    if (this.state === S.Terminated) return
    this.emit('transportError', err)
    if (!this.terminated) this.stateTransition(S.Terminated)
  }
}
