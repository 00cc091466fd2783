// The call layer for AI calls: every routed INVITE becomes an AiCall. Keeps the live calls (for
// shutdown) and the records of the last ended ones (for tests and the control API).
import { EventEmitter } from 'node:events'
import type { CallHandler, RoutedInvite } from './call-handler'
import { AiCall, type AiCallDeps } from './ai-call'
import type { CallRecord } from './call-record'
import type { HumanDialer } from '../transfer/human-dialer'
import type { CallMedia } from './call-media'

export interface AiCallHandlerEvents {
  call: [call: AiCall]
  ended: [record: CallRecord]
  /** A call's pre-call webhook exchange finished (ok or failed) after elapsedMs. */
  preCallWebhook: [elapsedMs: number, ok: boolean]
}

export type AiCallHandlerOptions = Omit<AiCallDeps, 'onEnded' | 'onPreCallWebhook'> & {
  /** Ended-call records kept in memory (oldest dropped first). Default 1000. */
  keepRecords?: number
}

export class AiCallHandler extends EventEmitter<AiCallHandlerEvents> implements CallHandler {
  private readonly deps: AiCallDeps
  private readonly keep: number
  private readonly live = new Set<AiCall>()
  readonly records: CallRecord[] = []

  constructor (opts: AiCallHandlerOptions) {
    super()
    const { keepRecords, ...deps } = opts
    this.keep = keepRecords ?? 1000
    this.deps = deps
  }

  get activeCalls (): number { return this.live.size }

  /** Conference transfers call the human with this (the server sets it once its SIP agent exists). */
  useHumanDialer (dialer: HumanDialer<CallMedia>): void {
    this.deps.humanDialer = dialer
  }

  handleInvite (invite: RoutedInvite): Promise<void> {
    const call = new AiCall(invite, {
      ...this.deps,
      onPreCallWebhook: (elapsedMs, ok) => this.emit('preCallWebhook', elapsedMs, ok),
      onEnded: record => {
        this.live.delete(call)
        this.records.push(record)
        if (this.records.length > this.keep) this.records.splice(0, this.records.length - this.keep)
        this.emit('ended', record)
      }
    })
    this.live.add(call)
    this.emit('call', call)
    return call.run()
  }

  /** Ends every call (BYE with Reason text=cause / 503 before answer; default cause "shutdown"). */
  close (cause = 'shutdown'): void {
    for (const call of [...this.live]) call.hangup('gateway', cause, false)
  }
}
