// Per-agent conversation engine (issue 12): `agents[].engine: {type: ..., ...}`. Without it an agent uses
// the global `engine` section (gRPC, or the embedded demo). Secrets never sit in the YAML: fields ending in
// `_env` name the environment variable that holds them. Field meanings are documented in config/default.yaml.
import { bool, ConfigError, int, list, obj, oneOf, optional, refine, str, tagged, type Infer } from './schema-builder'

export const engineTypes = ['grpc', 'demo', 'elevenlabs', 'openai_realtime', 'media_stream'] as const
export type EngineType = typeof engineTypes[number]

export const systemToolNames = ['transfer_to_number', 'play_keypad_touch_tone', 'skip_turn', 'voicemail_detection', 'end_call'] as const

const envName = str({ pattern: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/, patternName: 'an environment variable name (e.g. "OPENAI_API_KEY")' })
/** A custom dynamic variable name: the system__ prefix belongs to the platform (seed "System dynamic variables"). */
const variableName = str({ pattern: /^(?!system__)(?!secret__)[A-Za-z0-9_.-]{1,64}$/, patternName: 'a variable name not starting with system__ or secret__' })

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

export function isLoopbackHost (hostname: string): boolean {
  return LOOPBACK.test(hostname)
}

/** ws:// or wss:// (a plain ws:// only to loopback unless allow_insecure_ws: API keys and caller audio travel on it). */
const wsUrl = refine(str({ minLength: 1 }), (v, path) => {
  let u: URL
  try { u = new URL(v) } catch { throw new ConfigError(path, `${JSON.stringify(v)} is not a URL (e.g. "wss://bot.example.com/media")`) }
  if (u.protocol !== 'wss:' && u.protocol !== 'ws:') throw new ConfigError(path, `${JSON.stringify(v)} must be a wss:// (or loopback ws://) URL`)
})

const timeouts = {
  connect_timeout_ms: optional(int({ min: 50, max: 60000 }), () => 3000),
  ready_timeout_ms: optional(int({ min: 50, max: 60000 }), () => 5000),
  allow_insecure_ws: optional(bool(), () => false)
}

function insecureCheck<T extends { allow_insecure_ws: boolean }> (field: string, url: (v: T) => string) {
  return (v: T, path: string): void => {
    const u = new URL(url(v))
    if (u.protocol === 'ws:' && !isLoopbackHost(u.hostname) && !v.allow_insecure_ws) {
      throw new ConfigError(`${path}.${field}`, `plain ws:// to ${u.hostname} sends keys and caller audio unencrypted: use wss://, or set allow_insecure_ws: true`)
    }
  }
}

const grpcEngine = obj({
  type: oneOf(['grpc'] as const),
  address: str({ minLength: 1 }),
  connect_timeout_ms: optional(int({ min: 50, max: 60000 }), () => 2000),
  ready_timeout_ms: optional(int({ min: 50, max: 60000 }), () => 3000)
})

const demoEngine = obj({ type: oneOf(['demo'] as const) })

const elevenlabsEngine = refine(obj({
  type: oneOf(['elevenlabs'] as const),
  agent_id: str({ pattern: /^[A-Za-z0-9_-]{1,128}$/, patternName: 'an ElevenLabs agent id (e.g. "agent_01jx...")' }),
  // Private agents: the API key (xi-api-key) fetches a signed URL per call. Public agents need none.
  api_key_env: optional(envName),
  // Residency hosts: wss://api.eu.residency.elevenlabs.io, wss://api.in.residency.elevenlabs.io.
  base_url: optional(wsUrl, () => 'wss://api.elevenlabs.io'),
  // The call's facts as custom dynamic variables (system__ is reserved to the platform).
  call_variables: optional(obj({
    caller_id: optional(variableName, () => 'caller_id'),
    called_number: optional(variableName, () => 'called_number'),
    call_sid: optional(variableName, () => 'call_sid')
  }), () => ({ caller_id: 'caller_id', called_number: 'called_number', call_sid: 'call_sid' })),
  ...timeouts
}), insecureCheck('base_url', v => v.base_url))

