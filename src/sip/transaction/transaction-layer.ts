import { EventEmitter } from 'node:events'
import type { SipMessage, SipRequest, SipResponse } from '../message/types'
import { createResponse, newBranch, newTag } from '../message/factory'
import { getHeaders } from '../message/headers'
import { rootLogger, type Logger } from '../../log'
import { systemClock, type Clock } from './clock'
import { TIMERS, timerTables, type TimerTable, type TimerTables } from './timers'
import type { MessageSource, SendTarget, SipSender, TransportName } from './sip-sender'
import { localHostPort } from './sip-sender'
import type { TransactionContext } from './transaction'
import { InviteClientTransaction } from './invite-client-transaction'
import { NonInviteClientTransaction } from './non-invite-client-transaction'
import { InviteServerTransaction, InviteServerState } from './invite-server-transaction'
import { NonInviteServerTransaction } from './non-invite-server-transaction'
import { clientKeyOfRequest, clientKeyOfResponse, isRfc2543Key, serverKey, toTag } from './transaction-key'
import { responseTargets } from './response-targets'
import { TRANSPORT_KINDS } from '../transport/transport-kind'

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction

export interface TransactionLayerOptions {
  sender: SipSender
  clock?: Clock
  /** Timers for reliable transports (default RFC 3261 Table 4 with T1 = 500 ms). */
  timers?: TimerTable
  /** Timers for unreliable transports; default Table 4 with the T1/T2/T4 of `timers`. */
  unreliableTimers?: TimerTable
  logger?: Logger
  /** Upper bound of remembered final responses of finished non-INVITE server transactions. */
  maxRecentResponses?: number
}

interface RecentFinal { response: SipResponse, request: SipRequest, source: MessageSource, timer: unknown }

/**
 * Matches messages to transactions (RFC 3261 §17.1.3, §17.2.3) and creates server transactions for new requests.
 * Events for the TU (the UA core):
 *  - 'request' (req, tx: ServerTransaction, source): a new request, its server transaction already created
 *    (for INVITE the 100 Trying is already sent). CANCEL never appears here: §9.2 is handled below.
 *  - 'ack' (req, source): an ACK that matched no transaction — the ACK for a 2xx (§13.2.2.4, §17.2.1).
 *  - 'cancel' (cancelRequest, inviteTx): a CANCEL matched a pending INVITE; the 200 and the 487 are sent here.
 *  - 'stray-response' (res, source): a response matching no client transaction (2xx retransmissions after the
 *    transaction ended, forked 2xx — the UA core re-ACKs or BYEs them, §13.2.2.4).
 */
export class TransactionLayer extends EventEmitter {
  readonly sender: SipSender
  readonly clock: Clock
  /** The reliable-transport table (2xx retransmission and dialog timers read T1/T2 from it). */
  readonly timers: TimerTable
  readonly timerTables: TimerTables
  private readonly log: Logger
  private readonly ctx: TransactionContext
  private readonly servers = new Map<string, ServerTransaction>()
  private readonly clients = new Map<string, ClientTransaction>()
  private readonly recentFinals = new Map<string, RecentFinal>()
  private readonly maxRecent: number

  constructor (opts: TransactionLayerOptions) {
    super()
    this.sender = opts.sender
    this.clock = opts.clock ?? systemClock
    this.timers = opts.timers ?? TIMERS
    this.timerTables = timerTables(this.timers, opts.unreliableTimers)
    this.log = (opts.logger ?? rootLogger).child({ layer: 'transaction' })
    this.ctx = { sender: this.sender, clock: this.clock, timers: this.timerTables, logger: this.log }
    this.maxRecent = opts.maxRecentResponses ?? 10000
  }

  get serverCount (): number { return this.servers.size }
  get clientCount (): number { return this.clients.size }

  /** Feed every message the transport layer emits. Never throws: a bad message is answered 400 or dropped. */
  receive (msg: SipMessage, source: MessageSource): void {
    try {
      if (msg.kind === 'request') this.receiveRequest(msg, source)
      else this.receiveResponse(msg, source)
    } catch (err) {
      this.log.warn({ err }, 'message dropped: cannot be matched')
      if (msg.kind === 'request' && msg.method !== 'ACK') this.answerStateless(msg, source, err)
    }
  }

  private answerStateless (req: SipRequest, source: MessageSource, err: unknown): void {
    try {
      const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 400
      const reason = (err as { reason?: string }).reason ?? 'Bad Request'
      const res = createResponse(req, status, reason, { toTag: newTag() })
      this.sender.send(res, responseTargets(req, source)[0]).catch(() => undefined)
    } catch {
      // Not even a response can be built (no Via/CSeq): the only safe action is to drop it.
    }
  }

