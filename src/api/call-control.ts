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
   * Transfers an answered call to a destination of its agent's transfer rules, as the transfer_to_number
   * tool would (how media-stream bots transfer); resolves when the transfer succeeded.
   */
  transfer: (id: string, req: TransferRequest) => Promise<TransferResult>
}

export interface TransferRequest { to: string; type?: 'conference' | 'sip_refer' }
export interface TransferResult { result?: Record<string, unknown> }

/** A transfer attempt as the call reports it; `field` marks a refusal caused by the request itself. */
export type ApiTransferOutcome =
  | { ok: true; result?: Record<string, unknown> }
  | { ok: false; error: string; field?: 'to' | 'type' }

/**
 * A call-layer refusal with the HTTP status it maps to: 400 (field named), 404 unknown call, 409 call
 * not in a state for the operation, 503 no capacity / shutting down.
 */
export class CallControlError extends Error {
  constructor (readonly status: 400 | 404 | 409 | 503, readonly code: string, message: string, readonly field?: string) {
    super(message)
    this.name = 'CallControlError'
  }
}
