// The server's CallControl: turns an API request into an outbound call through a trunk (trunk choice,
// Request-URI, From, templated headers, digest credentials, RFC 3263 targets) and keeps the live
// calls; reads every call — inbound and outbound, live or ended — from the records store.
import { randomUUID } from 'node:crypto'
import type { TrunkConfig, TrunkgateConfig } from '../config'
import { parseTrunkAddress } from '../config'
import type { Logger } from '../log'
import type { CallRecord, CallRecordStore, CallStatus } from '../records'
import { parseUri } from '../sip/message/uri'
import type { SipAgent } from '../sip/ua'
import { CallControlError, type ApiTransferOutcome, type CallControl, type OriginateRequest, type TransferRequest, type TransferResult } from '../api/call-control'
import { HeaderTemplateError, renderHeaders } from './header-template'
import { OutboundCall } from './outbound-call'
import type { OutboundMediaFactory } from './outbound-media'
import type { SipResolver } from './sip-resolver'

/** Live-call operations on inbound calls, supplied by the inbound call layer when it has them. */
export interface InboundCallControl {
  hangup: (conversationId: string) => Promise<boolean>
  dtmf: (conversationId: string, digits: string) => Promise<boolean>
  /** API transfer of a live inbound call; null for a call this gateway does not hold. */
  transfer?: (conversationId: string, req: TransferRequest) => Promise<ApiTransferOutcome | null>
  /** Refresh the stored record of a live inbound call before it is read. */
  sync?: (conversationId: string) => void
}

export interface OutboundDiallerDeps {
  config: TrunkgateConfig
  agent: SipAgent
  store: CallRecordStore
  resolver: SipResolver
  media: OutboundMediaFactory
  /** Our address for SDP on a signalling transport. */
  mediaAddress: (transport: 'tcp' | 'tls') => string
  /** Calls the inbound side holds, for the shared sip.maxConcurrentCalls limit. */
  inboundActive: () => number
  logger: Logger
  inbound?: InboundCallControl
  onEnded?: (record: CallRecord) => void
}

export class OutboundDialler implements CallControl {
  private readonly live = new Map<string, OutboundCall>()
  private readonly deps: OutboundDiallerDeps
  private closing = false

  constructor (deps: OutboundDiallerDeps) {
    this.deps = deps
  }

  activeCount (): number { return this.live.size }
  call (id: string): OutboundCall | undefined { return this.live.get(id) }

