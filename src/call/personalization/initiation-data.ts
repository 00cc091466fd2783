// Validation of conversation_initiation_client_data (seed "Conversation Initiation Client Data
// Structure"). Checked strictly because it comes from a customer service over the network and goes
// into an LLM prompt: every declared variable present, values string/number/boolean, no reserved
// `system__` names, overrides only where the agent enables them.
import type { Logger } from '../../log'
import {
  OVERRIDE_PATHS, type AgentPersonalizationPolicy, type DynamicValue, type InitiationData, type OverrideField, type Overrides
} from './types'

export type ValidationResult =
  | { ok: true; data: InitiationData }
  | { ok: false; kind: 'bad-response'; detail: string }
  | { ok: false; kind: 'override-rejected'; detail: string; fields: OverrideField[] }

const RESERVED_PREFIX = 'system__'

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function bad (detail: string): ValidationResult {
  return { ok: false, kind: 'bad-response', detail }
}

/** Reads the override tree; any key outside the four known paths is reported by its path. */
function readOverrides (o: Record<string, unknown>): { values: Overrides; unknown: string[]; wrongType: string[] } {
  const values: Overrides = {}
  const unknown: string[] = []
  const wrongType: string[] = []
  const take = (field: OverrideField, v: unknown): void => {
    if (v === undefined || v === null) return   // seed: omit a field to keep the default
    if (typeof v !== 'string') wrongType.push(OVERRIDE_PATHS[field])
    else values[field] = v
  }
  for (const [k, v] of Object.entries(o)) {
    if (k === 'agent' && isPlainObject(v)) {
      for (const [ak, av] of Object.entries(v)) {
        if (ak === 'prompt' && isPlainObject(av)) {
          for (const [pk, pv] of Object.entries(av)) {
            if (pk === 'prompt') take('prompt', pv)
            else unknown.push(`agent.prompt.${pk}`)
          }
        } else if (ak === 'first_message') take('first_message', av)
        else if (ak === 'language') take('language', av)
        else unknown.push(`agent.${ak}`)
      }
    } else if (k === 'tts' && isPlainObject(v)) {
      for (const [tk, tv] of Object.entries(v)) {
        if (tk === 'voice_id') take('voice_id', tv)
        else unknown.push(`tts.${tk}`)
      }
    } else if (v !== null && v !== undefined) {
      unknown.push(k)
    }
  }
  return { values, unknown, wrongType }
}

export function validateInitiationData (body: unknown, policy: AgentPersonalizationPolicy, log: Logger): ValidationResult {
  if (!isPlainObject(body)) return bad('the response is not a JSON object')
  if (body.type !== undefined && body.type !== 'conversation_initiation_client_data') {
    return bad(`"type" is ${JSON.stringify(body.type)}, expected "conversation_initiation_client_data"`)
  }

  const rawVars = body.dynamic_variables ?? {}
  if (!isPlainObject(rawVars)) return bad('"dynamic_variables" is not an object')
  const dynamicVariables: Record<string, DynamicValue> = {}
  for (const [name, value] of Object.entries(rawVars)) {
    if (name === '') return bad('"dynamic_variables" has an empty name')
    // seed "System dynamic variables": custom variables cannot use the reserved system__ prefix.
    if (name.startsWith(RESERVED_PREFIX)) return bad(`dynamic variable "${name}" uses the reserved "system__" prefix`)
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
      dynamicVariables[name] = value
    } else {
      return bad(`dynamic variable "${name}" is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}; only string, number or boolean are allowed`)
    }
  }
  // seed "Twilio personalization": dynamic_variables must contain all variables defined for the agent.
  const missing = Object.keys(policy.dynamicVariables).filter(n => !(n in dynamicVariables))
  if (missing.length > 0) return bad(`dynamic_variables lacks variables the agent declares: ${missing.join(', ')}`)

  let overrides: Overrides = {}
  const droppedOverrides: OverrideField[] = []
  const rawOverride = body.conversation_config_override
  if (rawOverride !== undefined && rawOverride !== null) {
    if (!isPlainObject(rawOverride)) return bad('"conversation_config_override" is not an object')
    const read = readOverrides(rawOverride)
    if (read.wrongType.length > 0) return bad(`override ${read.wrongType.join(', ')} must be a string`)
    if (read.unknown.length > 0) return bad(`conversation_config_override has fields that cannot be overridden: ${read.unknown.join(', ')}`)
    const given = Object.keys(read.values) as OverrideField[]
    const disallowed = given.filter(f => !policy.allowedOverrides.includes(f))
    if (disallowed.length > 0) {
      const paths = disallowed.map(f => OVERRIDE_PATHS[f]).join(', ')
      if (policy.onDisallowedOverride === 'reject') {
        return { ok: false, kind: 'override-rejected', detail: `overrides not enabled for agent ${policy.agentId}: ${paths}`, fields: disallowed }
      }
      log.warn({ agentId: policy.agentId, fields: disallowed }, `pre-call webhook override dropped (not enabled for the agent): ${paths}`)
      for (const f of disallowed) delete read.values[f]
      droppedOverrides.push(...disallowed)
    }
    overrides = read.values
  }

  const data: InitiationData = { dynamicVariables, overrides, droppedOverrides }
  if (body.custom_llm_extra_body !== undefined && body.custom_llm_extra_body !== null) {
    if (!isPlainObject(body.custom_llm_extra_body)) return bad('"custom_llm_extra_body" is not an object')
    data.customLlmExtraBody = body.custom_llm_extra_body
  }
  if (body.user_id !== undefined && body.user_id !== null) {
    if (typeof body.user_id !== 'string') return bad('"user_id" is not a string')
    data.userId = body.user_id
  }
  return { ok: true, data }
}
