// From an agent's configuration and a call's identity to what the engine receives in Start
// (src/engine/proto/engine.proto) and what the pre-call webhook is checked against.
import type { AgentConfig, TrunkConfig } from '../config'
import type { AudioFormat, StartMsg, TransferRuleMsg } from '../engine/engine-messages'
import type { SipRequest } from '../sip/message/types'
import { transferRuleMessages } from '../transfer/transfer-rule-messages'
import {
  engineVariables, systemVariables, toDynamicVariableMessages, type AgentPersonalizationPolicy, type CallIdentity,
  type CallPersonalization, type DynamicValue, type PreCallWebhookConfig
} from './personalization'

export const PCM16K_FORMAT: AudioFormat = { encoding: 'AUDIO_ENCODING_PCM_S16LE', sample_rate: 16000, frame_ms: 20 }

/** The agent's personalization rules; an unknown agent (routed without config) has none. */
export function personalizationPolicy (agentId: string, agent: AgentConfig | null): AgentPersonalizationPolicy {
  const vars: Record<string, DynamicValue | null> = {}
  for (const v of agent?.dynamic_variables ?? []) vars[v.name] = v.placeholder ?? null
  return {
    agentId,
    dynamicVariables: vars,
    allowedOverrides: agent?.overrides.allowed ?? [],
    onDisallowedOverride: agent?.overrides.on_disallowed ?? 'ignore',
    onWebhookFailure: agent?.on_webhook_failure ?? 'continue'
  }
}

export function webhookConfig (agent: AgentConfig | null): PreCallWebhookConfig | null {
  const w = agent?.pre_call_webhook
  if (!w) return null
  const headers: Record<string, string> = {}
  for (const h of w.headers) headers[h.name] = h.value
  return { url: w.url, headers, timeoutMs: w.timeout_ms, allowInsecureHttp: w.allow_insecure_http }
}

/** The placeholders, for a call without webhook (or whose webhook failed under 'continue'). */
export function defaultPersonalization (policy: AgentPersonalizationPolicy): CallPersonalization {
  const vars: Record<string, DynamicValue> = {}
  for (const [n, v] of Object.entries(policy.dynamicVariables)) if (v !== null) vars[n] = v
  return { dynamicVariables: vars, overrides: {}, usedDefaults: true }
}

/** The X-* headers the trunk forwards, in INVITE order, names as the trunk configured them. */
export function forwardedHeaders (req: SipRequest, trunk: TrunkConfig): Array<{ name: string; value: string }> {
  const wanted = new Map(trunk.forward_headers.map(n => [n.toLowerCase(), n]))
  const out: Array<{ name: string; value: string }> = []
  for (const h of req.headers) {
    const name = wanted.get(h.name.toLowerCase())
    if (name) out.push({ name, value: h.value })
  }
  return out
}

function transferRules (agent: AgentConfig | null): TransferRuleMsg[] {
  return transferRuleMessages(agent?.transfer_rules)
}

export interface StartInput {
  conversationId: string
  agentId: string
  agent: AgentConfig | null
  identity: CallIdentity
  calledNumber: string
  personalization: CallPersonalization
  sipHeaders: Array<{ name: string; value: string }>
  /** Epoch ms: the engine's reference for system__call_duration_secs (the gateway answers right after Ready). */
  nowMs: number
}

export function buildStart (input: StartInput): StartMsg {
  const p = input.personalization
  const timezone = input.agent?.timezone ?? 'UTC'
  const system = systemVariables({
    agentId: input.agentId,
    callerId: input.identity.caller_id,
    calledNumber: input.calledNumber,
    conversationId: input.conversationId,
    callSid: input.identity.call_sid,
    timezone,
    answeredAtMs: input.nowMs
  }, input.nowMs)
  const vars = engineVariables(p.dynamicVariables, system)
  return {
    conversation_id: input.conversationId,
    agent_id: input.agentId,
    direction: 'CALL_DIRECTION_INBOUND',
    caller_id: input.identity.caller_id,
    called_number: input.calledNumber,
    call_id: input.identity.call_id,
    call_sid: input.identity.call_sid ?? '',
    sip_headers: input.sipHeaders,
    dynamic_variables: toDynamicVariableMessages(vars),
    overrides: { ...p.overrides },
    custom_llm_extra_body_json: p.customLlmExtraBody ? JSON.stringify(p.customLlmExtraBody) : '',
    user_id: p.userId ?? '',
    transfer_rules: transferRules(input.agent),
    input_format: PCM16K_FORMAT,
    output_format: PCM16K_FORMAT,
    call_answered_unix_ms: input.nowMs,
    timezone
  }
}
