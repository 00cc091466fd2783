// Client-side registration to a carrier or PBX (RFC 3261 §10.2): one binding per trunk, REGISTER with digest
// (MD5 or SHA-256, through ChallengeAnswerer: each nonce answered once, so a refused password is not retried in a
// loop), refreshed before it expires, retried with back-off (Retry-After when the registrar gives one) after a
// failure or a transport error, and removed (Expires: 0) on stop. The same Call-ID is kept across refreshes and the
// CSeq increases (§10.2.4). State changes are events so metrics and the control API can show them.

import { EventEmitter } from 'node:events'
import type { Logger } from '../../log'
import { newBranch, newCallId, newTag } from '../message/factory'
import { getHeader, getHeaders } from '../message/headers'
import type { HeaderField, SipRequest, SipResponse } from '../message/types'
import { ChallengeAnswerer } from '../dialog/challenge-answerer'
import type { Clock } from '../transaction/clock'
import type { TransactionLayer } from '../transaction/transaction-layer'
import type { SendTarget } from '../transaction/sip-sender'
import type { TransportName } from '../transport/transport-kind'

export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'failed'

export interface RegistrationOptions {
  trunk: string
  /** Address-of-record user and domain: To/From sip:username@domain. */
  username: string
  password: string
  domain: string
  /** Where REGISTER goes (the registrar's address) and over which transport. */
  target: { transport: TransportName, host: string, port: number }
  /** Requested binding lifetime, seconds. */
  expires: number
  /** User part of our Contact; incoming INVITEs to it belong to this trunk. */
  contactUser: string
  /** Our Contact for that transport (agent.contactFor). */
  contact: (transport: TransportName) => string
  layer: TransactionLayer
  clock: Clock
  logger: Logger
  userAgent?: string
  /** Back-off after a failure without Retry-After: min(base·2^n, max) seconds. */
  retryBaseS?: number
  retryMaxS?: number
}

export interface RegistrationStatus {
  trunk: string
  state: RegistrationState
  /** Seconds the registrar granted, when registered. */
  expires: number | null
  /** Last final status from the registrar (or 408/503 for timeouts and transport errors). */
  lastStatus: number | null
  lastError: string | null
  registeredAt: number | null
  failures: number
}

/** Events: 'state' (RegistrationStatus) on every change. */
export class Registration extends EventEmitter {
  private readonly callId = newCallId()
  private readonly fromTag = newTag()
  private cseq = 0
  private timer: unknown = null
  private stopped = false
  private readonly status: RegistrationStatus

  constructor (private readonly o: RegistrationOptions) {
    super()
    this.status = { trunk: o.trunk, state: 'unregistered', expires: null, lastStatus: null, lastError: null, registeredAt: null, failures: 0 }
  }

  get snapshot (): RegistrationStatus { return { ...this.status } }

  start (): void {
    this.stopped = false
    void this.register()
  }

  /** Remove the binding (Expires: 0) and stop refreshing; resolves when the registrar answered or gave up. */
  async stop (): Promise<void> {
    this.stopped = true
    this.clearTimer()
    if (this.status.state !== 'registered') { this.set({ state: 'unregistered' }); return }
    try {
      await this.exchange(0)
    } catch { /* best effort on shutdown */ }
    this.set({ state: 'unregistered', expires: null })
  }

