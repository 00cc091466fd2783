import { EventEmitter } from 'node:events'
import type { HeaderField, SipMessage, SipRequest, SipResponse } from '../message/types'
import { getCSeq, getFrom, getHeader, getHeaders, getMaxForwards } from '../message/headers'
import { newBranch, newCallId, newTag } from '../message/factory'
import { rootLogger, type Logger } from '../../log'
import { TransactionLayer, type ServerTransaction } from '../transaction/transaction-layer'
import { InviteServerTransaction } from '../transaction/invite-server-transaction'
import type { Clock } from '../transaction/clock'
import type { TimerTable } from '../transaction/timers'
import { localHostPort, type MessageSource, type SipSender, type TransportName } from '../transaction/sip-sender'
import { ServerResponse, toHeaderFields, type HeaderInput } from '../transaction/server-response'
import { toTag } from '../transaction/transaction-key'
import { Dialog, type DialogContext } from '../dialog/dialog'
import { DialogRegistry } from '../dialog/dialog-registry'
import { ALLOWED_METHODS, DialogState } from '../dialog/dialog-state'
import { targetForUri, uriOfNameAddr } from '../dialog/request-targets'
import { DEFAULT_SESSION_TIMER, formatSessionExpires, uasSessionTimer, type SessionTimerConfig } from '../dialog/session-timer-headers'
import { toIncomingRequest, type IncomingRequest } from './incoming-request'
import { UacInvite, type CreateUacOptions, type UacTarget } from './uac-invite'
import { UacError } from './uac-error'
import { SipError } from '../sip-error'

/** A transport that also delivers messages (the TransportLayer); a bare SipSender is fed through receive(). */
interface MessageSourceEmitter {
  on (event: 'message', fn: (msg: SipMessage, source: MessageSource) => void): unknown
  off?: (event: 'message', fn: (msg: SipMessage, source: MessageSource) => void) => unknown
}

/**
 * Policy hook run for every new request (not ACK, not CANCEL, not retransmissions) right AFTER its server
 * transaction exists and BEFORE any listener or dialog sees it — so an async ACL/auth/limit check can take its
 * time while retransmissions are absorbed, and its rejection is what a retransmission gets back. For INVITE the
 * 100 Trying has already gone out. Answer with res.send(…) or res.drop() to stop the request; return normally
 * without answering to let it through.
 */
export type PreRequestHook = (req: IncomingRequest, res: ServerResponse) => void | Promise<void>

export interface SipAgentOptions {
  transport: SipSender & Partial<MessageSourceEmitter>
  clock?: Clock
  timers?: TimerTable
  logger?: Logger
  /** RFC 4028 defaults (Session-Expires 1800, Min-SE 90); false disables session timers. */
  sessionTimer?: SessionTimerConfig | false
  userAgent?: string
  /** User part of our Contact. */
  contactUser?: string
  preRequest?: PreRequestHook
  random?: () => number
}

export interface CreateUasOptions {
  localSdp: string
  headers?: HeaderInput
  /**
   * Called with the dialog as soon as it exists (when the 2xx goes out), before the promise resolves on
   * the ACK: a request right behind the ACK in the same TCP read (REFER, INFO, re-INVITE) reaches the
   * dialog before a listener attached after `await` would.
   */
  onDialog?: (dialog: Dialog) => void
}

const SUPPORTED_EXTENSIONS = new Set(['timer'])
const SUPPORTED_SCHEMES = new Set(['sip', 'sips', 'tel'])
/** Methods whose body, when present, is a session description (RFC 3264 offer/answer). */
const SDP_METHODS = new Set(['INVITE', 'UPDATE', 'PRACK'])

/**
 * The UA core in drachtio-srf's spirit: out-of-dialog requests become events ('invite', 'options', 'register',
 * 'message', 'subscribe', 'notify', 'refer', 'info', 'publish', 'update', 'bye' …) with (req, res);
 * createUAS / createUAC build Dialogs; in-dialog requests are routed to their Dialog; unknown dialogs get 481.
 * Defaults with no listener: OPTIONS 200, INVITE 480, other known methods 405, unknown methods 501.
 */
export class SipAgent extends EventEmitter {
  readonly transactions: TransactionLayer
  readonly dialogs = new DialogRegistry()
  private readonly earlyDialogs = new WeakMap<ServerResponse, Dialog>()
  preRequest: PreRequestHook | null
  private readonly sender: SipSender & Partial<MessageSourceEmitter>
  private readonly log: Logger
  private readonly stConfig: SessionTimerConfig | null
  private readonly userAgent: string
  private readonly contactUser: string
  private readonly dialogContext: DialogContext
  private readonly onMessage = (msg: SipMessage, source: MessageSource): void => this.receive(msg, source)

