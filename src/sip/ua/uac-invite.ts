import type { HeaderField, SipRequest, SipResponse } from '../message/types'
import { getCSeq, getHeader, getHeaders } from '../message/headers'
import { newCallId, newTag } from '../message/factory'
import { ChallengeAnswerer } from '../dialog/challenge-answerer'
import type { TransactionLayer, ClientTransaction } from '../transaction/transaction-layer'
import type { SendTarget, TransportName } from '../transaction/sip-sender'
import { toHeaderFields, type HeaderInput } from '../transaction/server-response'
import { Dialog, type DialogContext } from '../dialog/dialog'
import type { DialogRegistry } from '../dialog/dialog-registry'
import { DialogState, ALLOWED_METHODS } from '../dialog/dialog-state'
import { targetForUri, uriOfNameAddr } from '../dialog/request-targets'
import { readMinSE, uacSessionTimer, type SessionTimerConfig } from '../dialog/session-timer-headers'
import { UacError } from './uac-error'
import { toTag } from '../transaction/transaction-key'

export interface UacTarget { transport: TransportName, host: string, port: number }

export interface CreateUacOptions {
  localSdp?: string
  headers?: HeaderInput
  /** Digest credentials: each 401/407 challenge is answered once (RFC 3261 §22.2). */
  auth?: { username: string, password: string }
  /** Where to send the INVITE (outbound proxy / trunk address); default: resolved from the Request-URI. */
  target?: UacTarget
  proxy?: UacTarget
  /** User part of our From URI (the caller's number). */
  callingNumber?: string
  /** Full From value without tag; overrides callingNumber. */
  from?: string
  /** Full To value; default <uri>. */
  to?: string
  onProvisional?: (res: SipResponse) => void
  signal?: AbortSignal
  /**
   * No final answer within this many ms → CANCEL (the UAC's own bound; Timer B stops at the first 1xx and
   * Timer C is a proxy timer, §16.6). Default: none — the caller cancels.
   */
  ringTimeoutMs?: number
}

export interface UacEnvironment {
  layer: TransactionLayer
  dialogs: DialogRegistry
  dialogContext: DialogContext
  contactFor: (transport: TransportName) => string
  localHostFor: (transport: TransportName) => string
  userAgent: string
  sessionTimer: SessionTimerConfig | null
}

/**
 * One outgoing INVITE (RFC 3261 §13.2) until it yields a confirmed dialog or fails: 1xx to onProvisional, 2xx →
 * ACK + Dialog, 401/407 answered once per challenge, 422 retried once with the Min-SE asked for (RFC 4028 §7.3),
 * cancel() → CANCEL after the first provisional (§9.1), forked extra 2xx are ACKed and BYEd (§13.2.2.4).
 */
export class UacInvite {
  readonly uri: string
  readonly promise: Promise<Dialog>
  private readonly env: UacEnvironment
  private readonly opts: CreateUacOptions
  private readonly target: SendTarget
  private readonly transport: TransportName
  private readonly callId = newCallId()
  private readonly fromTag = newTag()
  private cseq = 1
  private sessionExpires: number | null
  private invite: SipRequest | null = null
  private provisional = false
  private cancelRequested = false
  private cancelSent = false
  private settled = false
  private retried422 = false
  private readonly answerer: ChallengeAnswerer | null
  /** Authorization / Proxy-Authorization already answered, by header name and realm. */
  private readonly credentials = new Map<string, HeaderField>()
  private dialog: Dialog | null = null
  /** §12.1.2: early dialogs, one per To tag seen in a provisional response (forking may create several). */
  private readonly early = new Map<string, Dialog>()
  private resolve!: (d: Dialog) => void
  private reject!: (e: Error) => void

  constructor (env: UacEnvironment, uri: string, opts: CreateUacOptions) {
    this.env = env
    this.uri = uri
    this.opts = opts
    const t = opts.target ?? opts.proxy
    this.target = t ?? targetForUri(uri, 'tcp')
    this.transport = t?.transport ?? ('transport' in this.target ? this.target.transport : 'tcp')
    this.sessionExpires = env.sessionTimer ? env.sessionTimer.sessionExpires : null
    this.answerer = opts.auth ? new ChallengeAnswerer(opts.auth) : null
    this.promise = new Promise<Dialog>((resolve, reject) => { this.resolve = resolve; this.reject = reject })
    // A caller that only awaits the dialog must not see an unhandled rejection from cancel().
    this.promise.catch(() => undefined)
    if (opts.signal) {
      if (opts.signal.aborted) this.cancelRequested = true
      else opts.signal.addEventListener('abort', () => this.cancel(), { once: true })
    }
  }

