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
}

/**
 * A call-layer refusal with the HTTP status it maps to: 400 (field named), 404 unknown call, 409 call
 * not in a state for the operation, 410 the call's node is gone (cluster), 502 its node failed, 503 no
 * capacity / shutting down.
 */
export class CallControlError extends Error {
  constructor (readonly status: 400 | 404 | 409 | 410 | 502 | 503, readonly code: string, message: string, readonly field?: string) {
    super(message)
    this.name = 'CallControlError'
  }
}