  async originate (req: OriginateRequest): Promise<CallRecord> {
    const { config, store } = this.deps
    if (this.closing) throw new CallControlError(503, 'API_ERR_SHUTTING_DOWN', 'the gateway is shutting down')
    if (!config.agents.some(a => a.id === req.agentId)) {
      throw new CallControlError(400, 'API_ERR_UNKNOWN_AGENT', `agent_id: unknown agent "${req.agentId}"`, 'agent_id')
    }
    const trunk = this.chooseTrunk(req)
    const out = trunk.outbound as NonNullable<TrunkConfig['outbound']>
    if (this.live.size + this.deps.inboundActive() >= config.sip.maxConcurrentCalls) {
      throw new CallControlError(503, 'API_ERR_CAPACITY', `sip.maxConcurrentCalls (${config.sip.maxConcurrentCalls}) reached`)
    }
    const addr = parseTrunkAddress(out.address, `trunks.${trunk.name}.outbound.address`)
    const port = addr.port ?? out.port ?? null
    const requestUri = this.requestUri(req.to, addr.host, port, out.transport)
    let headers
    try {
      headers = renderHeaders(out.headers, req.dynamicVariables)
    } catch (err) {
      if (err instanceof HeaderTemplateError) {
        const field = err.variable ? `dynamic_variables.${err.variable}` : 'dynamic_variables'
        throw new CallControlError(400, err.code, `${field}: ${err.message}`, field)
      }
      throw err
    }
    const conversationId = `conv_${randomUUID().replace(/-/g, '')}`
    const log = this.deps.logger.child({ conversationId, trunk: trunk.name, direction: 'outbound' })
    const record = store.begin({
      conversationId,
      callId: conversationId,
      agentId: req.agentId,
      direction: 'outbound',
      trunk: trunk.name,
      fromNumber: req.fromNumber,
      toNumber: req.to
    })
    let media
    let callRef: OutboundCall | null = null
    try {
      media = this.deps.media({
        conversationId,
        policy: { mediaEncryption: out.media_encryption, allowSdesOverTcp: trunk.allow_sdes_over_tcp, signallingTransport: out.transport },
        mediaAddress: this.deps.mediaAddress(out.transport),
        inbandDtmf: trunk.dtmf_inband,
        log,
        call: {
          agentId: req.agentId,
          fromNumber: req.fromNumber,
          to: req.to,
          dynamicVariables: req.dynamicVariables,
          overrides: { prompt: req.overrides.prompt, first_message: req.overrides.firstMessage, language: req.overrides.language, voice_id: req.overrides.voiceId }
        },
        hangup: (reason) => { callRef?.engineEnded(reason) },
        trunk,
        transfer: (outcome) => { callRef?.transferRecorded(outcome) }
      })
    } catch (err) {
      log.error({ err }, 'no media leg for the outbound call')
      store.finish(conversationId, { status: 'failed', hangupCause: 'media_unavailable', hangupSide: 'system' })
      throw new CallControlError(503, 'API_ERR_NO_MEDIA', 'no media port available')
    }
    const fromDomain = out.from_domain
    const call = new OutboundCall({
      conversationId,
      requestUri,
      callingNumber: req.fromNumber,
      from: fromDomain ? `<sip:${req.fromNumber}@${fromDomain}>` : undefined,
      to: `<${requestUri}>`,
      headers,
      auth: out.auth,
      ringTimeoutMs: (req.ringTimeoutSecs ?? out.ring_timeout_secs) * 1000,
      targets: () => this.deps.resolver.resolve(addr.host, port, out.transport, out.max_targets)
    }, {
      agent: this.deps.agent,
      store,
      media,
      log,
      onEnded: (rec) => {
        this.live.delete(conversationId)
        this.deps.onEnded?.(rec)
      }
    })
    callRef = call
    this.live.set(conversationId, call)
    void call.run()
    log.info({ to: req.to, from: req.fromNumber, uri: requestUri, agent: req.agentId }, 'outbound call started')
    return record
  }

  get (id: string): CallRecord | null {
    this.deps.inbound?.sync?.(id)
    return this.deps.store.get(id)
  }

  list (filter: { status?: CallStatus, direction?: 'inbound' | 'outbound', limit?: number }): CallRecord[] {
    if (this.deps.inbound?.sync) {
      for (const r of this.deps.store.list({ status: 'ringing', direction: 'inbound', limit: 1000 })) this.deps.inbound.sync(r.conversationId)
    }
    return this.deps.store.list(filter)
  }

  async hangup (id: string): Promise<CallRecord> {
    const call = this.live.get(id)
    if (call) return await call.hangup()
    const rec = this.mustExist(id)
    if (rec.endedAt !== null) throw new CallControlError(409, 'API_ERR_CALL_ENDED', `call ${id} already ended (${rec.status})`)
    if (this.deps.inbound && await this.deps.inbound.hangup(id)) return this.deps.store.get(id) as CallRecord
    throw new CallControlError(409, 'API_ERR_NOT_CONTROLLABLE', `call ${id} is not controllable from this gateway`)
  }

  async dtmf (id: string, digits: string): Promise<void> {
    const call = this.live.get(id)
    if (call) {
      try {
        await call.sendDtmf(digits)
      } catch (err) {
        throw new CallControlError(409, 'API_ERR_NOT_ANSWERED', `call ${id} is ${call.state}: DTMF needs an answered call (${(err as Error).message})`)
      }
      return
    }
    const rec = this.mustExist(id)
    if (rec.endedAt !== null) throw new CallControlError(409, 'API_ERR_CALL_ENDED', `call ${id} already ended (${rec.status})`)
    if (this.deps.inbound && await this.deps.inbound.dtmf(id, digits)) return
    throw new CallControlError(409, 'API_ERR_NOT_CONTROLLABLE', `call ${id} is not controllable from this gateway`)
  }

