// Issue 5 services next to the SIP server: the call records store (+ post-call webhook), Prometheus
// metrics, the outbound dialler and the control API — built from the configuration and closed in the
// order that keeps records safe: API first (no new calls), live calls ended (records committed),
// webhook stopped, store closed.
import type { TrunkgateConfig } from './config'
import type { Logger } from './log'
import type { EngineConnector } from './engine/engine-session'
import type { MediaEngine } from './media/media-engine'
import { CallRecordStore, InboundRecords, PostCallWebhook, PostgresRecordStore, type InboundCallSource, type RecordStore } from './records'
import os from 'node:os'
import type { CallRecord } from './records'
import type { SipMessage } from './sip/message/types'
import type { SipAgent } from './sip/ua'
import { OutboundDialler, type InboundCallControl } from './outbound/outbound-dialler'
import { legMediaFactory, signallingOnlyFactory, type OutboundMediaFactory } from './outbound/outbound-media'
import { engineMediaFactory } from './outbound/outbound-engine-link'
import { sipHumanDialer } from './call/call-dialer'
import { SipResolver, type DnsLookup } from './trunk/sip-resolver'
import { apiKeysFrom } from './api/api-keys'
import { ControlApi, type NodeDrainControl, type TrunkStatus } from './api/control-api'
import { ClusterCallControl } from './api/cluster-call-control'
import { GatewayMetrics, type DatagramCounters } from './api/gateway-metrics'

export interface GatewayServicesOptions {
  config: TrunkgateConfig
  agent: SipAgent
  /** The transport: received responses are counted from its 'message' events. */
  transport: { on: (event: 'message', fn: (msg: SipMessage) => void) => unknown, localAddressFor: (t: 'udp' | 'tcp' | 'tls') => { host: string }, udpStats?: () => DatagramCounters | null }
  /** Trunks and their registration state for GET /v1/trunks. */
  trunks?: () => TrunkStatus[]
  logger: Logger
  inboundActive: () => number
  /** The node's drain (POST/GET/DELETE /v1/admin/drain). */
  drain?: NodeDrainControl
  /** Native media for outbound calls; without it outbound calls are signalling only. */
  media?: MediaEngine | null
  /** The engine link: with media, outbound calls talk to the agent (engine stream, direction outbound). */
  engine?: EngineConnector | null
  outboundMedia?: OutboundMediaFactory
  dns?: DnsLookup
  /** Live control of inbound calls (overrides the one built from inboundCalls). */
  inbound?: InboundCallControl
  /** The inbound AI call layer (AiCallHandler): its calls get records too. */
  inboundCalls?: InboundCallSource | null
  fetch?: typeof fetch
  env?: NodeJS.ProcessEnv
  /** Every final call record, inbound and outbound (SIP tracing sends its quality report to HEP). */
  onCallEnded?: (rec: CallRecord) => void
}

export interface GatewayServices {
  store: RecordStore
  metrics: GatewayMetrics
  dialler: OutboundDialler
  webhook: PostCallWebhook | null
  api: ControlApi | null
  /** Bound API address (the real port when the config asked for 0). */
  apiAddress: { host: string, port: number } | null
  /** Count a SIP response we sent (the server's sender calls it). */
  countSent: (msg: SipMessage) => void
  close: () => Promise<void>
}

