// The one place that turns an engine configuration into an EngineConnector (issue 12): per agent
// `agents[].engine`, else the global `engine` section (gRPC with an address, else the embedded demo).
// gRPC and the demo are built by the side that owns them (the call model's gRPC EngineConnector), passed in
// as deps, so this module does not reach into the call wiring.
import type { AgentConfig, AgentEngineConfig, EngineConfig, TrunkgateConfig } from '../config'
import type { Logger } from '../log'
import { ElevenLabsConnector } from './elevenlabs/elevenlabs-connector'
import type { EngineConnector } from './engine-session'
import { MediaStreamConnector } from './media-stream/media-stream-connector'
import { OpenAiRealtimeConnector } from './openai-realtime/openai-realtime-connector'

export interface ConnectorDeps {
  log: Logger
  /** Where the `*_env` secrets are read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>
  grpc?: (engine: { address: string; connectTimeoutMs: number; readyTimeoutMs: number }) => EngineConnector
  demo?: () => EngineConnector
}

/** The engine an agent uses: its own section, else the global default. */
export function agentEngine (agent: Pick<AgentConfig, 'engine'> | null, global: EngineConfig): AgentEngineConfig {
  if (agent?.engine) return agent.engine
  if (global.address) return { type: 'grpc', address: global.address, connect_timeout_ms: global.connectTimeoutMs, ready_timeout_ms: global.readyTimeoutMs }
  return { type: 'demo' }
}

export function createEngineConnector (engine: AgentEngineConfig, deps: ConnectorDeps): EngineConnector {
  const env = deps.env ?? process.env
  const log = deps.log
  switch (engine.type) {
    case 'elevenlabs': return new ElevenLabsConnector({ config: engine, env, log })
    case 'openai_realtime': return new OpenAiRealtimeConnector({ config: engine, env, log })
    case 'media_stream': return new MediaStreamConnector({ config: engine, env, log })
    case 'grpc':
      if (!deps.grpc) throw new Error('createEngineConnector: no gRPC connector factory given')
      return deps.grpc({ address: engine.address, connectTimeoutMs: engine.connect_timeout_ms, readyTimeoutMs: engine.ready_timeout_ms })
    case 'demo':
      if (!deps.demo) throw new Error('createEngineConnector: no demo connector factory given')
      return deps.demo()
  }
}

/**
 * One connector per agent id (`engineFor(agentId)`); agents without their own section share the default
 * one. Unknown agents (routed without config) get the default.
 */
export function engineConnectors (config: Pick<TrunkgateConfig, 'agents' | 'engine'>, deps: ConnectorDeps): { engineFor: (agentId: string) => EngineConnector; all: EngineConnector[] } {
  let fallback: EngineConnector | null = null
  const defaultConnector = (): EngineConnector => (fallback ??= createEngineConnector(agentEngine(null, config.engine), deps))
  const byAgent = new Map<string, EngineConnector>()
  for (const a of config.agents) {
    byAgent.set(a.id, a.engine ? createEngineConnector(a.engine, deps) : defaultConnector())
  }
  return {
    engineFor: id => byAgent.get(id) ?? defaultConnector(),
    all: [...new Set([...byAgent.values(), ...(fallback ? [fallback] : [])])]
  }
}
