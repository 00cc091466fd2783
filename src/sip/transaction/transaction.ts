import { EventEmitter } from 'node:events'
import type { SipMessage, SipRequest } from '../message/types'
import { getVias } from '../message/headers'
import { rootLogger, type Logger } from '../../log'
import type { Clock, TimerHandle } from './clock'
import type { TimerTable, TimerTables } from './timers'
import type { SendTarget, SipSender } from './sip-sender'
import { isReliable, parseTransportName, type TransportName } from '../transport/transport-kind'
import { IllegalTransitionError } from './illegal-transition-error'

export { IllegalTransitionError }

export interface TransactionContext {
  sender: SipSender
  clock: Clock
  /** One table per reliability; each transaction reads the one of the transport it runs over. */
  timers: TimerTables
  logger?: Logger
}

/**
 * Common machinery of the four RFC 3261 §17 state machines: a state, a table of legal moves, named timers that
 * are started on entry to a state and all cleared on Terminated, and sending with transport-error reporting.
 * Subclasses declare their transition table and what happens on entering each state.
 */
export abstract class Transaction<S extends string> extends EventEmitter {
  readonly key: string
  readonly request: SipRequest
  protected readonly ctx: TransactionContext
  protected readonly log: Logger
  /** The transport this transaction runs over (server: where the request came from; client: the Via's). */
  readonly transport: TransportName
  /** RFC 3261 §17: the timer values for that transport's reliability. */
  protected readonly timers: TimerTable
  private current: S
  private readonly running = new Map<string, TimerHandle>()
  private disposed = false

  protected abstract readonly transitions: Readonly<Record<S, readonly S[]>>
  protected abstract readonly terminatedState: S

  constructor (ctx: TransactionContext, key: string, request: SipRequest, initial: S, transport: TransportName) {
    super()
    this.ctx = ctx
    this.transport = transport
    this.timers = isReliable(transport) ? ctx.timers.reliable : ctx.timers.unreliable
    this.key = key
    this.request = request
    this.current = initial
    this.log = (ctx.logger ?? rootLogger).child({ tx: key, kind: this.constructor.name })
  }

  get state (): S { return this.current }

  get terminated (): boolean { return this.disposed }

  /**
   * The only way to change state. Refuses moves that the RFC 3261 §17 diagrams do not contain
   * (throws IllegalTransitionError), then runs the entry actions of the new state.
   */
  stateTransition (next: S): void {
    const from = this.current
    if (!this.transitions[from].includes(next)) {
      throw new IllegalTransitionError(this.constructor.name, from, next)
    }
    this.current = next
    this.log.debug({ from, to: next }, 'transaction state')
    this.emit('stateChanged', next, from)
    if (next === this.terminatedState) {
      this.dispose()
      return
    }
    this.onEnter(next)
  }

  protected abstract onEnter (state: S): void

  /** End at once (shutdown): every state of the §17 diagrams may fall to Terminated on a transport error. */
  terminate (): void {
    if (!this.disposed && this.current !== this.terminatedState) this.stateTransition(this.terminatedState)
  }

  protected startTimer (name: string, ms: number, fire: () => void): void {
    this.stopTimer(name)
    const handle = this.ctx.clock.setTimeout(() => {
      this.running.delete(name)
      if (!this.disposed) fire()
    }, ms)
    this.running.set(name, handle)
  }

  protected stopTimer (name: string): void {
    const h = this.running.get(name)
    if (h !== undefined) {
      this.ctx.clock.clearTimeout(h)
      this.running.delete(name)
    }
  }

  /** Names of the timers currently armed (for tests and diagnostics). */
  activeTimers (): string[] { return [...this.running.keys()] }

  private dispose (): void {
    if (this.disposed) return
    this.disposed = true
    for (const h of this.running.values()) this.ctx.clock.clearTimeout(h)
    this.running.clear()
    this.emit('terminated')
    this.removeAllListeners()
  }

  /** Send, and turn a failed send into the §17.1.4 / §17.2.4 transport-error path of the subclass. */
  protected transmit (msg: SipMessage, targets: SendTarget[]): void {
    const attempt = (i: number): void => {
      let sent: Promise<unknown>
      try { sent = this.ctx.sender.send(msg, targets[i]) } catch (err) { sent = Promise.reject(err) }
      sent.catch((err: unknown) => {
        if (i + 1 < targets.length) { attempt(i + 1); return }
        this.log.warn({ err }, 'transport error')
        if (!this.disposed) this.onTransportError(err instanceof Error ? err : new Error(String(err)))
      })
    }
    attempt(0)
  }

  protected abstract onTransportError (err: Error): void
}

/** The transport a request we send travels over, as its top Via states it (§18.1.1); TCP when unreadable. */
export function sentTransport (req: SipRequest): TransportName {
  try {
    return parseTransportName(getVias(req)[0]?.transport) ?? 'tcp'
  } catch {
    return 'tcp'
  }
}
