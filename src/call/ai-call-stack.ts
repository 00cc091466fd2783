// Everything AI calls need next to the SIP server, built from the configuration: the media engine
// (created once: port range and addresses from `media:`), the engine link, and the embedded demo
// engine when no external engine is configured (engine.address unset, engine.embeddedDemo true).
import type { TrunkgateConfig } from '../config'
import type { Logger } from '../log'
import { DemoEngine } from '../engine/demo-engine'
import { GrpcConnector } from '../engine/grpc-connector'
import { engineConnectors } from '../engine/connectors'
import type { EngineConnector } from '../engine/engine-session'
import { MediaEngine } from '../media/media-engine'
import { supportedSrtpSuites } from '../media/dsp'
import { AiCallHandler } from './ai-call-handler'
import { engineFailurePrompts } from './engine-failure'

export interface AiCallStack {
  handler: AiCallHandler
  media: MediaEngine
  /** The global engine section's connector (gRPC to engine.address, or to the embedded demo). */
  engine: EngineConnector
  /** The connector of each agent (`agents[].engine`, else the global one). */
  engineFor: (agentId: string) => EngineConnector
  /** The embedded demo engine, when it runs. */
  demo: DemoEngine | null
  engineAddress: string
  /** Settles once the startup check of the engine is done (a warning is logged when it did not answer). */
  probed: Promise<void>
  close: () => Promise<void>
}

export interface AiCallStackOptions {
  logger: Logger
  /** Passed to every call (tests inject a fetch for the webhook). */
  fetch?: typeof fetch
}

export async function createAiCallStack (config: TrunkgateConfig, opts: AiCallStackOptions): Promise<AiCallStack> {
  const log = opts.logger
  const m = config.media
  const media = new MediaEngine({
    portRange: [m.port_min, m.port_max],
    bindAddress: m.bind_address,
    advertiseAddress: m.advertise_address,
    threads: m.threads,
    realtimePriority: m.realtime_priority
  })
  let demo: DemoEngine | null = null
  let demoAddress: string | null = null
  let engineAddress = config.engine.address
  try {
    // The demo engine runs when the global engine is the demo, or an agent asks for it.
    const demoWanted = engineAddress === undefined || config.agents.some(a => a.engine?.type === 'demo')
    if (engineAddress === undefined && !config.engine.embeddedDemo) throw new Error('engine.address is not set and engine.embeddedDemo is false: no conversation engine')
    if (demoWanted) {
      demo = new DemoEngine({ host: '127.0.0.1', port: config.engine.demoPort, log: log.child({ component: 'demo-engine' }) })
      const port = await demo.start()
      demoAddress = `127.0.0.1:${port}`
      engineAddress ??= demoAddress
    }
  } catch (err) {
    media.close()
    throw err
  }
  if (engineAddress === undefined) throw new Error('no conversation engine address')
  const grpcLog = log.child({ component: 'engine-client' })
  const engine = new GrpcConnector({
    address: engineAddress,
    connectTimeoutMs: config.engine.connectTimeoutMs,
    readyTimeoutMs: config.engine.readyTimeoutMs,
    log: grpcLog
  })
  const engines = engineConnectors(config, {
    log: log.child({ component: 'engine' }),
    // The global section's connector is shared; an agent's own gRPC engine gets its own channel.
    grpc: e => e.address === engineAddress ? engine : new GrpcConnector({ ...e, log: grpcLog }),
    demo: () => demoAddress === null || demoAddress === engineAddress ? engine : new GrpcConnector({ address: demoAddress, connectTimeoutMs: config.engine.connectTimeoutMs, readyTimeoutMs: config.engine.readyTimeoutMs, log: grpcLog })
  })
  const failurePrompts = engineFailurePrompts(config.agents, log)
  const handler = new AiCallHandler({
    media,
    engineFailurePrompt: agentId => failurePrompts.get(agentId),
    engineFor: engines.engineFor,
    supportedSuites: supportedSrtpSuites(),
    retryAfterSeconds: config.sip.retryAfterSeconds,
    transferSettings: config.transfer,
    fetch: opts.fetch
  })
  log.info({ engine: engineAddress, embeddedDemo: demo !== null, rtpPorts: `${m.port_min}-${m.port_max}` }, 'AI call layer ready')
  // Not awaited: the gateway starts either way (the engine may come up later), but an engine that does
  // not answer now is said at startup rather than found by the first caller's 503.
  const probed = Promise.all([engine, ...engines.all.filter(c => c !== engine)].map(async c => {
    const r = await c.probe()
    if (!r.ok) log.warn({ code: 'ENGINE_ERR_UNREACHABLE', protocol: c.protocol, engine: c === engine ? engineAddress : undefined, detail: r.detail }, 'configured conversation engine does not answer: calls get the agent\'s engine_unavailable behaviour until it does')
  })).then(() => undefined)
  let closed = false
  return {
    handler,
    media,
    engine,
    engineFor: engines.engineFor,
    demo,
    engineAddress,
    probed,
    close: async () => {
      if (closed) return
      closed = true
      handler.close()
      // Let the BYEs and hang-up events leave before the streams and sockets go.
      await new Promise(resolve => setTimeout(resolve, 50))
      for (const c of new Set([engine, ...engines.all])) c.close()
      if (demo) await demo.stop(500)
      media.close()
    }
  }
}
