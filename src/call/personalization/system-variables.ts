// System dynamic variables (seed "System dynamic variables") and the variable list for the engine.
// In prompts they are fixed at conversation start; in tool calls they are evaluated at execution
// time, so the builder is a function of a clock: call it again at tool time.
import type { DynamicValue } from './types'

export interface SystemVariableContext {
  agentId: string
  /** Changes after an agent-to-agent transfer; default agentId. */
  currentAgentId?: string
  callerId: string
  calledNumber: string
  conversationId: string
  /** Twilio calls only (seed); omitted otherwise. */
  callSid?: string | null
  /** IANA zone for system__time; invalid or absent means UTC. */
  timezone?: string
  /** Epoch ms when the call was answered (200 OK / ACK), null before. */
  answeredAtMs: number | null
}

export type SystemVariables = Record<string, string | number>

// Building an Intl.DateTimeFormat costs more than the rest of a call's variables together (load
// bench CPU profile of call setup, issue 7); the formatters are immutable, so one per zone is kept.
// Bounded (cleared when full) because the zone may come from a webhook; null marks an invalid zone.
const FORMATTER_CACHE_MAX = 256
const formatters = new Map<string, Intl.DateTimeFormat | null>()

function zoneFormatter (tz: string): Intl.DateTimeFormat | null {
  const cached = formatters.get(tz)
  if (cached !== undefined) return cached
  let f: Intl.DateTimeFormat | null
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit'
    })
  } catch {
    f = null
  }
  if (formatters.size >= FORMATTER_CACHE_MAX) formatters.clear()
  formatters.set(tz, f)
  return f
}

export function isValidTimezone (tz: string): boolean {
  return zoneFormatter(tz) !== null
}

function pad (n: number, w = 2): string {
  return String(n).padStart(w, '0')
}

/** ISO 8601 local time with offset in the zone, e.g. 2026-11-24T06:05:00+01:00. */
export function isoInTimezone (epochMs: number, timeZone: string): string {
  const formatter = zoneFormatter(timeZone)
  if (formatter === null) throw new RangeError(`Invalid time zone specified: ${timeZone}`)
  const parts = formatter.formatToParts(new Date(epochMs))
  const get = (type: string): number => Number(parts.find(p => p.type === type)?.value)
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  const offsetMin = Math.round((wall - Math.floor(epochMs / 1000) * 1000) / 60000)
  const sign = offsetMin < 0 ? '-' : '+'
  const abs = Math.abs(offsetMin)
  return `${get('year')}-${pad(get('month'))}-${pad(get('day'))}T${pad(get('hour'))}:${pad(get('minute'))}:${pad(get('second'))}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** The system__ variables at time nowMs (epoch ms). */
export function systemVariables (ctx: SystemVariableContext, nowMs: number): SystemVariables {
  const tz = ctx.timezone && isValidTimezone(ctx.timezone) ? ctx.timezone : 'UTC'
  const vars: SystemVariables = {
    system__agent_id: ctx.agentId,
    system__current_agent_id: ctx.currentAgentId ?? ctx.agentId,
    system__caller_id: ctx.callerId,
    system__called_number: ctx.calledNumber,
    system__call_duration_secs: ctx.answeredAtMs === null ? 0 : Math.max(0, Math.floor((nowMs - ctx.answeredAtMs) / 1000)),
    system__time_utc: new Date(nowMs).toISOString(),
    system__time: isoInTimezone(nowMs, tz),
    system__timezone: tz,
    system__conversation_id: ctx.conversationId
  }
  if (ctx.callSid) vars.system__call_sid = ctx.callSid
  return vars
}

/** seed "Secret dynamic variables": the secret__ prefix keeps a value away from any LLM. */
import { isSecretVariable } from '../../engine/template'

export { SECRET_PREFIX, isSecretVariable } from '../../engine/template'

export interface EngineVariable {
  name: string
  value: DynamicValue
  secret: boolean
}

/** Custom + system variables as the engine receives them (Start.dynamic_variables), secrets flagged. */
export function engineVariables (custom: Record<string, DynamicValue>, system: SystemVariables): EngineVariable[] {
  const out: EngineVariable[] = []
  for (const [name, value] of Object.entries(custom)) out.push({ name, value, secret: isSecretVariable(name) })
  // system__ names cannot collide with custom ones: the webhook validation refuses that prefix.
  for (const [name, value] of Object.entries(system)) out.push({ name, value, secret: false })
  return out
}

/** Only what may go into a prompt or first message sent to an LLM. */
export function llmVisibleVariables (vars: readonly EngineVariable[]): Record<string, DynamicValue> {
  const out: Record<string, DynamicValue> = {}
  for (const v of vars) if (!v.secret) out[v.name] = v.value
  return out
}

/** In the proto shape (DynamicVariable with a typed oneof value). */
export function toDynamicVariableMessages (vars: readonly EngineVariable[]): Array<{ name: string; secret: boolean; string_value?: string; number_value?: number; bool_value?: boolean }> {
  return vars.map(v => typeof v.value === 'string'
    ? { name: v.name, secret: v.secret, string_value: v.value }
    : typeof v.value === 'number'
      ? { name: v.name, secret: v.secret, number_value: v.value }
      : { name: v.name, secret: v.secret, bool_value: v.value })
}