  start (): void {
    try {
      this.sendInvite([])
    } catch (err) {
      // E.g. the transport is not listening for this transport, so no Via can be written (§17.1.4 spirit: 503).
      this.fail(null, 503, 'Service Unavailable', 'SIP_ERR_UAC_SEND', String(err))
      return
    }
    if (this.opts.ringTimeoutMs !== undefined && this.opts.ringTimeoutMs > 0) {
      const clock = this.env.layer.clock
      const timer = clock.setTimeout(() => this.cancel(), this.opts.ringTimeoutMs)
      this.promise.then(() => clock.clearTimeout(timer), () => clock.clearTimeout(timer))
    }
  }

  get callIdValue (): string { return this.callId }

  private fromValue (): string {
    if (this.opts.from) return this.opts.from
    const user = this.opts.callingNumber ?? 'trunkgate'
    return `<sip:${user}@${this.env.localHostFor(this.transport)}>`
  }

  private sendInvite (extra: HeaderField[]): void {
    const body = Buffer.from(this.opts.localSdp ?? '')
    const headers: HeaderField[] = [
      { name: 'Via', value: this.env.layer.viaFor(this.transport) },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `${this.fromValue()};tag=${this.fromTag}` },
      { name: 'To', value: this.opts.to ?? `<${this.uri}>` },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${this.cseq} INVITE` },
      { name: 'Contact', value: this.env.contactFor(this.transport) },
      { name: 'Allow', value: ALLOWED_METHODS },
      { name: 'Supported', value: 'timer' },
      { name: 'User-Agent', value: this.env.userAgent }
    ]
    if (this.sessionExpires !== null && this.env.sessionTimer) {
      // RFC 4028 §7.1: no refresher parameter, the UAS chooses; Min-SE tells proxies our floor.
      headers.push({ name: 'Session-Expires', value: String(this.sessionExpires) })
      headers.push({ name: 'Min-SE', value: String(this.env.sessionTimer.minSE) })
    }
    headers.push(...extra, ...toHeaderFields(this.opts.headers))
    if (body.length > 0) headers.push({ name: 'Content-Type', value: 'application/sdp' })
    const req: SipRequest = { kind: 'request', method: 'INVITE', uri: this.uri, version: 'SIP/2.0', headers, body }
    this.invite = req
    this.provisional = false
    this.cancelSent = false
    const tx: ClientTransaction = this.env.layer.sendRequest(req, [this.target])
    tx.on('response', (res: SipResponse) => this.onResponse(res, req))
  }

  /** §9.1: CANCEL once a provisional response arrived (before it, the CANCEL could overtake the INVITE). */
  cancel (): void {
    if (this.settled) return
    this.cancelRequested = true
    if (this.provisional) this.sendCancel()
  }

  private sendCancel (): void {
    const inv = this.invite
    if (!inv || this.cancelSent) return
    this.cancelSent = true
    // §9.1: same Request-URI, Call-ID, To, From, CSeq number and top Via (branch) as the INVITE; same Route.
    const headers: HeaderField[] = [
      { name: 'Via', value: getHeaders(inv, 'Via')[0] },
      { name: 'Max-Forwards', value: '70' },
      ...getHeaders(inv, 'Route').map((value) => ({ name: 'Route', value })),
      { name: 'From', value: getHeader(inv, 'From') ?? '' },
      { name: 'To', value: getHeader(inv, 'To') ?? '' },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${getCSeq(inv).seq} CANCEL` }
    ]
    const cancel: SipRequest = { kind: 'request', method: 'CANCEL', uri: inv.uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) }
    this.env.layer.sendRequest(cancel, [this.target])
  }

  private fail (res: SipResponse | null, status: number, reason: string, code: string, detail?: string): void {
    if (this.settled) return
    this.settled = true
    this.endEarlyDialogs()
    this.reject(new UacError(status, reason, code, res, detail))
  }

  private onResponse (res: SipResponse, req: SipRequest): void {
    if (req !== this.invite) return // a response to a superseded INVITE (after an auth retry)
    if (res.status < 200) {
      this.provisional = true
      const tag = toTag(res)
      if (res.status > 100 && tag && !this.settled && !this.early.has(tag)) {
        const d = this.makeDialog(res, tag, DialogState.Early)
        this.early.set(tag, d)
        this.env.dialogs.add(d)
      }
      if (!this.settled) this.opts.onProvisional?.(res)
      if (this.cancelRequested) this.sendCancel()
      return
    }
    if (res.status < 300) { this.onTwoXx(res); return }
    if ((res.status === 401 || res.status === 407) && this.retryWithAuth(res)) return
    if (res.status === 422 && !this.retried422 && this.sessionExpires !== null) {
      // RFC 4028 §7.3: retry once with Session-Expires raised to the Min-SE of the 422.
      const min = readMinSE(res)
      if (min !== null && min > this.sessionExpires) {
        this.retried422 = true
        this.sessionExpires = min
        this.cseq++
        this.sendInvite([])
        return
      }
    }
    if (this.cancelRequested && res.status === 487) {
      this.fail(res, 487, 'Request Terminated', 'SIP_ERR_UAC_CANCELED')
      return
    }
    this.fail(res, res.status, res.reason, 'SIP_ERR_UAC_REJECTED')
  }

  /** §22.2: answer a challenge once per nonce (ChallengeAnswerer); the retry is a new transaction, CSeq + 1. */
  private retryWithAuth (res: SipResponse): boolean {
    if (!this.answerer || this.cancelRequested) return false
    const header = this.answerer.answer(res, 'INVITE', this.uri, Buffer.from(this.opts.localSdp ?? ''))
    if (!header) return false
    // §22.3: a proxy (407) and then the UAS (401) may each challenge; the retry carries the credentials
    // for every realm answered so far, the newest one per header and realm.
    const realm = /realm="([^"]*)"/i.exec(header.value)?.[1] ?? ''
    this.credentials.set(`${header.name}|${realm}`, header)
    // §8.1.3.5: same Call-ID and From tag, higher CSeq.
    this.cseq++
    this.sendInvite([...this.credentials.values()])
    return true
  }

  private endEarlyDialogs (): void {
    for (const d of this.early.values()) {
      // §13.2.2.3/§13.2.2.4: early dialogs that were not confirmed end with the INVITE.
      if (d.state === DialogState.Early) d.stateTransition(DialogState.Terminated)
    }
    this.early.clear()
  }

  private onTwoXx (res: SipResponse): void {
    const remoteTag = toTag(res) ?? ''
    if (this.dialog && this.dialog.remoteTag === remoteTag) {
      this.dialog.ackTwoXx(res, getCSeq(res).seq) // retransmitted 2xx: ACK again (§13.2.2.4)
      return
    }
    const early = this.early.get(remoteTag)
    let dialog: Dialog
    if (early && early.state === DialogState.Early && !this.dialog && !this.settled) {
      early.confirm(res, this.sessionTimerOf(res))
      this.early.delete(remoteTag)
      dialog = early
    } else {
      dialog = this.makeDialog(res, remoteTag, DialogState.Confirmed)
    }
    dialog.ackTwoXx(res, getCSeq(res).seq)
    if (this.dialog || this.settled) {
      // §13.2.2.4: a second dialog from a forking proxy (or a 2xx that crossed our CANCEL, §9.1) — we keep one
      // call, so it is ACKed and ended.
      dialog.destroy().catch(() => undefined)
      if (!this.settled && this.cancelRequested) this.fail(res, 487, 'Request Terminated', 'SIP_ERR_UAC_CANCELED')
      return
    }
    this.dialog = dialog
    this.env.dialogs.add(dialog)
    this.endEarlyDialogs()
    if (this.cancelRequested) {
      dialog.destroy().catch(() => undefined)
      this.fail(res, 487, 'Request Terminated', 'SIP_ERR_UAC_CANCELED', '2xx crossed the CANCEL; the call was ended with BYE')
      return
    }
    this.settled = true
    this.resolve(dialog)
  }

  private sessionTimerOf (res: SipResponse): { interval: number, weRefresh: boolean } | null {
    const st = this.env.sessionTimer && res.status >= 200 ? uacSessionTimer(res) : null
    return st ? { interval: st.interval, weRefresh: st.refresher === 'uac' } : null
  }

  private makeDialog (res: SipResponse, remoteTag: string, state: DialogState): Dialog {
    const req = this.invite as SipRequest
    const contact = getHeaders(res, 'Contact')[0]
    return new Dialog(this.env.dialogContext, {
      role: 'uac',
      callId: this.callId,
      localTag: this.fromTag,
      remoteTag,
      localHeader: getHeader(req, 'From') ?? '',
      remoteHeader: getHeader(res, 'To') ?? '',
      localSeq: getCSeq(req).seq,
      remoteSeq: null,
      remoteTarget: contact ? uriOfNameAddr(contact) : this.uri,
      // §12.1.2: "the route set MUST be set to the list of URIs in the Record-Route header field from the
      // response, taken in reverse order".
      routeSet: getHeaders(res, 'Record-Route').reverse(),
      localContact: this.env.contactFor(this.transport),
      transport: this.transport,
      localSdp: this.opts.localSdp,
      remoteSdp: res.body.length > 0 ? res.body.toString() : undefined,
      state,
      peerAllow: getHeaders(res, 'Allow').join(', '),
      sessionTimer: this.sessionTimerOf(res),
      auth: this.opts.auth
    })
  }
}
