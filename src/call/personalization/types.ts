// Per-call personalization (seed: "Personalization", "Dynamic variables", "Overrides",
// "Twilio personalization"): the pre-call webhook's conversation_initiation_client_data, the
// agent's policy for it, and the variables handed to the engine.

import type { DynamicValue } from '../../engine/template'

/** Dynamic variable values: string, number or boolean only (seed "Supported Types"). */
export type { DynamicValue }

/** The four overridable fields (seed "Overrides"), by their place in conversation_config_override. */
export type OverrideField = 'prompt' | 'first_message' | 'language' | 'voice_id'

export const OVERRIDE_PATHS: Readonly<Record<OverrideField, string>> = {
  prompt: 'agent.prompt.prompt',
  first_message: 'agent.first_message',
  language: 'agent.language',
  voice_id: 'tts.voice_id'
}

export type Overrides = Partial<Record<OverrideField, string>>

export interface PreCallWebhookConfig {
  url: string
  /** Secret headers sent with the request (e.g. Authorization); values never logged. */
  headers?: Record<string, string>
  /** Milliseconds for the whole exchange (connect, response, body); default 3000. */
  timeoutMs?: number
  /** Plain http is refused except to loopback unless this is set (seed "Security": HTTPS only). */
  allowInsecureHttp?: boolean
}

export interface AgentPersonalizationPolicy {
  agentId: string
  /**
   * Variables the agent declares (used as {{name}} in its prompt/first message/tools), with the
   * placeholder used when the call continues without webhook data. The webhook must return them all.
   */
  dynamicVariables: Record<string, DynamicValue | null>
  /** Override fields the agent's security settings enable. */
  allowedOverrides: readonly OverrideField[]
  /** An override for a field that is not enabled: drop it and log, or reject the call (403). */
  onDisallowedOverride: 'ignore' | 'reject'
  /** Webhook timed out, failed or answered badly: start with the defaults, or reject the call (480). */
  onWebhookFailure: 'continue' | 'reject'
}

/** The pre-call webhook request body (seed "Twilio personalization"). */
export interface PreCallRequest {
  caller_id: string
  agent_id: string
  called_number: string
  call_sid: string
}

/** A validated conversation_initiation_client_data. */
export interface InitiationData {
  dynamicVariables: Record<string, DynamicValue>
  overrides: Overrides
  /** Passed through to the engine unchanged. */
  customLlmExtraBody?: Record<string, unknown>
  userId?: string
  /** Override fields present in the response but not enabled, dropped under policy 'ignore'. */
  droppedOverrides: OverrideField[]
}

export type WebhookOutcome =
  | { kind: 'ok'; data: InitiationData; elapsedMs: number }
  | { kind: 'timeout'; elapsedMs: number; detail: string }
  | { kind: 'request-failed'; elapsedMs: number; detail: string }
  | { kind: 'bad-response'; elapsedMs: number; detail: string; status?: number }
  | { kind: 'override-rejected'; elapsedMs: number; detail: string; fields: OverrideField[] }