export async function startGatewayServices (o: GatewayServicesOptions): Promise<GatewayServices> {
  const { config, logger } = o
  const log = logger.child({ component: 'gateway-services' })
  const hookCfg = config.records?.post_call_webhook
  const store = openRecordStore(config, o.env ?? process.env, hookCfg !== undefined, log)
  let dialler: OutboundDialler | null = null
  const metrics = new GatewayMetrics(() => ({ inbound: o.inboundActive(), outbound: dialler?.activeCount() ?? 0 }))
  o.transport.on('message', (msg: SipMessage) => { if (msg.kind === 'response') metrics.sipResponse(msg.status, 'received') })
  const udpStats = o.transport.udpStats
  if (udpStats) metrics.observeDatagrams(() => udpStats.call(o.transport))
  const webhook = hookCfg
    ? new PostCallWebhook(store, {
      url: hookCfg.url,
      secret: hookCfg.secret,
      timeoutMs: hookCfg.timeout_ms,
      maxAttempts: hookCfg.max_attempts,
      baseDelayMs: hookCfg.base_delay_ms
    }, { logger, fetch: o.fetch, onAttempt: (ms, ok) => metrics.webhook('post_call', ms, ok) })
    : null
  webhook?.start()
  const callEnded = (rec: CallRecord): void => {
    metrics.callEnded(rec.direction, rec.status, rec.media)
    o.onCallEnded?.(rec)
    webhook?.kick()
  }
  const inboundRecords = o.inboundCalls ? new InboundRecords(o.inboundCalls, store, logger, callEnded) : null
  o.inboundCalls?.on('preCallWebhook', (elapsedMs, ok) => metrics.webhook('pre_call', elapsedMs, ok))
  dialler = new OutboundDialler({
    config,
    agent: o.agent,
    store,
    resolver: new SipResolver({ dns: o.dns }),
    media: o.outboundMedia ?? (o.media ? (o.engine ? engineMediaFactory(o.media, () => o.engine as EngineConnector, config.agents, {
      onReady: ms => metrics.engineRoundTrip.observe(ms / 1000),
      // transfer_to_number on outbound calls dials the human like inbound conference transfers do.
      humanDialer: sipHumanDialer(o.agent, o.media, { resolver: new SipResolver({ dns: o.dns }) }),
      transferSettings: config.transfer
    }) : legMediaFactory(o.media)) : signallingOnlyFactory()),
    mediaAddress: (t) => config.sip.advertise?.host ?? o.transport.localAddressFor(t).host,
    inboundActive: o.inboundActive,
    logger,
    inbound: o.inbound ?? inboundRecords ?? undefined,
    onEnded: callEnded
  })
  let api: ControlApi | null = null
  let apiAddress: GatewayServices['apiAddress'] = null
  try {
    if (config.api) {
      const keys = apiKeysFrom(config.api.keys, o.env ?? process.env)
      if (keys.length === 0) {
        // Never an open control API: without a key it stays off, and says so.
        log.error({ code: 'API_ERR_NO_KEYS' }, 'control API disabled: no API key (set api.keys or TRUNKGATE_API_KEY)')
      } else {
        api = new ControlApi({ host: config.api.listen.host, port: config.api.listen.port, keys, calls: store instanceof PostgresRecordStore ? new ClusterCallControl(dialler, store, { apiKey: keys[0], fetch: o.fetch }) : dialler, trunks: o.trunks, drain: o.drain, metrics, publicMetrics: config.api.public_metrics, logger })
        const a = await api.listen()
        apiAddress = { host: a.address, port: a.port }
        if (store instanceof PostgresRecordStore) store.setNodeApi(config.records?.node_api_url ?? `http://${hostForUrl(a.address)}:${a.port}`)
        log.info({ host: a.address, port: a.port }, 'control API listening')
      }
    }
  } catch (err) {
    await webhook?.stop()
    store.close()
    throw err
  }
  const d = dialler
  let closed = false
  return {
    store,
    metrics,
    dialler: d,
    webhook,
    api,
    apiAddress,
    countSent: (msg) => { if (msg.kind === 'response') metrics.sipResponse(msg.status, 'sent') },
    close: async () => {
      if (closed) return
      closed = true
      await api?.close()
      await d.close()
      await webhook?.stop()
      store.close()
    }
  }
}

/** records.type: sqlite (a file, or memory without records) or postgres (URL from the environment). */
function openRecordStore (config: TrunkgateConfig, env: NodeJS.ProcessEnv, outbox: boolean, log: Logger): RecordStore {
  const rc = config.records
  if (rc?.type === 'postgres') {
    const urlEnv = rc.url_env ?? 'TRUNKGATE_RECORDS_URL'
    const url = env[urlEnv]
    if (!url) throw new Error(`records.type postgres: environment variable ${urlEnv} (records.url_env) is not set`)
    const store = new PostgresRecordStore({ url, nodeId: rc.node_id ?? os.hostname(), outbox })
    log.info({ records: store.file, nodeId: store.nodeId }, 'call records in PostgreSQL (shared)')
    return store
  }
  const recordsPath = rc?.path ?? ':memory:'
  if (recordsPath === ':memory:') {
    log.warn(rc
      ? 'records.path is ":memory:": call records are kept in memory only and lost on restart'
      : 'no records section: call records are kept in memory only and lost on restart')
  }
  return new CallRecordStore(recordsPath, { outbox })
}

function hostForUrl (address: string): string {
  return address.includes(':') ? `[${address}]` : address
}
