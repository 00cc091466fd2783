import type { SipRequest, SipResponse } from '../message/types'
import { createResponse } from '../message/factory'
import { getHeaders, getCSeq, getCallId, getHeader } from '../message/headers'
import { sentTransport, Transaction, type TransactionContext } from './transaction'
import type { SendTarget } from './sip-sender'

/** RFC 3261 §17.1.1.2 Figure 5, with the Accepted state of RFC 6026 §7.2. */
export enum InviteClientState {
  Calling = 'Calling',
  Proceeding = 'Proceeding',
  Accepted = 'Accepted',
  Completed = 'Completed',
  Terminated = 'Terminated'
}

const S = InviteClientState

/**
 * INVITE client transaction. Events: 'response' (every response the TU must see, including the 408/503
 * synthesized on timeout/transport error), 'timeout', 'transportError', 'stateChanged', 'terminated'.
 */
export class InviteClientTransaction extends Transaction<InviteClientState> {
  protected readonly terminatedState = S.Terminated
  protected readonly transitions = {
    [S.Calling]: [S.Proceeding, S.Accepted, S.Completed, S.Terminated],
    [S.Proceeding]: [S.Accepted, S.Completed, S.Terminated],
    [S.Accepted]: [S.Terminated],
    [S.Completed]: [S.Terminated],
    [S.Terminated]: []
  }

  private readonly targets: SendTarget[]
  private ack: SipRequest | null = null
  private started = false

  constructor (ctx: TransactionContext, key: string, request: SipRequest, targets: SendTarget[]) {
    super(ctx, key, request, S.Calling, sentTransport(request))
    this.targets = targets
  }

  /** Enter Calling: "the client transaction MUST pass the request to the transport layer" (§17.1.1.2). */
  start (): void {
    if (this.started) return
    this.started = true
    this.onEnter(S.Calling)
  }

  protected onEnter (state: InviteClientState): void {
    switch (state) {
      case S.Calling:
        this.transmit(this.request, this.targets)
        // §17.1.1.2: "If an unreliable transport is being used, the client transaction MUST start timer A with a
        // value of T1" and retransmit each time it fires, doubling the interval; Timer B = 64*T1 bounds the wait.
        if (this.timers.A !== null) this.retransmitEvery(this.timers.A)
        this.startTimer('B', this.timers.B, () => {
          this.emit('timeout')
          // §8.1.3.1: a transaction timeout is treated as a 408 by the UAC core.
          this.emit('response', createResponse(this.request, 408, 'Request Timeout'))
          this.stateTransition(S.Terminated)
        })
        break
      case S.Proceeding:
        // §17.1.1.2: Timer B only guards the Calling state; ringing may last as long as the TU allows.
        // A provisional response also stops retransmissions ("MUST NOT retransmit the request any longer").
        this.stopTimer('A')
        this.stopTimer('B')
        break
      case S.Accepted:
        // RFC 6026 §7.2: stay to pass 2xx retransmissions (and forked 2xx) to the TU for 64*T1 (Timer M).
        this.stopTimer('A')
        this.stopTimer('B')
        this.startTimer('M', this.timers.M, () => this.stateTransition(S.Terminated))
        break
      case S.Completed:
        this.stopTimer('A')
        this.stopTimer('B')
        // §17.1.1.2: Timer D absorbs response retransmissions; zero on reliable transports.
        if (this.timers.D === 0) this.stateTransition(S.Terminated)
        else this.startTimer('D', this.timers.D, () => this.stateTransition(S.Terminated))
        break
      case S.Terminated:
        break
    }
  }

  /** Timer A: retransmit the INVITE, then wait twice as long (§17.1.1.2: no T2 cap for INVITE). */
  private retransmitEvery (interval: number): void {
    this.startTimer('A', interval, () => {
      if (this.state !== S.Calling) return
      this.transmit(this.request, this.targets)
      this.retransmitEvery(interval * 2)
    })
  }

  receiveResponse (res: SipResponse): void {
    const st = this.state
    if (res.status < 200) {
      if (st === S.Calling || st === S.Proceeding) {
        this.emit('response', res)
        if (st === S.Calling && !this.terminated) this.stateTransition(S.Proceeding)
      }
      return
    }
    if (res.status < 300) {
      // §17.1.1.2 / RFC 6026 §7.2: 2xx goes to the TU, which sends the ACK itself (§13.2.2.4).
      if (st === S.Calling || st === S.Proceeding) {
        this.emit('response', res)
        if (!this.terminated) this.stateTransition(S.Accepted)
      } else if (st === S.Accepted) {
        this.emit('response', res)
      }
      return
    }
    if (st === S.Calling || st === S.Proceeding) {
      // §17.1.1.2: "the client transaction MUST ... generate an ACK request, even if the transport is reliable".
      this.ack = this.buildAck(res)
      this.transmit(this.ack, this.targets)
      this.emit('response', res)
      if (!this.terminated) this.stateTransition(S.Completed)
    } else if (st === S.Completed && this.ack) {
      // §17.1.1.2: retransmissions of the final response get the ACK again and are not passed up.
      this.transmit(this.ack, this.targets)
    }
  }

  /** §17.1.1.3 Construction of the ACK Request (for non-2xx final responses). */
  buildAck (res: SipResponse): SipRequest {
    const req = this.request
    const headers = [
      { name: 'Via', value: getHeaders(req, 'Via')[0] },
      { name: 'Max-Forwards', value: '70' },
      ...getHeaders(req, 'Route').map((value) => ({ name: 'Route', value })),
      { name: 'From', value: getHeader(req, 'From') ?? '' },
      // "The To header field in the ACK MUST equal the To header field in the response being acknowledged"
      { name: 'To', value: getHeader(res, 'To') ?? '' },
      { name: 'Call-ID', value: getCallId(req) },
      { name: 'CSeq', value: `${getCSeq(req).seq} ACK` }
    ]
    return { kind: 'request', method: 'ACK', uri: req.uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) }
  }

  protected onTransportError (err: Error): void {
    const st = this.state
    if (st === S.Terminated) return
    this.emit('transportError', err)
    // §17.1.4 + §8.1.3.1: the TU treats a transport failure as a 503 (Service Unavailable).
    if (st === S.Calling || st === S.Proceeding) {
      this.emit('response', createResponse(this.request, 503, 'Service Unavailable'))
    }
    if (!this.terminated) this.stateTransition(S.Terminated)
  }
}
