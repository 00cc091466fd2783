// Drain and shutdown of one node (issue 15): stop taking new calls, let the live ones end by themselves,
// and only then close what their records need. The states:
//   serving  → draining  (SIGTERM, or POST /v1/admin/drain): new INVITEs get 503 + Retry-After
//                         (RFC 3261 §21.5.4: try elsewhere), OPTIONS get 503 so a dispatcher
//                         (Kamailio's ds_ping) marks the node down; in-dialog requests carry on.
//   draining → serving   (DELETE /v1/admin/drain: an aborted rolling upgrade).
//   shutdown: draining until no call is left or shutdown.drain_timeout_s passes (a second SIGTERM cuts
//   the wait short); the calls still up then get BYE with a Reason, and shutdown resolves once every
//   one of them has released its slot — a slot is released only after its record is committed, so the
//   store may close right after.
import { EventEmitter } from 'node:events'
import type { Logger } from '../log'
import { SipError } from '../sip/sip-error'

export type DrainState = 'serving' | 'draining'

export interface DrainStatus {
  state: DrainState
  /** Why the node drains ('SIGTERM', 'api' …); null while serving. */
  reason: string | null
  activeCalls: number
  /** Epoch ms the drain started; null while serving. */
  since: number | null
}

export interface DrainHost {
  /** Calls holding a slot: inbound (answered or being answered) and outbound. */
  activeCalls: () => number
  /** Ends every live call from our side (BYE with a Reason; 503 to an INVITE not answered yet). */
  hangupAll: (cause: string) => void
  /** New outbound calls are refused (or accepted again) by the dialler. */
  acceptOutbound: (accept: boolean) => void
}

export interface DrainControllerOptions {
  /** Seconds a shutdown waits for live calls to end by themselves. */
  drainTimeoutS: number
  /** Retry-After of the 503 to new INVITEs. */
  retryAfterS: number
  logger: Logger
  /** Longest wait for the calls hung up at the end to release their slots (BYE sent, record committed). */
  hangupGraceMs?: number
  now?: () => number
}

interface DrainEvents {
  state: [status: DrainStatus]
  /** The node drains and no call is left. */
  idle: []
}

/** While draining, a lost release notification must not keep a shutdown waiting forever. */
const RECHECK_MS = 500

export class DrainController extends EventEmitter<DrainEvents> {
  private state: DrainState = 'serving'
  private reason: string | null = null
  private since: number | null = null
  private shuttingDown: Promise<number> | null = null
  private hurry: (() => void) | null = null
  private hurried = false
  private readonly now: () => number

  constructor (private readonly host: DrainHost, private readonly opts: DrainControllerOptions) {
    super()
    this.now = opts.now ?? Date.now
  }

  get draining (): boolean { return this.state === 'draining' }

  status (): DrainStatus {
    return { state: this.state, reason: this.reason, activeCalls: this.host.activeCalls(), since: this.since }
  }

  /** Stops taking new calls. Idempotent; the first reason stays. */
  drain (reason: string): DrainStatus {
    if (this.state !== 'draining') {
      this.state = 'draining'
      this.reason = reason
      this.since = this.now()
      this.host.acceptOutbound(false)
      this.opts.logger.warn({ reason, activeCalls: this.host.activeCalls(), code: 'NODE_DRAINING' }, 'draining: new calls are refused with 503, live calls go on')
      this.emit('state', this.status())
    }
    this.callReleased()
    return this.status()
  }

  /** Takes new calls again (an aborted upgrade). Refused once a shutdown has begun. */
  resume (): DrainStatus | null {
    if (this.shuttingDown) return null
    if (this.state === 'draining') {
      this.state = 'serving'
      this.reason = null
      this.since = null
      this.host.acceptOutbound(true)
      this.opts.logger.info('drain ended: taking new calls again')
      this.emit('state', this.status())
    }
    return this.status()
  }

  /** The server calls this whenever a call releases its slot. */
  callReleased (): void {
    if (this.state === 'draining' && this.host.activeCalls() === 0) this.emit('idle')
  }

  /**
   * The 503 a new request gets while draining (null while serving): INVITE with Retry-After, OPTIONS
   * without (the dispatcher probes again by itself).
   */
  refusal (method: string): SipError | null {
    if (this.state !== 'draining') return null
    if (method === 'INVITE') {
      return new SipError(503, 'Service Unavailable', 'SIP_ERR_DRAINING', {
        detail: 'node draining', headers: [{ name: 'Retry-After', value: String(this.opts.retryAfterS) }]
      })
    }
    if (method === 'OPTIONS') return new SipError(503, 'Service Unavailable', 'SIP_ERR_DRAINING', { detail: 'node draining' })
    return null
  }

  /**
   * Drains, waits for the live calls (bounded by drainTimeoutS, or until hurry()), hangs up the rest
   * with `cause` and waits for their slots. Resolves with the number of calls that were hung up.
   * Idempotent: a second call returns the same promise.
   */
  shutdown (reason: string, opts: { timeoutS?: number } = {}): Promise<number> {
    if (this.shuttingDown) return this.shuttingDown
    this.drain(reason)
    this.shuttingDown = this.runShutdown(opts.timeoutS ?? this.opts.drainTimeoutS)
    return this.shuttingDown
  }

  /** A second SIGTERM: stop waiting for calls to end by themselves; their records are still committed. */
  hurryUp (): void {
    this.hurried = true
    this.hurry?.()
  }

  private async runShutdown (timeoutS: number): Promise<number> {
    const log = this.opts.logger
    const waitedOut = await this.waitIdle(timeoutS * 1000, true)
    const left = this.host.activeCalls()
    if (waitedOut || left === 0) {
      log.info('drained: no call left')
      return 0
    }
    log.warn({ activeCalls: left, timeoutS }, 'drain over: hanging up the remaining calls')
    this.host.hangupAll('shutdown')
    if (!await this.waitIdle(this.opts.hangupGraceMs ?? 10000, false)) {
      log.error({ activeCalls: this.host.activeCalls() }, 'calls did not release after their hang-up')
    }
    return left
  }

  /** True when no call is left within ms; false on timeout (or hurryUp when interruptible). */
  private waitIdle (ms: number, interruptible: boolean): Promise<boolean> {
    if (this.host.activeCalls() === 0) return Promise.resolve(true)
    if (interruptible && this.hurried) return Promise.resolve(false)
    return new Promise(resolve => {
      const done = (idle: boolean): void => {
        clearTimeout(timer)
        clearInterval(recheck)
        this.off('idle', onIdle)
        if (interruptible) this.hurry = null
        resolve(idle)
      }
      const onIdle = (): void => done(true)
      const timer = setTimeout(() => done(false), ms)
      const recheck = setInterval(() => this.callReleased(), RECHECK_MS)
      this.on('idle', onIdle)
      if (interruptible) this.hurry = () => done(false)
    })
  }
}