  async transfer (id: string, req: TransferRequest): Promise<TransferResult> {
    if (this.live.has(id)) throw new CallControlError(409, 'API_ERR_NOT_CONTROLLABLE', `call ${id}: transfer from the API is available on inbound calls only (outbound calls transfer through the engine's tool)`)
    const rec = this.mustExist(id)
    if (rec.endedAt !== null) throw new CallControlError(409, 'API_ERR_CALL_ENDED', `call ${id} already ended (${rec.status})`)
    const r = this.deps.inbound?.transfer ? await this.deps.inbound.transfer(id, req) : null
    if (r === null) throw new CallControlError(409, 'API_ERR_NOT_CONTROLLABLE', `call ${id} is not controllable from this gateway`)
    if (!r.ok) {
      if (r.field) throw new CallControlError(400, 'API_ERR_TRANSFER_NOT_ALLOWED', `${r.field}: ${r.error}`, r.field)
      throw new CallControlError(409, 'API_ERR_TRANSFER_FAILED', `call ${id}: ${r.error}`)
    }
    return r.result ? { result: r.result } : {}
  }

  /** Ends every live outbound call (CANCEL or BYE) and waits for their records. */
  async close (): Promise<void> {
    this.closing = true
    await Promise.all([...this.live.values()].map(c => c.shutdown().catch(() => undefined)))
  }

  private mustExist (id: string): CallRecord {
    const rec = this.deps.store.get(id)
    if (!rec) throw new CallControlError(404, 'API_ERR_CALL_NOT_FOUND', `no call ${id}`)
    return rec
  }

  /** The requested trunk; else the trunk of from_number; else the first trunk that can dial out. */
  private chooseTrunk (req: OriginateRequest): TrunkConfig {
    const trunks = this.deps.config.trunks
    if (req.trunk !== undefined) {
      const t = trunks.find(x => x.name === req.trunk)
      if (!t) throw new CallControlError(400, 'API_ERR_UNKNOWN_TRUNK', `trunk: unknown trunk "${req.trunk}"`, 'trunk')
      if (!t.outbound) throw new CallControlError(400, 'API_ERR_NO_OUTBOUND', `trunk: "${req.trunk}" has no outbound section`, 'trunk')
      return t
    }
    const route = this.deps.config.phone_numbers.find(p => p.number === req.fromNumber)
    const candidates = [
      route?.trunk !== undefined ? trunks.find(t => t.name === route.trunk) : undefined,
      trunks.find(t => t.phone_numbers.includes(req.fromNumber) && t.outbound),
      trunks.find(t => t.outbound)
    ]
    const t = candidates.find(c => c?.outbound !== undefined)
    if (!t) throw new CallControlError(400, 'API_ERR_NO_OUTBOUND', 'trunk: no trunk has an outbound section', 'trunk')
    return t
  }

  /**
   * E.164 → sip:+15550100@<trunk host>[:port];user=phone (RFC 3261 §19.1.6), the host being the trunk's
   * configured name (RFC 3263: the Request-URI keeps the domain, DNS only picks where it is sent);
   * a SIP URI is sent as given, through the trunk.
   */
  private requestUri (to: string, host: string, port: number | null, transport: 'tcp' | 'tls'): string {
    if (/^sips?:/i.test(to)) {
      try {
        parseUri(to)
      } catch (err) {
        throw new CallControlError(400, 'API_ERR_INVALID_FIELD', `to: not a valid SIP URI (${(err as Error).message})`, 'to')
      }
      return to
    }
    const h = host.includes(':') ? `[${host}]` : host
    return `sip:${to}@${h}${port !== null ? `:${port}` : ''};user=phone${transport === 'tls' ? ';transport=tls' : ''}`
  }
}
