import { EventEmitter } from 'node:events'
import type { HeaderField, SipRequest, SipResponse } from '../message/types'
import { getCSeq, getHeaders } from '../message/headers'
import { rootLogger, type Logger } from '../../log'
import type { TransactionLayer } from '../transaction/transaction-layer'
import type { SendTarget, TransportName } from '../transaction/sip-sender'
import { ServerResponse, toHeaderFields, type SendOptions } from '../transaction/server-response'
import { responseTargets } from '../transaction/response-targets'
import { IllegalTransitionError } from '../transaction/illegal-transition-error'
import { DialogState, DIALOG_TRANSITIONS, TARGET_REFRESH_METHODS, ALLOWED_METHODS } from './dialog-state'
import { routeUri, targetForUri, uriOfNameAddr } from './request-targets'
import { TwoXxRetransmitter } from './two-xx-retransmitter'
import { ChallengeAnswerer, type Credentials } from './challenge-answerer'
import { SessionTimer } from './session-timer'
import { answerDirection, isHoldDirection, sdpDirection, withDirection } from './sdp-direction'
import {
  DEFAULT_SESSION_TIMER, formatSessionExpires, readMinSE, uacSessionTimer, uasSessionTimer,
  type SessionTimerConfig
} from './session-timer-headers'

export interface DialogInit {
  role: 'uac' | 'uas'
  callId: string
  localTag: string
  remoteTag: string
  /** Full From/To header values including the tags (§12.1.1 / §12.1.2: local and remote URI). */
  localHeader: string
  remoteHeader: string
  localSeq: number
  remoteSeq: number | null
  remoteTarget: string
  /** In the order requests must carry them (already reversed for a UAC, §12.1.2). */
  routeSet: string[]
  localContact: string
  transport: TransportName
  /** The connection the dialog was created on; in-dialog requests to a UAS dialog's peer try it first. */
  connectionId?: string
  localSdp?: string
  remoteSdp?: string
  state?: DialogState
  /** The peer's Allow header value: tells whether UPDATE can carry session refreshes (RFC 4028 §7.4). */
  peerAllow?: string
  /** Session timer agreed on the initial INVITE (RFC 4028). */
  sessionTimer?: { interval: number, weRefresh: boolean } | null
  /** Digest credentials for in-dialog requests a proxy or trunk challenges (re-INVITE, BYE …). */
  auth?: Credentials
}

export interface DialogContext {
  layer: TransactionLayer
  logger?: Logger
  sessionTimer?: SessionTimerConfig
  /** Injected for the §14.1 glare back-off so tests are deterministic. */
  random?: () => number
}

export interface DestroyInfo { reason: string, request?: SipRequest }

export interface RequestOptions extends SendOptions {}

/**
 * One RFC 3261 §12 dialog (one leg of a call). Emits:
 *  'destroy' ({reason, request?}) — the peer ended it (BYE), or we did for a protocol reason
 *     ('session-expired', 'ack-timeout', 'refresh-failed'); not emitted for our own destroy();
 *  'modify' (req, res) — re-INVITE; with no listener the dialog answers holds itself;
 *  'hold' / 'unhold' ({direction, request}) — notifications after the dialog answered a hold change itself;
 *  'update', 'info', 'options', 'refer', 'notify', 'message' (req, res) — with no listener a sensible default;
 *  'ack' (req), 'refresh' (interval) after a session refresh, 'stateChanged' (state).
 */