  constructor (opts: SipAgentOptions) {
    super()
    this.sender = opts.transport
    this.log = (opts.logger ?? rootLogger).child({ layer: 'ua' })
    this.transactions = new TransactionLayer({ sender: opts.transport, clock: opts.clock, timers: opts.timers, logger: opts.logger })
    this.stConfig = opts.sessionTimer === false ? null : (opts.sessionTimer ?? DEFAULT_SESSION_TIMER)
    this.userAgent = opts.userAgent ?? 'trunkgate'
    this.contactUser = opts.contactUser ?? 'trunkgate'
    this.preRequest = opts.preRequest ?? null
    this.dialogContext = {
      layer: this.transactions,
      logger: opts.logger,
      sessionTimer: this.stConfig ?? { sessionExpires: 0, minSE: DEFAULT_SESSION_TIMER.minSE },
      random: opts.random
    }
    this.transactions.on('request', (req: SipRequest, tx: ServerTransaction, source: MessageSource) => {
      this.onRequest(req, tx, source).catch((err) => this.log.error({ err }, 'request handling failed'))
    })
    this.transactions.on('ack', (req: SipRequest) => this.onAck(req))
    this.transactions.on('stray-response', (res: SipResponse) => this.onStrayResponse(res))
    if (typeof this.sender.on === 'function') this.sender.on('message', this.onMessage)
  }

  /** Feed a received message (done automatically when the transport is an EventEmitter of 'message'). */
  receive (msg: SipMessage, source: MessageSource): void {
    this.transactions.receive(msg, source)
  }

  contactFor (transport: TransportName): string {
    const { host, port } = localHostPort(this.sender, transport)
    const h = host.includes(':') ? `[${host}]` : host
    return `<sip:${this.contactUser}@${h}:${port};transport=${transport}>`
  }

  private localHostFor (transport: TransportName): string {
    const { host, port } = localHostPort(this.sender, transport)
    return `${host.includes(':') ? `[${host}]` : host}:${port}`
  }

  private async onRequest (raw: SipRequest, tx: ServerTransaction, source: MessageSource): Promise<void> {
    const inDialog = toTag(raw) !== null
    const dialog = inDialog ? (this.dialogs.forIncomingRequest(raw) ?? null) : null
    const req = toIncomingRequest(raw, source, dialog)
    const res = new ServerResponse(tx)
    if (tx instanceof InviteServerTransaction) {
      tx.on('cancel', () => { req.canceled = true; res.emit('cancel') })
      if (!inDialog) this.trackEarlyDialog(req, res)
      // §12.1.1: a response that creates a dialog (101-299 to INVITE) MUST carry a Contact.
      const contact = this.contactFor(source.transport)
      res.decorate = (out) => {
        if (out.status > 100 && out.status < 300 && !out.headers.some((h) => h.name === 'Contact')) {
          out.headers.push({ name: 'Contact', value: contact })
        }
      }
    }
    try {
      if (this.preRequest) await this.preRequest(req, res)
      // The hook answered, or a CANCEL was answered (487) while it was thinking.
      if (res.finished) return
      this.route(req, res, inDialog, dialog)
    } catch (err) {
      // A throwing hook or listener must not leave the peer waiting (an INVITE would ring until CANCEL).
      this.log.error({ err, method: req.method }, 'request handler failed')
      if (!res.finished) {
        if (err instanceof SipError) res.send(err.status, err.reason, { headers: err.headers })
        else res.send(500, 'Server Internal Error')
      }
    }
  }

  private route (req: IncomingRequest, res: ServerResponse, inDialog: boolean, dialog: Dialog | null): void {
    if (!this.checkGeneric(req, res)) return
    if (inDialog) {
      // §12.2.2: a request with a To tag for a dialog we do not know → 481.
      if (!dialog || dialog.state === DialogState.Terminated) {
        res.send(481, 'Call/Transaction Does Not Exist')
        return
      }
      dialog.handleRequest(req, res)
      return
    }
    const event = req.method.toLowerCase()
    if (this.listenerCount(event) > 0) {
      this.emit(event, req, res)
      return
    }
    this.defaultAnswer(req, res)
  }

