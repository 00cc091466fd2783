// Who hung up, one vocabulary for inbound and outbound records (issue 11: an API hang-up was "system"
// inbound and "local" outbound). local: our decision — the API, the agent (its Hangup, end_call,
// voicemail, a transfer done); remote: the far end (BYE, CANCEL, final response); system: the gateway
// itself because something failed or stopped (engine error, RTP timeout, shutdown, policy refusal).
import type { HangupSide } from './call-record'

/** Causes by which the gateway ends a call on purpose for the agent or the API. */
const DECIDED_CAUSES = new Set(['api_hangup', 'end_call', 'voicemail', 'voicemail_detected', 'transferred', 'transfer_target_hangup'])

/** The record's side from the call layer's view of who ended it ('caller' | 'engine' | 'gateway') and the cause. */
export function recordedHangupSide (endedBy: string | null, cause: string | null): HangupSide {
  if (endedBy === 'caller') return 'remote'
  if (endedBy === 'engine') return 'local'
  return cause !== null && DECIDED_CAUSES.has(cause) ? 'local' : 'system'
}

/** Engine-side causes that are failures, not the agent's decision. */
const ENGINE_FAILURES = new Set(['engine_failed', 'engine_unavailable', 'engine_error'])

/** An outbound call ended from the engine side: the agent's decision, or the engine failing. */
export function engineEndSide (cause: string): HangupSide {
  return ENGINE_FAILURES.has(cause) ? 'system' : 'local'
}
