// Everything AI calls need next to the SIP server, built from the configuration: the media engine
// (created once: port range and addresses from `media:`), the engine link, and the embedded demo
// engine when no external engine is configured (engine.address unset, engine.embeddedDemo true).
import type { TrunkgateConfig } from '../config'
import type { Logger } from '../log'
import { DemoEngine } from '../engine/demo-engine'
import { GrpcConnector } from '../engine/grpc-connector'
import type { EngineConnector } from '../engine/engine-session'
import { MediaEngine } from '../media/media-engine'
import { supportedSrtpSuites } from '../media/dsp'
import { AiCallHandler } from './ai-call-handler'

export interface AiCallStack {
  handler: AiCallHandler
  media: MediaEngine
  /** The configured engine (every agent's, for now). */
  engine: EngineConnector
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
  let engineAddress = config.engine.address
  try {
    if (engineAddress === undefined) {
      if (!config.engine.embeddedDemo) throw new Error('engine.address is not set and engine.embeddedDemo is false: no conversation engine')
      demo = new DemoEngine({ host: '127.0.0.1', port: config.engine.demoPort, log: log.child({ component: 'demo-engine' }) })
      const port = await demo.start()
      engineAddress = `127.0.0.1:${port}`
    }
  } catch (err) {
    media.close()
    throw err
  }
  const engine = new GrpcConnector({
    address: engineAddress,
    connectTimeoutMs: config.engine.connectTimeoutMs,
    readyTimeoutMs: config.engine.readyTimeoutMs,
    log: log.child({ component: 'engine-client' })
  })
  const handler = new AiCallHandler({
    media,
    engineFor: () => engine,
    supportedSuites: supportedSrtpSuites(),
    retryAfterSeconds: config.sip.retryAfterSeconds,
    transferSettings: config.transfer,
    fetch: opts.fetch
  })
  log.info({ engine: engineAddress, embeddedDemo: demo !== null, rtpPorts: `${m.port_min}-${m.port_max}` }, 'AI call layer ready')
  // Not awaited: the gateway starts either way (the engine may come up later), but an engine that does
  // not answer now is said at startup rather than found by the first caller's 503.
  const probed = engine.probe().then(r => {
    if (!r.ok) log.warn({ code: 'ENGINE_ERR_UNREACHABLE', engine: engineAddress, detail: r.detail }, 'configured conversation engine does not answer: calls get the agent\'s engine_unavailable behaviour until it does')
  })
  let closed = false
  return {
    handler,
    media,
    engine,
    demo,
    engineAddress,
    probed,
    close: async () => {
      if (closed) return
      closed = true
      handler.close()
      // Let the BYEs and hang-up events leave before the streams and sockets go.
      await new Promise(resolve => setTimeout(resolve, 50))
      engine.close()
      if (demo) await demo.stop(500)
      media.close()
    }
  }
}