  /** §8.2.1–§8.2.3: generic UAS checks that do not depend on the listener's policy. */
  private checkGeneric (req: IncomingRequest, res: ServerResponse): boolean {
    // §8.2.2.1: a Request-URI scheme we do not speak → 416 (RFC 4475 §3.3.1/§3.3.2).
    const scheme = /^\s*([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(req.uri)?.[1]?.toLowerCase()
    if (!scheme || !SUPPORTED_SCHEMES.has(scheme)) {
      res.send(416, 'Unsupported URI Scheme')
      return false
    }
    if (SDP_METHODS.has(req.method)) {
      // §8.2.3: a session body we cannot read → 415 with Accept (RFC 4475 §3.3.13).
      const ct = (getHeader(req, 'Content-Type') ?? '').split(';')[0].trim().toLowerCase()
      if (req.body.length > 0 && ct !== 'application/sdp' && ct !== 'multipart/mixed') {
        res.send(415, 'Unsupported Media Type', { headers: { Accept: 'application/sdp' } })
        return false
      }
      // §8.2.3 / RFC 4475 §3.3.14: an Accept that excludes SDP leaves us nothing to answer with → 406.
      const accept = getHeaders(req, 'Accept').map((a) => a.split(';')[0].trim().toLowerCase()).filter((a) => a !== '')
      if (req.method === 'INVITE' && accept.length > 0 && !accept.some((a) => a === 'application/sdp' || a === 'application/*' || a === '*/*')) {
        res.send(406, 'Not Acceptable', { headers: { Warning: '399 trunkgate "only application/sdp session descriptions"' } })
        return false
      }
    }
    // §8.2.2.3: an extension we do not support in Require → 420 with Unsupported.
    const unsupported = getHeaders(req, 'Require').map((t) => t.trim().toLowerCase()).filter((t) => t && !SUPPORTED_EXTENSIONS.has(t))
    if (unsupported.length > 0) {
      res.send(420, 'Bad Extension', { headers: { Unsupported: unsupported.join(', ') } })
      return false
    }
    // Max-Forwards 0 is only a proxy's concern (§16.3 step 3 → 483). We terminate the call as a UAS, so RFC 4475
    // §3.3.11 (zeromf) applies: process the request as if the value were still positive. Our own outgoing legs start
    // a fresh Max-Forwards, as any B2BUA does. getMaxForwards still validates the value (overflow → 400).
    getMaxForwards(req)
    return true
  }

  private defaultAnswer (req: IncomingRequest, res: ServerResponse): void {
    switch (req.method) {
      case 'OPTIONS':
        res.send(200, 'OK', { headers: { Allow: ALLOWED_METHODS, Accept: 'application/sdp', Supported: 'timer' } })
        return
      case 'INVITE':
        res.send(480, 'Temporarily Unavailable')
        return
      case 'BYE': case 'INFO': case 'UPDATE': case 'PRACK': case 'NOTIFY':
        // Requests that only make sense inside a dialog (§15.1.2 for BYE).
        res.send(481, 'Call/Transaction Does Not Exist')
        return
      case 'REGISTER': case 'MESSAGE': case 'SUBSCRIBE': case 'REFER': case 'PUBLISH':
        res.send(405, 'Method Not Allowed', { headers: { Allow: ALLOWED_METHODS } })
        return
      default:
        // §8.2.1: a method we do not recognise → 501.
        res.send(501, 'Not Implemented', { headers: { Allow: ALLOWED_METHODS } })
    }
  }

  private onAck (req: SipRequest): void {
    const dialog = this.dialogs.forIncomingRequest(req)
    if (dialog) dialog.handleAck(req)
    else this.log.debug({ callId: getHeader(req, 'Call-ID') }, 'ACK for no dialog dropped')
  }

  private onStrayResponse (res: SipResponse): void {
    if (res.status < 200 || res.status >= 300) return
    const dialog = this.dialogs.forResponse(res)
    if (dialog) dialog.handleStrayTwoXx(res)
  }

  /**
   * Accept an INVITE: 200 with our SDP (+ Contact, RFC 4028 headers), then wait for the ACK. Resolves with the
   * confirmed Dialog when the ACK arrives; rejects (after BYE) when none arrives within 64*T1 (§13.3.1.4), with
   * 422 when the Session-Expires is below our Min-SE, or when the INVITE was canceled first.
   */
  createUAS (req: SipRequest, res: ServerResponse, opts: CreateUasOptions): Promise<Dialog> {
    return new Promise<Dialog>((resolve, reject) => {
      if (res.finished) {
        reject(new UacError(487, 'Request Terminated', 'SIP_ERR_UAS_FINISHED', null, 'the INVITE was already answered or canceled'))
        return
      }
      const source = (req as Partial<IncomingRequest>).source ?? (res.tx as InviteServerTransaction).source
      const headers: HeaderField[] = [
        { name: 'Contact', value: this.contactFor(source.transport) },
        { name: 'Allow', value: ALLOWED_METHODS },
        { name: 'Supported', value: 'timer' }
      ]
      let sessionTimer: { interval: number, weRefresh: boolean } | null = null
      if (this.stConfig) {
        const d = uasSessionTimer(req, this.stConfig)
        if (d.kind === 'reject') {
          // RFC 4028 §9: below our Min-SE → 422 carrying it.
          res.send(422, 'Session Interval Too Small', { headers: { 'Min-SE': String(d.minSE) } })
          reject(new UacError(422, 'Session Interval Too Small', 'SIP_ERR_SESSION_INTERVAL', null))
          return
        }
        if (d.kind === 'use') {
          headers.push({ name: 'Session-Expires', value: formatSessionExpires({ interval: d.interval, refresher: d.refresher }) })
          if (d.requireTimer) headers.push({ name: 'Require', value: 'timer' })
          sessionTimer = { interval: d.interval, weRefresh: d.refresher === 'uas' }
        }
      }
      headers.push(...toHeaderFields(opts.headers))
      const out = res.send(200, 'OK', { headers, body: opts.localSdp })
      if (!out) {
        reject(new UacError(487, 'Request Terminated', 'SIP_ERR_UAS_FINISHED', null, 'the INVITE could not be answered'))
        return
      }
      const cseq = getCSeq(req).seq
      const early = this.earlyDialogs.get(res)
      let dialog: Dialog
      if (early && early.state === DialogState.Early) {
        early.confirm(out, sessionTimer)
        dialog = early
      } else {
        dialog = this.uasDialog(req, out, source, DialogState.Confirmed, sessionTimer)
      }
      this.dialogs.add(dialog)
      opts.onDialog?.(dialog)
      const onAck = (): void => { cleanup(); resolve(dialog) }
      const onTimeout = (): void => {
        cleanup()
        reject(new UacError(408, 'Request Timeout', 'SIP_ERR_NO_ACK', null, 'no ACK for the 2xx within 64*T1; BYE sent'))
      }
      // The peer may BYE (or the session end) before its ACK arrives: settle instead of waiting forever.
      const onEnded = (): void => {
        cleanup()
        reject(new UacError(487, 'Request Terminated', 'SIP_ERR_UAS_ENDED_BEFORE_ACK', null, 'dialog ended before the ACK arrived'))
      }
      const cleanup = (): void => {
        dialog.off('ack', onAck)
        dialog.off('ack-timeout', onTimeout)
        dialog.off('terminated', onEnded)
      }
      dialog.on('ack', onAck)
      dialog.on('ack-timeout', onTimeout)
      dialog.on('terminated', onEnded)
      dialog.startTwoXxRetransmission(res, out, cseq)
    })
  }

  /** §12.1.1: the UAS side of a dialog, from the INVITE and the response that creates the dialog. */
  private uasDialog (req: SipRequest, out: SipResponse, source: MessageSource, state: DialogState,
    sessionTimer: { interval: number, weRefresh: boolean } | null): Dialog {
    const contact = getHeaders(req, 'Contact')[0]
    return new Dialog(this.dialogContext, {
      role: 'uas',
      callId: getHeader(req, 'Call-ID') ?? '',
      localTag: toTag(out) ?? '',
      remoteTag: getFrom(req).params.get('tag') ?? '',
      localHeader: getHeader(out, 'To') ?? '',
      remoteHeader: getHeader(req, 'From') ?? '',
      // §12.1.1: the local sequence number is empty until we send a request; §8.1.1.5 lets us pick it.
      localSeq: Math.floor(Math.random() * 0x10000),
      remoteSeq: getCSeq(req).seq,
      // §8.1.1.8 makes Contact mandatory in INVITE; without one, the address it came from is the best target.
      remoteTarget: contact ? uriOfNameAddr(contact) : `sip:${source.remoteAddress}:${source.remotePort};transport=${source.transport}`,
      // §12.1.1: "The route set MUST be set to the list of URIs in the Record-Route header field from the
      // request, taken in order".
      routeSet: getHeaders(req, 'Record-Route'),
      localContact: this.contactFor(source.transport),
      transport: source.transport,
      connectionId: source.connectionId,
      localSdp: out.body.length > 0 ? out.body.toString() : undefined,
      remoteSdp: req.body.length > 0 ? req.body.toString() : undefined,
      state,
      peerAllow: getHeaders(req, 'Allow').join(', '),
      sessionTimer
    })
  }

  /**
   * §12.1.1: a provisional response with a To tag creates an early dialog, so requests the caller sends in it
   * (UPDATE for early media, INFO) find it instead of a 481. It ends with any non-2xx final or a CANCEL.
   */
  private trackEarlyDialog (req: IncomingRequest, res: ServerResponse): void {
    res.on('provisional', (out: SipResponse) => {
      if (this.earlyDialogs.has(res) || req.dialog) return
      const d = this.uasDialog(req, out, req.source, DialogState.Early, null)
      this.earlyDialogs.set(res, d)
      this.dialogs.add(d)
    })
    const end = (): void => {
      const d = this.earlyDialogs.get(res)
      if (d && d.state === DialogState.Early) d.stateTransition(DialogState.Terminated)
    }
    res.once('end', (out: SipResponse | null) => { if (!out || out.status >= 300) end() })
    res.once('cancel', () => setImmediate(end))
  }

  /** Place a call. The returned promise also has cancel() (CANCEL, §9.1); opts.signal does the same. */
  createUAC (uri: string, opts: CreateUacOptions = {}): Promise<Dialog> & { cancel: () => void, callId: string } {
    let uac: UacInvite
    try {
      uac = this.newUac(uri, opts)
    } catch (err) {
      // A bad Request-URI is the caller's error, reported through the promise like every other failure.
      const e = err instanceof SipError ? err : new UacError(400, 'Bad Request', 'SIP_ERR_UAC_BAD_URI', null, String(err))
      return Object.assign(Promise.reject(e), { cancel: () => undefined, callId: '' })
    }
    uac.start()
    const p = uac.promise.then((d) => d)
    return Object.assign(p, { cancel: () => uac.cancel(), callId: uac.callIdValue })
  }

  private newUac (uri: string, opts: CreateUacOptions): UacInvite {
    return new UacInvite({
      layer: this.transactions,
      dialogs: this.dialogs,
      dialogContext: this.dialogContext,
      contactFor: (t) => this.contactFor(t),
      localHostFor: (t) => this.localHostFor(t),
      userAgent: this.userAgent,
      sessionTimer: this.stConfig
    }, uri, opts)
  }

  /** An out-of-dialog non-INVITE request (OPTIONS ping, MESSAGE …); resolves with the final response. */
  request (uri: string, opts: { method: string, headers?: HeaderInput, body?: string | Buffer, contentType?: string, target?: UacTarget }): Promise<SipResponse> {
    const method = opts.method.toUpperCase()
    if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL') {
      return Promise.reject(new Error(`${method} is sent through createUAC / a Dialog`))
    }
    const target = opts.target ?? targetForUri(uri, 'tcp')
    const transport = 'transport' in target ? target.transport : 'tcp'
    const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : (opts.body ?? Buffer.alloc(0))
    const headers: HeaderField[] = [
      { name: 'Via', value: this.transactions.viaFor(transport, newBranch()) },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:${this.contactUser}@${this.localHostFor(transport)}>;tag=${newTag()}` },
      { name: 'To', value: `<${uri}>` },
      { name: 'Call-ID', value: newCallId() },
      { name: 'CSeq', value: `1 ${method}` },
      { name: 'User-Agent', value: this.userAgent },
      ...toHeaderFields(opts.headers)
    ]
    if (body.length > 0) headers.push({ name: 'Content-Type', value: opts.contentType ?? 'text/plain' })
    const req: SipRequest = { kind: 'request', method, uri, version: 'SIP/2.0', headers, body }
    return new Promise((resolve) => {
      const tx = this.transactions.sendRequest(req, [target])
      tx.on('response', (res: SipResponse) => { if (res.status >= 200) resolve(res) })
    })
  }

  /** Stop listening and drop timers (dialogs are not BYEd: the caller decides how calls end on shutdown). */
  close (): void {
    if (typeof this.sender.off === 'function') this.sender.off('message', this.onMessage)
    for (const d of this.dialogs.all()) {
      if (d.state !== DialogState.Terminated) d.stateTransition(DialogState.Terminated)
    }
    this.transactions.close()
  }
}