  private receiveRequest (req: SipRequest, source: MessageSource): void {
    const key = serverKey(req)
    const existing = this.servers.get(key)
    if (req.method === 'ACK') {
      if (existing instanceof InviteServerTransaction) {
        // §17.2.3 (RFC 2543 ACK): also the To tag must equal the one of our response.
        if (!isRfc2543Key(key) || toTag(req) === existing.responseToTag) {
          if (existing.state === InviteServerState.Accepted) this.emit('ack', req, source)
          else existing.receiveRequest(req)
          return
        }
      }
      this.emit('ack', req, source)
      return
    }
    if (existing) {
      existing.receiveRequest(req, source)
      return
    }
    const recent = this.recentFinals.get(key)
    if (recent) {
      // §17.2.2: a retransmitted request is answered with the same final response instead of running again.
      this.sender.send(recent.response, responseTargets(req, source)[0]).catch(() => undefined)
      return
    }
    if (req.method === 'CANCEL') {
      this.receiveCancel(req, key, source)
      return
    }
    const tx = req.method === 'INVITE'
      ? new InviteServerTransaction(this.ctx, key, req, source)
      : new NonInviteServerTransaction(this.ctx, key, req, source)
    this.registerServer(tx)
    tx.start()
    this.emit('request', req, tx, source)
  }

  /** §9.2: 200 to the CANCEL, then 487 to the INVITE if it is still pending; no match → 481. */
  private receiveCancel (req: SipRequest, key: string, source: MessageSource): void {
    const nist = new NonInviteServerTransaction(this.ctx, key, req, source)
    this.registerServer(nist)
    const invite = this.servers.get(serverKey(req, 'INVITE'))
    if (!(invite instanceof InviteServerTransaction)) {
      nist.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist', { toTag: newTag() }))
      return
    }
    // §9.2: "the To tag of the response to the CANCEL and the To tag in the response to the original request
    // SHOULD be the same".
    const tag = invite.responseToTag ?? newTag()
    nist.respond(createResponse(req, 200, 'OK', { toTag: tag }))
    if (invite.cancel(req)) {
      this.emit('cancel', req, invite)
      if (invite.state === InviteServerState.Proceeding) {
        invite.respond(createResponse(invite.request, 487, 'Request Terminated', { toTag: tag }))
      }
    }
  }

  private registerServer (tx: ServerTransaction): void {
    this.servers.set(tx.key, tx)
    tx.on('terminated', () => {
      if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key)
      const final = tx.finalResponse
      if (tx instanceof NonInviteServerTransaction && final) this.rememberFinal(tx, final)
    })
  }

  private rememberFinal (tx: NonInviteServerTransaction, response: SipResponse): void {
    if (this.recentFinals.size >= this.maxRecent) {
      const oldest = this.recentFinals.keys().next().value
      if (oldest !== undefined) this.forgetFinal(oldest)
    }
    // 64*T1 is how long an unreliable peer would retransmit (Timer J); long enough for TCP peers that do.
    const timer = this.clock.setTimeout(() => this.recentFinals.delete(tx.key), 64 * this.timers.T1)
    this.recentFinals.set(tx.key, { response, request: tx.request, source: tx.source, timer })
  }

  private forgetFinal (key: string): void {
    const r = this.recentFinals.get(key)
    if (r) this.clock.clearTimeout(r.timer)
    this.recentFinals.delete(key)
  }

  private receiveResponse (res: SipResponse, source: MessageSource): void {
    const key = clientKeyOfResponse(res)
    const tx = key ? this.clients.get(key) : undefined
    if (tx) {
      tx.receiveResponse(res)
      return
    }
    this.emit('stray-response', res, source)
  }

  /** A Via for a request we originate (§8.1.1.7), with rport (RFC 3581) so NATed replies find us. */
  viaFor (transport: TransportName, branch = newBranch()): string {
    const { host, port } = localHostPort(this.sender, transport)
    const h = host.includes(':') ? `[${host}]` : host
    return `SIP/2.0/${TRANSPORT_KINDS[transport].viaToken} ${h}:${port};branch=${branch};rport`
  }

  /**
   * Start a client transaction. The request must carry its top Via (see viaFor); `targets` are tried in order
   * (e.g. the existing connection, then the address from the route set).
   */
  sendRequest (req: SipRequest, targets: SendTarget[]): ClientTransaction {
    if (req.method === 'ACK') throw new Error('ACK is not sent in a client transaction (§17.1.1.3, §13.2.2.4)')
    if (getHeaders(req, 'Via').length === 0) throw new Error('request has no Via')
    const key = clientKeyOfRequest(req)
    const tx = req.method === 'INVITE'
      ? new InviteClientTransaction(this.ctx, key, req, targets)
      : new NonInviteClientTransaction(this.ctx, key, req, targets)
    this.clients.set(key, tx)
    tx.on('terminated', () => { if (this.clients.get(key) === tx) this.clients.delete(key) })
    tx.start()
    return tx
  }

  /** Send outside any transaction: the ACK for a 2xx (§13.2.2.4) and 2xx retransmissions are the UA core's job. */
  async sendStateless (msg: SipMessage, targets: SendTarget[]): Promise<void> {
    let lastErr: unknown = new Error('no target')
    for (const t of targets) {
      try {
        await this.sender.send(msg, t)
        return
      } catch (err) { lastErr = err }
    }
    throw lastErr
  }

  /** Terminate nothing abruptly, but drop all timers: for shutdown in tests and the server's close(). */
  close (): void {
    for (const k of [...this.recentFinals.keys()]) this.forgetFinal(k)
    for (const tx of [...this.servers.values(), ...this.clients.values()]) {
      tx.terminate()
    }
    this.servers.clear()
    this.clients.clear()
  }
}