export class Dialog extends EventEmitter {
  readonly role: 'uac' | 'uas'
  readonly callId: string
  readonly localTag: string
  readonly remoteTag: string
  readonly localHeader: string
  readonly remoteHeader: string
  localSeq: number
  remoteSeq: number | null
  remoteTarget: string
  readonly routeSet: string[]
  readonly localContact: string
  readonly transport: TransportName
  readonly connectionId?: string
  localSdp: string | undefined
  remoteSdp: string | undefined
  private current: DialogState
  private readonly ctx: DialogContext
  private readonly log: Logger
  private readonly stConfig: SessionTimerConfig
  private readonly sessionTimer: SessionTimer
  private peerAllow: string | undefined
  private outgoingInvite = false
  private incomingInvite: { cseq: number } | null = null
  private retransmitter: TwoXxRetransmitter | null = null
  private pendingAckCSeq: number | null = null
  private offerInOurTwoXx = false
  private lastAck: { cseq: number, ack: SipRequest, targets: SendTarget[] } | null = null
  private peerHeld = false
  private readonly answerer: ChallengeAnswerer | null

  constructor (ctx: DialogContext, init: DialogInit) {
    super()
    this.ctx = ctx
    this.role = init.role
    this.callId = init.callId
    this.localTag = init.localTag
    this.remoteTag = init.remoteTag
    this.localHeader = init.localHeader
    this.remoteHeader = init.remoteHeader
    this.localSeq = init.localSeq
    this.remoteSeq = init.remoteSeq
    this.remoteTarget = init.remoteTarget
    this.routeSet = [...init.routeSet]
    this.localContact = init.localContact
    this.transport = init.transport
    this.connectionId = init.connectionId
    this.localSdp = init.localSdp
    this.remoteSdp = init.remoteSdp
    this.peerAllow = init.peerAllow
    this.answerer = init.auth ? new ChallengeAnswerer(init.auth) : null
    this.current = init.state ?? DialogState.Confirmed
    this.stConfig = ctx.sessionTimer ?? DEFAULT_SESSION_TIMER
    this.log = (ctx.logger ?? rootLogger).child({ callId: init.callId, leg: init.role })
    this.sessionTimer = new SessionTimer(ctx.layer.clock, () => { void this.refreshSession() }, () => {
      this.terminateWithBye('session-expired')
    })
    if (init.sessionTimer) this.sessionTimer.arm(init.sessionTimer.interval, init.sessionTimer.weRefresh)
  }

  /** §12: Call-ID + local tag + remote tag. */
  get id (): string { return Dialog.makeId(this.callId, this.localTag, this.remoteTag) }
  static makeId (callId: string, localTag: string, remoteTag: string): string {
    return `${callId};local=${localTag};remote=${remoteTag}`
  }

  get state (): DialogState { return this.current }
  get sessionInterval (): number | null { return this.sessionTimer.interval }
  get weRefresh (): boolean { return this.sessionTimer.weRefresh }
  get awaitingAck (): boolean { return this.retransmitter?.active ?? false }

  stateTransition (next: DialogState): void {
    if (!DIALOG_TRANSITIONS[this.current].includes(next)) {
      throw new IllegalTransitionError('Dialog', this.current, next)
    }
    this.current = next
    this.emit('stateChanged', next)
    if (next === DialogState.Terminated) {
      this.sessionTimer.disarm()
      this.retransmitter?.stop()
      this.emit('terminated')
    }
  }

  /**
   * §13.2.2.4: a 2xx whose tags match an early dialog confirms it (UAC: the 2xx received; UAS: the 2xx sent). For a
   * UAC its Contact becomes the remote target; the route set stays the one computed at creation (§12.1.2).
   */
  confirm (res: SipResponse, sessionTimer: { interval: number, weRefresh: boolean } | null): void {
    this.stateTransition(DialogState.Confirmed)
    if (this.role === 'uac') {
      const contact = getHeaders(res, 'Contact')[0]
      if (contact) this.remoteTarget = uriOfNameAddr(contact)
      if (res.body.length > 0) this.remoteSdp = res.body.toString()
      const allow = getHeaders(res, 'Allow')
      if (allow.length > 0) this.peerAllow = allow.join(', ')
    } else if (res.body.length > 0) {
      this.localSdp = res.body.toString() // the 2xx we sent
    }
    if (sessionTimer) this.sessionTimer.arm(sessionTimer.interval, sessionTimer.weRefresh)
  }

