import type { SipRequest, SipResponse } from '../message/types'
import { createResponse } from '../message/factory'
import { sentTransport, Transaction, type TransactionContext } from './transaction'
import type { SendTarget } from './sip-sender'

/** RFC 3261 §17.1.2.2 Figure 6. */
export enum NonInviteClientState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated'
}

const S = NonInviteClientState

/** Non-INVITE client transaction (BYE, OPTIONS, REGISTER, CANCEL, INFO …). Same events as the INVITE one. */
export class NonInviteClientTransaction extends Transaction<NonInviteClientState> {
  protected readonly terminatedState = S.Terminated
  protected readonly transitions = {
    [S.Trying]: [S.Proceeding, S.Completed, S.Terminated],
    [S.Proceeding]: [S.Completed, S.Terminated],
    [S.Completed]: [S.Terminated],
    [S.Terminated]: []
  }

  private readonly targets: SendTarget[]
  private started = false

  constructor (ctx: TransactionContext, key: string, request: SipRequest, targets: SendTarget[]) {
    super(ctx, key, request, S.Trying, sentTransport(request))
    this.targets = targets
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.onEnter(S.Trying)
  }

  protected onEnter (state: NonInviteClientState): void {
    switch (state) {
      case S.Trying:
        this.transmit(this.request, this.targets)
        // §17.1.2.2: Timer E only for unreliable transports; Timer F = 64*T1 runs through Trying AND Proceeding.
        if (this.timers.E !== null) this.retransmitAfter(this.timers.E)
        this.startTimer('F', this.timers.F, () => {
          this.emit('timeout')
          this.emit('response', createResponse(this.request, 408, 'Request Timeout'))
          this.stateTransition(S.Terminated)
        })
        break
      case S.Proceeding:
        break
      case S.Completed:
        this.stopTimer('E')
        this.stopTimer('F')
        // §17.1.2.2: Timer K is zero seconds on reliable transports.
        if (this.timers.K === 0) this.stateTransition(S.Terminated)
        else this.startTimer('K', this.timers.K, () => this.stateTransition(S.Terminated))
        break
      case S.Terminated:
        break
    }
  }

  /**
   * Timer E (§17.1.2.2): in Trying the interval doubles up to T2; "If Timer E fires while in the Proceeding state,
   * the request MUST be passed to the transport layer for retransmission, and Timer E MUST be reset with a value
   * of T2 seconds."
   */
  private retransmitAfter (interval: number): void {
    this.startTimer('E', interval, () => {
      if (this.state !== S.Trying && this.state !== S.Proceeding) return
      this.transmit(this.request, this.targets)
      this.retransmitAfter(this.state === S.Proceeding ? this.timers.T2 : Math.min(interval * 2, this.timers.T2))
    })
  }

  receiveResponse (res: SipResponse): void {
    const st = this.state
    if (st !== S.Trying && st !== S.Proceeding) return // §17.1.2.2: Completed absorbs retransmissions
    this.emit('response', res)
    if (this.terminated) return
    if (res.status < 200) {
      if (st === S.Trying) this.stateTransition(S.Proceeding)
    } else {
      this.stateTransition(S.Completed)
    }
  }

  protected onTransportError (err: Error): void {
    const st = this.state
    if (st === S.Terminated) return
    this.emit('transportError', err)
    if (st === S.Trying || st === S.Proceeding) {
      this.emit('response', createResponse(this.request, 503, 'Service Unavailable'))
    }
    if (!this.terminated) this.stateTransition(S.Terminated)
  }
}
