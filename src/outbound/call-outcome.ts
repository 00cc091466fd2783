// How an outbound INVITE that got no dialog ends up in the call record (and the API): the final
// response or local event → status, hang-up cause and side.
import type { FinalCallStatus, HangupSide } from '../records/call-record'

export type CancelReason = 'ring_timeout' | 'api_hangup' | 'shutdown' | 'engine'

export interface CallOutcome {
  status: FinalCallStatus
  cause: string
  side: HangupSide
}

/**
 * - our CANCEL (or a crossing 487) → no-answer after the ring timeout, canceled after an API hang-up;
 * - 486 Busy Here / 600 Busy Everywhere → busy (RFC 3261 §21.4.24, §21.6.1);
 * - 408 / 480 from the far end → no-answer (nobody picked up / the callee is away);
 * - 503 and 408 synthesized for transport failures and Timer B (§8.1.3.1) → failed (unreachable);
 * - any other final 4xx–6xx → rejected.
 */
export function outcomeOfFailure (status: number, opts: { cancel: CancelReason | null, synthesized: boolean, engineCause?: string }): CallOutcome {
  if (opts.cancel === 'ring_timeout') return { status: 'no-answer', cause: 'ring_timeout', side: 'local' }
  if (opts.cancel === 'api_hangup') return { status: 'canceled', cause: 'api_hangup', side: 'local' }
  if (opts.cancel === 'shutdown') return { status: 'canceled', cause: 'gateway_shutdown', side: 'system' }
  if (opts.cancel === 'engine') return { status: 'failed', cause: opts.engineCause ?? 'engine_failed', side: 'system' }
  if (opts.synthesized) {
    return status === 408
      ? { status: 'failed', cause: 'no_response', side: 'system' }
      : { status: 'failed', cause: 'unreachable', side: 'system' }
  }
  if (status === 486 || status === 600) return { status: 'busy', cause: 'user_busy', side: 'remote' }
  if (status === 408 || status === 480) return { status: 'no-answer', cause: 'no_answer', side: 'remote' }
  if (status === 401 || status === 407) return { status: 'rejected', cause: 'authentication_failed', side: 'remote' }
  return { status: 'rejected', cause: status === 603 ? 'call_declined' : `sip_${status}`, side: 'remote' }
}
