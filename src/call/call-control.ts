// What the control API needs from the call layer. The server implements it with the real outbound
// dialler and the records store; the API never reaches into SIP or media itself.
import type { CallRecord, CallStatus } from '../records/call-record'

export interface OriginateRequest {
  agentId: string
  fromNumber: string
  /** E.164 number or sip:/sips: URI, as validated by the API. */
  to: string
  trunk?: string
  ringTimeoutSecs?: number
  dynamicVariables: Record<string, string | number | boolean>
  overrides: { prompt?: string, firstMessage?: string, language?: string, voiceId?: string }
}

export interface CallControl {
  /** Starts the call and resolves as soon as it exists (status initiated), not when it is answered. */
  originate: (req: OriginateRequest) => Promise<CallRecord>
  get: (id: string) => CallRecord | null
  list: (filter: { status?: CallStatus, direction?: 'inbound' | 'outbound', limit?: number }) => CallRecord[]
  /** Ends a live call (CANCEL before the answer, BYE after); resolves with the final record. */
  hangup: (id: string) => Promise<CallRecord>
  /** Sends DTMF on an answered call; resolves when the digits have been sent. */
  dtmf: (id: string, digits: string) => Promise<void>
  /**
   * Transfers an answered call as the agent's transfer_to_number would, held to the same transfer rules
   * (the destination must be one of them; `type`, when given, must be that rule's); resolves once the
   * transfer succeeded, with its result and the call's record.
   */
  transfer: (id: string, req: TransferCallRequest) => Promise<{ result: Record<string, unknown>, record: CallRecord }>
}

export interface TransferCallRequest { to: string, type?: 'conference' | 'sip_refer' }

/** What a transfer attempt came to (the transfer tool's outcome, with why nothing was tried). */
export interface TransferAttempt {
  outcome: { ok: true, result?: Record<string, unknown> } | { ok: false, error: string }
  refusal?: 'not_allowed' | 'busy' | 'not_connected' | 'unavailable'
}

/** The API's answer to a transfer attempt: the tool's outcomes as HTTP statuses. */
export function transferResult (id: string, attempt: TransferAttempt): Record<string, unknown> {
  const o = attempt.outcome
  if (o.ok) return o.result ?? {}
  switch (attempt.refusal) {
    case 'not_allowed': throw new CallControlError(400, 'API_ERR_TRANSFER_NOT_ALLOWED', `to: ${o.error}`, 'to')
    case 'busy': throw new CallControlError(409, 'API_ERR_TRANSFER_IN_PROGRESS', `call ${id}: ${o.error}`)
    case 'not_connected': throw new CallControlError(409, 'API_ERR_NOT_ANSWERED', `call ${id}: ${o.error}`)
    case 'unavailable': throw new CallControlError(409, 'API_ERR_TRANSFER_UNAVAILABLE', `call ${id}: ${o.error}`)
    default: throw new CallControlError(502, 'API_ERR_TRANSFER_FAILED', `call ${id}: ${o.error}`)
  }
}

/**
 * A call-layer refusal with the HTTP status it maps to: 400 (field named), 404 unknown call, 409 call
 * not in a state for the operation, 410 the call's node is gone (cluster), 502 the far end refused (a transfer
 * that failed) or the owner node failed, 503 no capacity /
 * shutting down.
 */
export class CallControlError extends Error {
  constructor (readonly status: 400 | 404 | 409 | 410 | 502 | 503, readonly code: string, message: string, readonly field?: string) {
    super(message)
    this.name = 'CallControlError'
  }
}