const turnDetection = obj({
  type: optional(oneOf(['server_vad', 'semantic_vad'] as const), () => 'server_vad' as const),
  threshold_percent: optional(int({ min: 0, max: 100 })),
  prefix_padding_ms: optional(int({ min: 0, max: 5000 })),
  silence_duration_ms: optional(int({ min: 0, max: 10000 })),
  eagerness: optional(oneOf(['low', 'medium', 'high', 'auto'] as const))
})

const openaiRealtimeEngine = refine(obj({
  type: oneOf(['openai_realtime'] as const),
  model: optional(str({ minLength: 1 }), () => 'gpt-realtime'),
  api_key_env: optional(envName, () => 'OPENAI_API_KEY'),
  url: optional(wsUrl, () => 'wss://api.openai.com/v1/realtime'),
  // The system prompt; {{variables}} are rendered from the call's non-secret dynamic variables.
  instructions: str({ minLength: 1 }),
  // Spoken when the call is answered; absent: the model waits for the caller.
  first_message: optional(str({ minLength: 1 })),
  voice: optional(str({ minLength: 1 }), () => 'marin'),
  // server_vad: threshold_percent (0-100), prefix_padding_ms, silence_duration_ms; semantic_vad: eagerness.
  turn_detection: optional(turnDetection, () => ({ type: 'server_vad' as const })),
  // e.g. gpt-4o-transcribe: transcripts of the caller in the logs (off by default).
  transcription_model: optional(str({ minLength: 1 })),
  system_tools: optional(list(oneOf(systemToolNames), { unique: true }), () => [...systemToolNames]),
  ...timeouts
}), insecureCheck('url', v => v.url))

const mediaStreamEngine = refine(obj({
  type: oneOf(['media_stream'] as const),
  protocol: optional(oneOf(['twilio'] as const), () => 'twilio' as const),
  url: wsUrl,
  // Sent as "Authorization: Bearer <value>" on the WebSocket upgrade when set.
  auth_token_env: optional(envName),
  ...timeouts
}), insecureCheck('url', v => v.url))

export const agentEngineSchema = tagged('type', {
  grpc: grpcEngine,
  demo: demoEngine,
  elevenlabs: elevenlabsEngine,
  openai_realtime: openaiRealtimeEngine,
  media_stream: mediaStreamEngine
})

export type AgentEngineConfig = Infer<typeof agentEngineSchema>
export type ElevenLabsEngineConfig = Extract<AgentEngineConfig, { type: 'elevenlabs' }>
export type OpenAiRealtimeEngineConfig = Extract<AgentEngineConfig, { type: 'openai_realtime' }>
export type MediaStreamEngineConfig = Extract<AgentEngineConfig, { type: 'media_stream' }>
export type GrpcEngineConfig = Extract<AgentEngineConfig, { type: 'grpc' }>

/** The environment variables an engine needs (names, for --check and startup warnings). */
export function engineSecretEnv (e: AgentEngineConfig): string[] {
  switch (e.type) {
    case 'elevenlabs': return e.api_key_env ? [e.api_key_env] : []
    case 'openai_realtime': return [e.api_key_env]
    case 'media_stream': return e.auth_token_env ? [e.auth_token_env] : []
    default: return []
  }
}

/**
 * Secrets an agent's engine names but the environment lacks: `--check` and startup say so per agent
 * (the calls of such an agent would get its engine_unavailable behaviour).
 */
export function missingEngineSecrets (agents: ReadonlyArray<{ id: string; engine?: AgentEngineConfig }>, env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = []
  agents.forEach((a, i) => {
    if (!a.engine) return
    for (const name of engineSecretEnv(a.engine)) {
      if (!env[name]) out.push(`agents[${i}].engine (${a.id}, ${a.engine.type}): environment variable ${name} is not set; this agent's calls will get its engine_unavailable behaviour`)
    }
  })
  return out
}