  // ---------------------------------------------------------------- requests we send (§12.2.1)

  /** §12.2.1.1 Generating the request. ACK reuses the INVITE's CSeq number; others take the next local one. */
  buildRequest (method: string, opts: RequestOptions = {}, cseq?: number): { request: SipRequest, targets: SendTarget[] } {
    const seq = cseq ?? (method === 'ACK' || method === 'CANCEL' ? this.localSeq : ++this.localSeq)
    let requestUri = this.remoteTarget
    let routes = [...this.routeSet]
    if (routes.length > 0 && !routeUri(routes[0]).loose) {
      // Strict router (§12.2.1.1): its URI becomes the Request-URI, the remote target goes last in Route.
      requestUri = routeUri(routes[0]).uri
      routes = [...routes.slice(1), `<${this.remoteTarget}>`]
    }
    const headers: HeaderField[] = [
      { name: 'Via', value: this.ctx.layer.viaFor(this.transport) },
      { name: 'Max-Forwards', value: '70' },
      ...routes.map((value) => ({ name: 'Route', value })),
      { name: 'From', value: this.localHeader },
      { name: 'To', value: this.remoteHeader },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${seq} ${method}` }
    ]
    if (TARGET_REFRESH_METHODS.has(method)) headers.push({ name: 'Contact', value: this.localContact })
    headers.push(...toHeaderFields(opts.headers))
    const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : (opts.body ?? Buffer.alloc(0))
    if (body.length > 0 && !headers.some((h) => h.name.toLowerCase() === 'content-type')) {
      headers.push({ name: 'Content-Type', value: opts.contentType ?? 'application/sdp' })
    }
    const request: SipRequest = { kind: 'request', method, uri: requestUri, version: 'SIP/2.0', headers, body }
    return { request, targets: this.targetsFor(routes.length > 0 ? routeUri(routes[0]).uri : requestUri) }
  }

  private targetsFor (uri: string): SendTarget[] {
    const targets: SendTarget[] = []
    // A UAS dialog's peer opened the connection (often from behind NAT or an SBC that only accepts on it).
    if (this.role === 'uas' && this.connectionId) targets.push({ connectionId: this.connectionId })
    try { targets.push(targetForUri(uri, this.transport)) } catch (err) { this.log.warn({ err, uri }, 'bad target') }
    return targets
  }

  /** Send an in-dialog request; resolves with the final response (a synthesized 408/503 on timeout/failure). */
  request (method: string, opts: RequestOptions = {}): Promise<SipResponse> {
    method = method.toUpperCase()
    if (this.current === DialogState.Terminated && method !== 'BYE') {
      return Promise.reject(new Error(`dialog ${this.id} is terminated`))
    }
    if (method === 'INVITE' && this.outgoingInvite) {
      return Promise.reject(new Error('a re-INVITE is already pending on this dialog (§14.1)'))
    }
    if (method === 'INVITE') this.outgoingInvite = true
    return new Promise((resolve) => {
      const send = (extra: HeaderField[]): void => {
        const { request, targets } = this.buildRequest(method, { ...opts, headers: [...toHeaderFields(opts.headers), ...extra] })
        const tx = this.ctx.layer.sendRequest(request, targets)
        tx.on('response', (res: SipResponse) => {
          if (res.status < 200) return
          if ((res.status === 401 || res.status === 407) && this.answerer) {
            // §22.2 in a dialog: a new request (next CSeq) with credentials, once per challenge.
            const auth = this.answerer.answer(res, method, request.uri, request.body)
            if (auth) { send([auth]); return }
          }
          if (method === 'INVITE') {
            this.outgoingInvite = false
            if (res.status < 300) this.ackTwoXx(res, getCSeq(request).seq, this.answerInAck(request, res))
          }
          resolve(res)
        })
      }
      send([])
    })
  }

  /** §13.2.2.4: the UAC core ACKs every 2xx (and its retransmissions) itself, outside the transaction. */
  ackTwoXx (res: SipResponse, cseq: number, ackBody?: string): void {
    if (this.lastAck?.cseq !== cseq) {
      // §12.2.1.2: a 2xx to a (re-)INVITE refreshes the remote target — before the ACK is addressed.
      const contact = getHeaders(res, 'Contact')[0]
      if (contact) this.remoteTarget = uriOfNameAddr(contact)
      const { request, targets } = this.buildRequest('ACK', ackBody ? { body: ackBody } : {}, cseq)
      this.lastAck = { cseq, ack: request, targets }
    }
    this.ctx.layer.sendStateless(this.lastAck.ack, this.lastAck.targets).catch((err) => {
      this.log.warn({ err }, 'ACK send failed')
    })
  }

  /**
   * An offer-less re-INVITE of ours got its offer in the 2xx (§14.1): the answer goes in the ACK. Without a
   * listener deciding otherwise we answer with our last SDP in the mirrored direction (RFC 3264 §6.1).
   */
  private answerInAck (request: SipRequest, res: SipResponse): string | undefined {
    if (request.body.length > 0 || res.body.length === 0 || !this.localSdp) return undefined
    const offer = res.body.toString()
    const answer = withDirection(this.localSdp, answerDirection(sdpDirection(offer)))
    this.remoteSdp = offer
    this.localSdp = answer
    return answer
  }

  /** A 2xx that matched no client transaction (retransmission after Timer M): re-ACK it (§13.2.2.4). */
  handleStrayTwoXx (res: SipResponse): void {
    const cseq = getCSeq(res)
    if (cseq.method !== 'INVITE' || this.lastAck?.cseq !== cseq.seq) return
    this.ctx.layer.sendStateless(this.lastAck.ack, this.lastAck.targets).catch(() => undefined)
  }

  /**
   * Re-INVITE with a new offer; resolves with the remote answer. A 491 (glare) is retried after the §14.1 delay:
   * 2.1–4 s (in 10 ms steps) when we own the Call-ID (we sent the initial INVITE), 0–2 s otherwise.
   */
  async modify (sdp: string, opts: { headers?: RequestOptions['headers'], maxGlareRetries?: number } = {}): Promise<string> {
    let tries = opts.maxGlareRetries ?? 3
    for (;;) {
      const res = await this.request('INVITE', { headers: [...toHeaderFields(opts.headers), ...this.sessionTimerHeaders()], body: sdp })
      if (res.status === 491 && tries-- > 0) {
        await this.sleep(this.glareDelayMs())
        if (this.current === DialogState.Terminated) throw new Error('dialog ended during glare back-off')
        continue
      }
      if (res.status >= 300) throw Object.assign(new Error(`re-INVITE failed: ${res.status} ${res.reason}`), { status: res.status })
      this.localSdp = sdp
      if (res.body.length > 0) this.remoteSdp = res.body.toString()
      this.applyUacSessionTimer(res)
      return this.remoteSdp ?? ''
    }
  }

  glareDelayMs (): number {
    const r = (this.ctx.random ?? Math.random)()
    // §14.1, in units of 10 ms.
    return this.role === 'uac' ? 2100 + Math.floor(r * 191) * 10 : Math.floor(r * 201) * 10
  }

  private sleep (ms: number): Promise<void> {
    return new Promise((resolve) => { this.ctx.layer.clock.setTimeout(resolve, ms) })
  }

  /** BYE (§15.1.1). The dialog is terminated at once; the promise settles with the BYE's final response. */
  async destroy (opts: RequestOptions = {}): Promise<SipResponse | null> {
    if (this.current === DialogState.Terminated) return null
    this.stateTransition(DialogState.Terminated)
    return await this.request('BYE', opts)
  }

  private terminateWithBye (reason: string): void {
    if (this.current === DialogState.Terminated) return
    this.log.info({ reason }, 'ending dialog with BYE')
    this.stateTransition(DialogState.Terminated)
    this.request('BYE', { headers: { Reason: `SIP;cause=200;text="${reason}"` } }).catch(() => undefined)
    this.emit('destroy', { reason })
  }

  // ---------------------------------------------------------------- session timers (RFC 4028)

  private sessionTimerHeaders (): HeaderField[] {
    const h: HeaderField[] = [{ name: 'Supported', value: 'timer' }]
    const interval = this.sessionTimer.interval ?? this.stConfig.sessionExpires
    if (interval > 0) {
      // §7.4: the refresher asks to stay the refresher ('uac' of the refresh transaction).
      const refresher = this.sessionTimer.interval === null ? null : (this.sessionTimer.weRefresh ? 'uac' : 'uas')
      h.push({ name: 'Session-Expires', value: formatSessionExpires({ interval, refresher }) })
      h.push({ name: 'Min-SE', value: String(this.stConfig.minSE) })
    }
    return h
  }

  /** §7.2 on a 2xx to a refresh we sent. */
  private applyUacSessionTimer (res: SipResponse): void {
    const t = uacSessionTimer(res)
    if (t) {
      this.sessionTimer.arm(t.interval, t.refresher === 'uac')
      this.emit('refresh', t.interval)
    } else {
      this.sessionTimer.disarm()
    }
  }

  /** §7.4: refresh with UPDATE when the peer allows it (no SDP needed), else a re-INVITE with our unchanged SDP. */
  async refreshSession (): Promise<void> {
    if (this.current !== DialogState.Confirmed) return
    const useUpdate = (this.peerAllow ?? '').toUpperCase().split(/\s*,\s*/).includes('UPDATE')
    let minSE: number | null = null
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers = this.sessionTimerHeaders()
      if (minSE !== null) {
        // §7.3: retry with the Min-SE the 422 asked for.
        const se = headers.find((h) => h.name === 'Session-Expires')
        if (se) se.value = formatSessionExpires({ interval: minSE, refresher: 'uac' })
      }
      let res: SipResponse
      if (useUpdate) res = await this.request('UPDATE', { headers })
      else if (this.outgoingInvite) { this.sessionTimer.armExpiryOnly(); return } else {
        res = await this.request('INVITE', { headers, body: this.localSdp ?? '' })
      }
      if (res.status >= 200 && res.status < 300) {
        if (!useUpdate && res.body.length > 0) this.remoteSdp = res.body.toString()
        this.applyUacSessionTimer(res)
        return
      }
      if (res.status === 422 && minSE === null) { minSE = readMinSE(res) ?? this.stConfig.minSE; continue }
      // §10: "If the session refresh request transaction times out or generates a 481 or 408 response,
      // then the UAC sends a BYE request".
      if (res.status === 408 || res.status === 481) { this.terminateWithBye('refresh-failed'); return }
      this.sessionTimer.armExpiryOnly()
      return
    }
    this.sessionTimer.armExpiryOnly()
  }

  // ---------------------------------------------------------------- requests we receive (§12.2.2)

  /** An in-dialog request (not ACK) with its response handle. */
  handleRequest (req: SipRequest, res: ServerResponse): void {
    const cseq = getCSeq(req)
    if (this.current === DialogState.Terminated) {
      res.send(481, 'Call/Transaction Does Not Exist')
      return
    }
    // §12.2.2: "If the remote sequence number was not empty, but the sequence number of the request is lower
    // than the remote sequence number, the request is out of order and MUST be rejected with a 500".
    if (this.remoteSeq !== null && cseq.seq < this.remoteSeq) {
      res.send(500, 'Server Internal Error', { headers: { 'Retry-After': '1' } })
      return
    }
    this.remoteSeq = cseq.seq
    switch (req.method) {
      case 'BYE':
        res.send(200, 'OK')
        this.stateTransition(DialogState.Terminated)
        this.emit('destroy', { reason: 'BYE', request: req })
        return
      case 'INVITE':
        this.handleReInvite(req, res)
        return
      case 'UPDATE':
        this.handleUpdate(req, res)
        return
      case 'INFO': case 'NOTIFY': case 'MESSAGE':
        if (!this.dispatch(req, res)) res.send(200, 'OK')
        return
      case 'OPTIONS':
        if (!this.dispatch(req, res)) res.send(200, 'OK', { headers: { Allow: ALLOWED_METHODS, Accept: 'application/sdp', Supported: 'timer' } })
        return
      case 'REFER':
        // RFC 3515 §2.4.2: a UA that will not transfer declines; a B2BUA decides per call, so default is 603.
        if (!this.dispatch(req, res)) res.send(603, 'Decline')
        return
      default:
        if (!this.dispatch(req, res)) res.send(405, 'Method Not Allowed', { headers: { Allow: ALLOWED_METHODS } })
    }
  }

  private dispatch (req: SipRequest, res: ServerResponse): boolean {
    const event = req.method.toLowerCase()
    if (this.listenerCount(event) === 0) return false
    this.emit(event, req, res)
    return true
  }

  private refreshTarget (req: SipRequest): void {
    const contact = getHeaders(req, 'Contact')[0]
    if (contact) this.remoteTarget = uriOfNameAddr(contact) // §12.2.2 target refresh
    const allow = getHeaders(req, 'Allow').join(', ')
    if (allow) this.peerAllow = allow
  }

  /**
   * Decorate our 2xx to a session refresh request (re-INVITE/UPDATE) with Contact and the RFC 4028 headers, and
   * re-arm the session timer once it is sent. Returns false when the request was rejected with 422 here.
   */
  private prepareRefreshAnswer (req: SipRequest, res: ServerResponse): boolean {
    // Session timers switched off for this agent (sessionExpires 0): neither reject nor arm anything.
    const decision = this.stConfig.sessionExpires > 0 ? uasSessionTimer(req, this.stConfig) : { kind: 'none' as const }
    if (decision.kind === 'reject') {
      res.send(422, 'Session Interval Too Small', { headers: { 'Min-SE': String(decision.minSE) } })
      return false
    }
    const extra: HeaderField[] = [{ name: 'Contact', value: this.localContact }, { name: 'Allow', value: ALLOWED_METHODS }]
    if (decision.kind === 'use') {
      extra.push({ name: 'Session-Expires', value: formatSessionExpires({ interval: decision.interval, refresher: decision.refresher }) })
      if (decision.requireTimer) extra.push({ name: 'Require', value: 'timer' })
    }
    res.decorate = (out) => {
      if (out.status < 200 || out.status >= 300) return
      for (const h of extra) {
        if (!out.headers.some((x) => x.name.toLowerCase() === h.name.toLowerCase())) out.headers.push(h)
      }
    }
    res.once('end', (out: SipResponse | null) => {
      if (!out || out.status < 200 || out.status >= 300) return
      this.refreshTarget(req)
      if (decision.kind === 'use') {
        this.sessionTimer.arm(decision.interval, decision.refresher === 'uas')
        this.emit('refresh', decision.interval)
      }
    })
    return true
  }

  private handleReInvite (req: SipRequest, res: ServerResponse): void {
    const cseq = getCSeq(req).seq
    // §14.2: "A UAS that receives a re-INVITE on a dialog while an INVITE it had sent on that dialog is in
    // progress MUST return a 491 (Request Pending)".
    if (this.outgoingInvite) { res.send(491, 'Request Pending'); return }
    // §14.2: a second INVITE before we answered the first → 500 with Retry-After (0–10 s).
    if (this.incomingInvite || this.awaitingAck) {
      res.send(500, 'Server Internal Error', { headers: { 'Retry-After': String(Math.floor((this.ctx.random ?? Math.random)() * 10)) } })
      return
    }
    if (!this.prepareRefreshAnswer(req, res)) return
    this.incomingInvite = { cseq }
    const offer = req.body.length > 0 ? req.body.toString() : null
    res.once('end', (out: SipResponse | null) => {
      this.incomingInvite = null
      if (!out || out.status < 200 || out.status >= 300) return
      if (offer !== null) this.remoteSdp = offer
      if (out.body.length > 0) this.localSdp = out.body.toString()
      this.offerInOurTwoXx = offer === null
      this.startTwoXxRetransmission(res, out, cseq)
    })
    if (this.listenerCount('modify') > 0) { this.emit('modify', req, res); return }
    this.answerOffer(req, res, offer)
  }

  /** Default re-INVITE / UPDATE answer without a listener: keep our SDP, mirror the hold direction (RFC 3264 §8.4). */
  private answerOffer (req: SipRequest, res: ServerResponse, offer: string | null): void {
    if (offer === null) {
      // Offer-less re-INVITE (§14.2): our 2xx carries an offer, the ACK the answer.
      if (this.localSdp) res.send(200, 'OK', { body: this.localSdp })
      else res.send(200, 'OK')
      return
    }
    if (!this.localSdp) { res.send(488, 'Not Acceptable Here'); return }
    const dir = sdpDirection(offer)
    const answer = withDirection(this.localSdp, answerDirection(dir))
    res.send(200, 'OK', { body: answer })
    const held = isHoldDirection(dir)
    if (held !== this.peerHeld) {
      this.peerHeld = held
      this.emit(held ? 'hold' : 'unhold', { direction: dir, request: req })
    }
  }

  private handleUpdate (req: SipRequest, res: ServerResponse): void {
    const offer = req.body.length > 0 ? req.body.toString() : null
    // RFC 3311 §5.2: an UPDATE with an offer while our own offer is outstanding is glare → 491.
    if (offer !== null && this.outgoingInvite) { res.send(491, 'Request Pending'); return }
    if (!this.prepareRefreshAnswer(req, res)) return
    res.once('end', (out: SipResponse | null) => {
      if (!out || out.status < 200 || out.status >= 300) return
      if (offer !== null) this.remoteSdp = offer
      if (out.body.length > 0) this.localSdp = out.body.toString()
    })
    if (this.dispatch(req, res)) return
    if (offer === null) res.send(200, 'OK')
    else this.answerOffer(req, res, offer)
  }

  /**
   * Our 2xx to an INVITE (initial or re-INVITE) is retransmitted until the ACK (§13.3.1.4); without ACK for
   * 64*T1 the session ends with BYE and 'destroy' {reason: 'ack-timeout'}.
   */
  startTwoXxRetransmission (res: ServerResponse, twoXx: SipResponse, cseq: number): void {
    this.retransmitter?.stop()
    this.pendingAckCSeq = cseq
    const tx = res.tx
    const layer = this.ctx.layer
    this.retransmitter = new TwoXxRetransmitter(layer.clock, layer.timers, twoXx, (r) => {
      if (!tx.terminated) { try { tx.respond(r); return } catch { /* fall through to stateless */ } }
      if ('source' in tx) layer.sendStateless(r, responseTargets(tx.request, tx.source)).catch(() => undefined)
    }, () => {
      this.pendingAckCSeq = null
      this.emit('ack-timeout')
      this.terminateWithBye('ack-timeout')
    })
    this.retransmitter.start()
  }

  /** ACK for our 2xx (§13.3.1.4, §13.3.2.x): stops the retransmissions, may carry the answer to our 2xx offer. */
  handleAck (req: SipRequest): void {
    const cseq = getCSeq(req).seq
    if (this.pendingAckCSeq === null || cseq !== this.pendingAckCSeq) return // retransmitted ACK
    this.pendingAckCSeq = null
    this.retransmitter?.stop()
    if (this.offerInOurTwoXx && req.body.length > 0) this.remoteSdp = req.body.toString()
    this.offerInOurTwoXx = false
    this.emit('ack', req)
  }
}
