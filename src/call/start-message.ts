// From an agent's configuration and a call's identity to what the engine is told when its session
// opens (SessionStart, engine-neutral: each engine protocol maps it) and what the pre-call webhook is
// checked against.
import type { AgentConfig, TrunkConfig } from '../config'
import { PCM16K, type CallDirection, type SessionStart, type TransferRule } from '../engine/engine-session'
import type { SipRequest } from '../sip/message/types'
import { transferRuleTarget } from '../config/transfer-schema'
import {
  engineVariables, systemVariables, type AgentPersonalizationPolicy, type CallIdentity,
  type CallPersonalization, type DynamicValue, type PreCallWebhookConfig
} from './personalization'

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

/** The agent's transfer rules as the engine hears them: the flat destination is what it must send back as transfer_number. */
export function transferRules (agent: AgentConfig | null): TransferRule[] {
  return (agent?.transfer_rules ?? []).map(r => ({
    destinationType: r.transfer_destination.type,
    destination: transferRuleTarget(r),
    condition: r.condition,
    transferType: r.transfer_type === 'sip_refer' ? 'sip_refer' : 'conference'
  }))
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
  /** Default inbound. */
  direction?: CallDirection
}

export function buildStart (input: StartInput): SessionStart {
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
  const o = p.overrides
  return {
    conversationId: input.conversationId,
    agentId: input.agentId,
    direction: input.direction ?? 'inbound',
    callerId: input.identity.caller_id,
    calledNumber: input.calledNumber,
    callId: input.identity.call_id,
    callSid: input.identity.call_sid ?? '',
    sipHeaders: input.sipHeaders,
    dynamicVariables: engineVariables(p.dynamicVariables, system),
    overrides: {
      ...(o.prompt !== undefined ? { prompt: o.prompt } : {}),
      ...(o.first_message !== undefined ? { firstMessage: o.first_message } : {}),
      ...(o.language !== undefined ? { language: o.language } : {}),
      ...(o.voice_id !== undefined ? { voiceId: o.voice_id } : {})
    },
    customLlmExtraBody: p.customLlmExtraBody ?? null,
    userId: p.userId ?? '',
    transferRules: transferRules(input.agent),
    timezone,
    offeredFormats: [PCM16K]
  }
}