  private async register (): Promise<void> {
    if (this.stopped) return
    this.set({ state: this.status.state === 'registered' ? 'registered' : 'registering' })
    let res: SipResponse
    try {
      res = await this.exchange(this.o.expires)
    } catch (err) {
      this.fail(503, (err as Error).message, null)
      return
    }
    if (this.stopped) return
    if (res.status >= 200 && res.status < 300) {
      const granted = grantedExpires(res, this.o.contactUser) ?? this.o.expires
      this.set({ state: 'registered', expires: granted, lastStatus: res.status, lastError: null, registeredAt: this.o.clock.now(), failures: 0 })
      this.o.logger.info({ trunk: this.o.trunk, expires: granted }, 'registered')
      // Refresh before expiry: halfway for short bindings, a minute early for long ones.
      this.schedule(Math.max(granted / 2, granted - 60) * 1000)
      return
    }
    const retryAfter = Number(getHeader(res, 'Retry-After')?.split(/[;\s(]/)[0])
    this.fail(res.status, `${res.status} ${res.reason}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null)
  }

  private fail (status: number, error: string, retryAfterS: number | null): void {
    const failures = this.status.failures + 1
    const base = this.o.retryBaseS ?? 30
    const wait = retryAfterS ?? Math.min(base * 2 ** (failures - 1), this.o.retryMaxS ?? 600)
    this.set({ state: 'failed', lastStatus: status, lastError: error, failures, expires: null })
    this.o.logger.warn({ trunk: this.o.trunk, status, error, retryInS: wait }, 'registration failed')
    this.schedule(wait * 1000)
  }

  /** One REGISTER transaction, answering digest challenges (each nonce once); resolves with the final response. */
  private async exchange (expires: number): Promise<SipResponse> {
    const answerer = new ChallengeAnswerer({ username: this.o.username, password: this.o.password })
    let auth: HeaderField | null = null
    for (;;) {
      const req = this.request(expires, auth)
      const res = await this.send(req)
      if (res.status !== 401 && res.status !== 407) return res
      // Credentials sent and challenged again without stale=true: the password is wrong (registrars issue a
      // fresh nonce on every challenge, so "same nonce twice" alone would let a wrong password loop).
      if (auth !== null && !/stale\s*=\s*"?true/i.test(getHeaders(res, res.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate').join(','))) return res
      auth = answerer.answer(res, 'REGISTER', req.uri, req.body)
      // §22.2 + RFC 7616: a second challenge for an answered nonce means the credentials were refused.
      if (auth === null) return res
    }
  }

  private request (expires: number, auth: HeaderField | null): SipRequest {
    const { transport } = this.o.target
    const aor = `sip:${this.o.username}@${this.o.domain}`
    const headers: HeaderField[] = [
      { name: 'Via', value: this.o.layer.viaFor(transport, newBranch()) },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<${aor}>;tag=${this.fromTag}` },
      { name: 'To', value: `<${aor}>` },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${++this.cseq} REGISTER` },
      { name: 'Contact', value: this.o.contact(transport) },
      { name: 'Expires', value: String(expires) },
      { name: 'User-Agent', value: this.o.userAgent ?? 'trunkgate' },
      ...(auth ? [auth] : [])
    ]
    return { kind: 'request', method: 'REGISTER', uri: `sip:${this.o.domain}`, version: 'SIP/2.0', headers, body: Buffer.alloc(0) }
  }

  private send (req: SipRequest): Promise<SipResponse> {
    const target: SendTarget = this.o.target
    return new Promise((resolve) => {
      const tx = this.o.layer.sendRequest(req, [target])
      tx.on('response', (res: SipResponse) => { if (res.status >= 200) resolve(res) })
    })
  }

  private schedule (ms: number): void {
    this.clearTimer()
    if (this.stopped) return
    this.timer = this.o.clock.setTimeout(() => { this.timer = null; void this.register() }, ms)
  }

  private clearTimer (): void {
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer)
    this.timer = null
  }

  private set (patch: Partial<RegistrationStatus>): void {
    Object.assign(this.status, patch)
    this.emit('state', this.snapshot)
  }
}

/** §10.2.4: the expiry the registrar granted for our binding: its Contact's expires, else the Expires header. */
function grantedExpires (res: SipResponse, contactUser: string): number | null {
  for (const c of getHeaders(res, 'Contact')) {
    if (!c.includes(`sip:${contactUser}@`)) continue
    const m = /;\s*expires\s*=\s*(\d+)/i.exec(c.slice(c.indexOf('>') + 1))
    if (m) return Number(m[1])
  }
  const e = Number(getHeader(res, 'Expires'))
  return Number.isFinite(e) && e > 0 ? e : null
}
