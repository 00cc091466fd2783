// The server's CallControl: turns an API request into an outbound call through a trunk (trunk choice,
// Request-URI, From, templated headers, digest credentials, RFC 3263 targets) and keeps the live
// calls; reads every call — inbound and outbound, live or ended — from the records store.
import { randomUUID } from 'node:crypto'
import type { TrunkConfig, TrunkgateConfig } from '../config'
import type { Logger } from '../log'
import { InboundDtmfError, type CallRecord, type RecordStore, type CallStatus } from '../records'
import type { MediaQuality } from '../records/call-record'
import { logCallSummary } from '../records/call-summary'
import type { SipAgent } from '../sip/ua'
import { CallControlError, transferResult, type CallControl, type OriginateRequest, type TransferAttempt, type TransferCallRequest } from '../call/call-control'
import { HeaderTemplateError, renderHeaders } from '../trunk/header-template'
import { destinationUri, trunkAddress, TrunkUriError } from '../trunk/trunk-uri'
import { OutboundCall } from './outbound-call'
import type { OutboundMediaFactory } from './outbound-media'
import type { SipResolver } from '../trunk/sip-resolver'

/** Live-call operations on inbound calls, supplied by the inbound call layer when it has them. */
export interface InboundCallControl {
  hangup: (conversationId: string) => Promise<boolean>
  dtmf: (conversationId: string, digits: string) => Promise<boolean>
  /** Refresh the stored record of a live inbound call before it is read. */
  sync?: (conversationId: string) => void
  /** Interim media quality of a live inbound call, for GET while it is up. */
  liveMedia?: (conversationId: string) => MediaQuality | null
  /** false: not a live inbound call here; null: not answered. */
  transfer?: (conversationId: string, to: string, type?: 'conference' | 'sip_refer') => Promise<TransferAttempt | null | false>
}

export interface OutboundDiallerDeps {
  config: TrunkgateConfig
  agent: SipAgent
  store: RecordStore
  resolver: SipResolver
  media: OutboundMediaFactory
  /** Our address for SDP on a signalling transport. */
  mediaAddress: (transport: 'udp' | 'tcp' | 'tls') => string
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
  private refusing = false

  constructor (deps: OutboundDiallerDeps) {
    this.deps = deps
  }

  activeCount (): number { return this.live.size }
  /** A draining node refuses new calls with 503 (issue 15); resume() of the drain accepts them again. */
  acceptNewCalls (accept: boolean): void { this.refusing = !accept }
  call (id: string): OutboundCall | undefined { return this.live.get(id) }

  async originate (req: OriginateRequest): Promise<CallRecord> {
    const { config, store } = this.deps
    if (this.closing) throw new CallControlError(503, 'API_ERR_SHUTTING_DOWN', 'the gateway is shutting down')
    if (this.refusing) throw new CallControlError(503, 'API_ERR_DRAINING', 'the gateway is draining: no new calls')
    if (!config.agents.some(a => a.id === req.agentId)) {
      throw new CallControlError(400, 'API_ERR_UNKNOWN_AGENT', `agent_id: unknown agent "${req.agentId}"`, 'agent_id')
    }
    const trunk = this.chooseTrunk(req)
    const out = trunk.outbound as NonNullable<TrunkConfig['outbound']>
    if (this.live.size + this.deps.inboundActive() >= config.sip.maxConcurrentCalls) {
      throw new CallControlError(503, 'API_ERR_CAPACITY', `sip.maxConcurrentCalls (${config.sip.maxConcurrentCalls}) reached`)
    }
    const addr = trunkAddress(trunk) as NonNullable<ReturnType<typeof trunkAddress>>
    let requestUri: string
    try {
      requestUri = destinationUri(req.to, trunk)
    } catch (err) {
      if (err instanceof TrunkUriError) throw new CallControlError(400, 'API_ERR_INVALID_FIELD', `to: ${err.message}`, 'to')
      throw err
    }
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
        policy: {
          mediaEncryption: out.media_encryption,
          allowSdesOverTcp: trunk.allow_sdes_over_tcp,
          signallingTransport: out.transport,
          ...(trunk.codecs !== undefined ? { codecs: trunk.codecs } : {})
        },
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
        transfer: (outcome) => { callRef?.transferRecorded(outcome) },
        record: (update) => { store.update(conversationId, update) },
        digitsSent: (count) => { callRef?.digitsSent(count) }
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
      targets: () => this.deps.resolver.resolve(addr.host, addr.port, addr.transport, out.max_targets)
    }, {
      agent: this.deps.agent,
      store,
      media,
      log,
      onEnded: (rec) => {
        this.live.delete(conversationId)
        // The one line an engineer reads per call, as for inbound calls (records/call-summary.ts).
        logCallSummary(log, { ...rec, trunk: rec.trunk ?? trunk.name })
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
    const rec = this.deps.store.get(id)
    if (!rec || rec.endedAt !== null) return rec
    // While the call is up the record has no media quality yet: show what the leg measured so far.
    const live = this.live.get(id)?.liveMedia() ?? this.deps.inbound?.liveMedia?.(id) ?? null
    return live ? { ...rec, media: live } : rec
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
    if (this.deps.inbound) {
      let sent: boolean
      try {
        sent = await this.deps.inbound.dtmf(id, digits)
      } catch (err) {
        if (err instanceof InboundDtmfError) {
          throw new CallControlError(409, err.reason === 'not_answered' ? 'API_ERR_NOT_ANSWERED' : 'API_ERR_DTMF_FAILED', err.message)
        }
        throw err
      }
      if (sent) return
    }
    throw new CallControlError(409, 'API_ERR_NOT_CONTROLLABLE', `call ${id} is not controllable from this gateway`)
  }

  async transfer (id: string, req: TransferCallRequest): Promise<{ result: Record<string, unknown>, record: CallRecord }> {
    const call = this.live.get(id)
    let attempt: TransferAttempt | null | false
    if (call) {
      attempt = await call.transferTo(req.to, req.type)
    } else {
      const rec = this.mustExist(id)
      if (rec.endedAt !== null) throw new CallControlError(409, 'API_ERR_CALL_ENDED', `call ${id} already ended (${rec.status})`)
      attempt = this.deps.inbound?.transfer ? await this.deps.inbound.transfer(id, req.to, req.type) : false
      if (attempt === false) throw new CallControlError(409, 'API_ERR_NOT_CONTROLLABLE', `call ${id} is not controllable from this gateway`)
    }
    if (attempt === null) throw new CallControlError(409, 'API_ERR_NOT_ANSWERED', `call ${id} is not answered: no transfer`)
    const result = transferResult(id, attempt)
    // A successful REFER ends the call: its record is final once the call layer committed it.
    const ended = call ? await Promise.race([call.whenEnded(), new Promise<null>(resolve => setTimeout(() => resolve(null), 100))]) : null
    return { result, record: ended ?? this.get(id) as CallRecord }
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
}
