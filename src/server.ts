// Wiring: transport → transaction/UA → inbound policy → routing → call handler.
// Policy runs in the UA's preRequest hook: after the server transaction exists (retransmissions are
// absorbed, 100 Trying is out) and before any listener sees the request.
import type { TrunkgateConfig } from './config'
import { rootLogger, type Logger } from './log'
import { parseSdp } from './sdp'
import type { MediaPolicy } from './sdp/negotiate'
import type { Dialog } from './sip/dialog/dialog'
import { getCSeq, getHeader, getTo } from './sip/message/headers'
import type { SipMessage, SipRequest } from './sip/message/types'
import { DigestAuthenticator } from './sip/auth/digest-server'
import { InboundPolicy, type PolicySource } from './sip/policy/inbound-policy'
import { TrustedProxies } from './sip/policy/trusted-proxy'
import { findSdp } from './sip/policy/sdp-body'
import { SipError } from './sip/sip-error'
import type { ServerResponse } from './sip/transaction/server-response'
import type { IncomingRequest } from './sip/ua/incoming-request'
import { SipAgent } from './sip/ua/sip-agent'
import { startTrunkRegistrations, type TrunkRegistrations } from './sip/ua/trunk-registrations'
import { startTrunkKeepalives } from './sip/ua/trunk-keepalive'
import { TransportLayer } from './sip/transport/transport-layer'
import type { SendTarget, TransportName, TransportOptions, TransportSource } from './sip/transport/transport-types'
import type { CallHandler, RoutedInvite, SdpOffer } from './call/call-handler'
import { CallRouter, type CallRoute } from './call/call-router'
import { StaticAnswerCallHandler } from './call/static-answer-handler'
import { createAiCallStack, type AiCallStack } from './call/ai-call-stack'
import { sipHumanDialer } from './call/call-dialer'
import { SipResolver } from './trunk/sip-resolver'
import type { TrunkConfig } from './config'
import { startGatewayServices, type GatewayServices, type GatewayServicesOptions } from './gateway-services'
import { SipTracer } from './trace/sip-tracer'
import { DrainController } from './lifecycle/drain-controller'

export interface StartServerOptions {
  /** The call layer; default answers every call with a static PCMU SDP (no media engine yet). */
  callHandler?: CallHandler
  logger?: Logger
  /** Injected so tests can control digest nonce expiry and failure blocking. */
  authenticator?: DigestAuthenticator
  /**
   * Issue 5 services (records, metrics, outbound dialler, control API): native media for outbound calls,
   * DNS answers (tests), fetch for the post-call webhook, environment for TRUNKGATE_API_KEY.
   */
  services?: Pick<GatewayServicesOptions, 'media' | 'outboundMedia' | 'dns' | 'fetch' | 'env' | 'inbound'>
  /**
   * AI calls (what the CLI runs): the server builds the media engine, the engine link and, without
   * engine.address, the embedded demo engine from the config, and uses them as the call layer.
   * Ignored when callHandler is given. `fetch` reaches the pre-call webhook (tests).
   */
  aiCalls?: boolean | { fetch?: typeof fetch }
}

export interface RunningServer {
  config: TrunkgateConfig
  agent: SipAgent
  transport: TransportLayer
  policy: InboundPolicy
  /** Bound listening ports (the real ones when the config asked for port 0). */
  ports: { udp?: number; tcp?: number; tls?: number }
  /** host:port/transport lines for the startup log. */
  listening: Array<{ transport: TransportName; host: string; port: number }>
  /** Calls holding a capacity slot: routed INVITEs not yet finished, and confirmed dialogs. */
  activeCalls: () => number
  /** Call records, metrics, the outbound dialler and the control API (issue 5). */
  services: GatewayServices
  /** Registrations to carriers (trunks[].register): state per trunk. */
  registrations: TrunkRegistrations
  /** The AI call layer when opts.aiCalls built it (media engine, engine link, demo engine, call records). */
  aiCalls: AiCallStack | null
  /** Drain and shutdown (issue 15): 503 to new calls, wait for the live ones, then BYE with a Reason. */
  drain: DrainController
  /** Ends every call still up (records committed), then closes the services, the agent and the transport. */
  close: () => Promise<void>
}

interface AdmittedInvite {
  trunk: TrunkConfig
  route: CallRoute
  authUser: string | null
  /** Set once the call layer answers: from then on the dialog's end frees the slot. */
  answering: boolean
  release: () => void
}

export async function startServer (config: TrunkgateConfig, opts: StartServerOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? rootLogger.child({}, { level: config.log.level })
  const aiCalls = opts.aiCalls && !opts.callHandler
    ? await createAiCallStack(config, { logger, fetch: typeof opts.aiCalls === 'object' ? opts.aiCalls.fetch : undefined })
    : null
  // SIP tracing (log.sip_trace, level trace, hep): every message on the wire, each call's quality report.
  const tracer = new SipTracer({ logger, sipTrace: config.log.sip_trace, hep: config.hep })
  const transport = new TransportLayer({ ...transportOptions(config), trace: tracer }, logger)
  try {
    await transport.listen()
  } catch (err) {
    tracer.close()
    await aiCalls?.close()
    throw err
  }

  const policy = new InboundPolicy(config, {
    logger,
    authenticator: opts.authenticator ?? new DigestAuthenticator({
      onBlocked: source => logger.warn({ source, code: 'SIP_ERR_AUTH_BLOCKED' }, 'too many digest failures: source blocked')
    })
  })
  const proxies = new TrustedProxies(config.sip.trusted_proxies)
  const router = new CallRouter(config)
  const callHandler = opts.callHandler ?? aiCalls?.handler ?? new StaticAnswerCallHandler()
  const admitted = new WeakMap<SipRequest, AdmittedInvite>()
  let active = 0

  let services: GatewayServices | null = null
  const drain = new DrainController({
    activeCalls: () => active + (services?.dialler.activeCount() ?? 0),
    hangupAll: cause => {
      aiCalls?.handler.close(cause)
      void services?.dialler.close()
    },
    acceptOutbound: accept => services?.dialler.acceptNewCalls(accept)
  }, {
    drainTimeoutS: config.shutdown.drain_timeout_s,
    retryAfterS: config.sip.retryAfterSeconds,
    logger,
    // Without the AI call layer nothing here can end an answered call (tests' static answers).
    hangupGraceMs: aiCalls ? 10000 : 0
  })
  const st = config.sip.sessionTimer
  // The agent gets a sender without 'message' events: requests pass the silent-drop screen first,
  // so a dropped source gets nothing at all, not even 100 Trying.
  const sender = {
    send: (msg: SipMessage, target: SendTarget) => { services?.countSent(msg); return transport.send(msg, target) },
    localAddressFor: (t: TransportName) => transport.localAddressFor(t)
  }
  const agent = new SipAgent({
    transport: sender,
    logger,
    sessionTimer: st.enabled ? { sessionExpires: st.sessionExpires, minSE: st.minSE } : false,
    preRequest: (req, res) => {
      try {
        applyPolicy(req, res)
      } catch (err) {
        if (!(err instanceof SipError)) throw err
        answerError(res, err, req)
      }
    }
  })

  // Conference transfers dial the human through the same SIP agent (src/transfer).
  // Its trunk targets resolve like the outbound dialler's (same DNS, RFC 3263 failover).
  if (aiCalls) aiCalls.handler.useHumanDialer(sipHumanDialer(agent, aiCalls.media, { resolver: new SipResolver({ dns: opts.services?.dns }) }))

  transport.on('message', (msg: SipMessage, source: TransportSource) => {
    if (msg.kind === 'request') {
      let screened: PolicySource | null = null
      try {
        screened = policySourceOf(msg, source)
      } catch (err) {
        if (!(err instanceof SipError)) throw err
        // A bad source header from a trusted proxy: applyPolicy answers it with 400.
      }
      if (screened && !isProxyProbe(msg, screened) && policy.screen(msg, screened)) return
    }
    agent.receive(msg, source)
  })

  /** The carrier's address (from a trusted proxy's header) or the peer's; TLS facts only for a direct peer. */
  function policySourceOf (req: SipRequest, source: TransportSource): PolicySource {
    const carrier = proxies.resolve(req, source.transport, source.remoteAddress)
    if (carrier.viaProxy !== null) return { transport: carrier.transport, remoteAddress: carrier.remoteAddress }
    return {
      transport: source.transport,
      remoteAddress: source.remoteAddress,
      tlsPeerCertificate: source.tlsPeerCertificate,
      tlsAuthorized: source.tlsAuthorized
    }
  }

  /**
   * A trusted proxy's own OPTIONS (its dispatcher probe: no carrier header, no dialog) is answered
   * without trunk ACLs: the proxy needs no trunk, and its probe must see 200 or the drain's 503.
   */
  function isProxyProbe (req: SipRequest, source: PolicySource): boolean {
    if (req.method !== 'OPTIONS' || !proxies.trusts(source.remoteAddress)) return false
    if (req.headers.some(h => h.name.toLowerCase() === 'x-trunkgate-source')) return false
    try {
      return !getTo(req).params.get('tag')
    } catch {
      return false // a broken To is answered by the layers that parse it
    }
  }

  function applyPolicy (req: IncomingRequest, res: ServerResponse): void {
    const source = req.source as TransportSource
    const policySource = policySourceOf(req, source)
    if (isProxyProbe(req, policySource)) {
      const draining = drain.refusal('OPTIONS')
      if (draining) throw draining
      return
    }
    const admission = policy.admit(req, policySource)
    if (admission.action === 'drop') {
      res.drop()
      return
    }
    // In-dialog requests belong to their dialog (or get 481 from the UA): nothing to route.
    if (getTo(req).params.get('tag')) return
    const draining = drain.refusal(req.method)
    if (draining) throw draining
    policy.checkRequest(req)
    if (req.method !== 'INVITE') return
    const route = router.route(req, admission.trunk)
    // Outbound calls (issue 5) hold slots of the same sip.maxConcurrentCalls.
    policy.checkCapacity(active + (services?.dialler.activeCount() ?? 0))
    // The slot is taken now, before any await, so a burst of INVITEs cannot overshoot the limit.
    active++
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      active--
      drain.callReleased()
    }
    const ctx: AdmittedInvite = { trunk: admission.trunk, route, authUser: admission.authUser, answering: false, release }
    admitted.set(req, ctx)
    // Slot accounting starts here, not in the 'invite' listener: the UA may still refuse the request
    // after this hook. A final non-2xx, a CANCEL (the 487 comes from the transaction layer) or a
    // transaction that ends unanswered frees the slot; an answered call frees it when its dialog ends.
    res.once('end', (final: { status: number } | null) => { if (!final || final.status >= 300) release() })
    res.once('cancel', release)
    res.tx.once('terminated', () => { if (!ctx.answering) release() })
  }

  function answerError (res: ServerResponse, err: SipError, req: SipRequest): void {
    logger.info({ callId: getHeader(req, 'Call-ID'), method: req.method, status: err.status, code: err.code, detail: err.message },
      'request rejected')
    res.send(err.status, err.reason, { headers: err.headers })
  }

  // An INVITE without offer gets our offer in the 200 and the answer in the ACK (RFC 3264 §5,
  // RFC 3261 §13.2.1). The UA resolves the dialog on that ACK without its body, so the body is
  // picked up here, by Call-ID and CSeq, and put into the dialog before the call layer sees it.
  const ackAnswers = new Map<string, (ack: SipRequest) => void>()
  agent.transactions.on('ack', (ack: SipRequest) => {
    if (ackAnswers.size === 0 || ack.body.length === 0) return
    const key = `${getHeader(ack, 'Call-ID') ?? ''} ${getCSeqNumber(ack)}`
    ackAnswers.get(key)?.(ack)
  })

  agent.on('options', (_req: IncomingRequest, res: ServerResponse) => {
    res.send(200, 'OK', { headers: policy.optionsHeaders() })
  })

  agent.on('invite', (req: IncomingRequest, res: ServerResponse) => {
    const ctx = admitted.get(req)
    if (!ctx) {
      // Cannot happen with the preRequest hook installed; answer rather than hang the caller.
      res.send(500, 'Server Internal Error')
      return
    }
    admitted.delete(req)
    dispatchInvite(req, res, ctx).catch(err => {
      logger.error({ err, callId: getHeader(req, 'Call-ID') }, 'call handler failed')
      if (!res.finished) res.send(500, 'Server Internal Error')
      ctx.release()
    })
  })

  async function dispatchInvite (req: IncomingRequest, res: ServerResponse, ctx: AdmittedInvite): Promise<void> {
    const source = req.source as TransportSource
    const callLog = logger.child({ callId: getHeader(req, 'Call-ID'), trunk: ctx.trunk.name, number: ctx.route.phoneNumber })
    const mediaPolicy: MediaPolicy = {
      mediaEncryption: ctx.trunk.media_encryption,
      allowSdesOverTcp: ctx.trunk.allow_sdes_over_tcp,
      signallingTransport: source.transport,
      ...(ctx.trunk.codecs !== undefined ? { codecs: ctx.trunk.codecs } : {})
    }
    const call: RoutedInvite = {
      req,
      res,
      trunk: ctx.trunk,
      phoneNumber: ctx.route.phoneNumber,
      agentId: ctx.route.agentId,
      agent: ctx.route.agent,
      authUser: ctx.authUser,
      sdpOffer: readOffer(req),
      mediaPolicy,
      mediaAddress: config.sip.advertise?.host ?? unmapIpv4(source.localAddress),
      logger: callLog,
      get canceled () { return req.canceled },
      ringing: (o = {}) => {
        if (res.finished) return
        res.send(o.status ?? 180, undefined, o.sdp ? { body: o.sdp } : {})
      },
      answer: async (localSdp: string, answerOpts: { onDialog?: (dialog: Dialog) => void } = {}): Promise<Dialog> => {
        ctx.answering = true
        const offerless = req.body.length === 0
        const ackKey = `${getHeader(req, 'Call-ID') ?? ''} ${getCSeqNumber(req)}`
        let ackSdp: string | null = null
        if (offerless) ackAnswers.set(ackKey, ack => { ackSdp = ack.body.toString() })
        try {
          const dialog = await agent.createUAS(req, res, {
            localSdp,
            onDialog: (d: Dialog) => {
              answerOpts.onDialog?.(d)
              // Attached when the dialog is created, not after the await: a BYE right behind the ACK (same
              // TCP read) terminates the dialog before the answer resolves. Deferred to a microtask because
              // the dialog emits 'terminated' before 'destroy' (the BYE the call ends on), and the call
              // commits its record there: the slot is freed only once that record is durable (issue 5).
              d.once('terminated', () => queueMicrotask(ctx.release))
            }
          })
          if (offerless && ackSdp !== null && dialog.remoteSdp === undefined) dialog.remoteSdp = ackSdp
          callLog.info({ dialog: dialog.id }, 'call answered')
          return dialog
        } catch (err) {
          ctx.release()
          throw err
        } finally {
          if (offerless) ackAnswers.delete(ackKey)
        }
      },
      reject: (err) => {
        res.send(err.status, err.reason, { headers: err.headers })
      }
    }
    const carrier = proxies.resolve(req, source.transport, source.remoteAddress)
    callLog.info({ agent: ctx.route.agentId, from: getHeader(req, 'From'), source: carrier.remoteAddress, ...(carrier.viaProxy ? { proxy: carrier.viaProxy } : {}) }, 'call routed')
    await callHandler.handleInvite(call)
  }

  let registrations: TrunkRegistrations | null = null
  const ports: RunningServer['ports'] = {}
  const listening: RunningServer['listening'] = []
  for (const t of ['udp', 'tcp', 'tls'] as const) {
    const listen = config.sip.listen[t]
    if (!listen) continue
    // localAddressFor gives the advertised port when one is configured; the bound one otherwise.
    const adv = config.sip.advertise
    const advertisedPort = t === 'tls' ? adv?.tlsPort : t === 'udp' ? (adv?.udpPort ?? adv?.port) : adv?.port
    const port = advertisedPort === undefined ? transport.localAddressFor(t).port : listen.port
    ports[t] = port
    listening.push({ transport: t, host: listen.host, port })
  }

  try {
    services = await startGatewayServices({ config, agent, transport, logger, trunks: () => config.trunks.map(tr => ({ name: tr.name, registration: registrations?.all().find(r => r.trunk === tr.name) ?? null })), inboundActive: () => active, drain, media: aiCalls?.media ?? null, engine: aiCalls?.engine ?? null, inboundCalls: aiCalls?.handler ?? null, onCallEnded: rec => tracer.callEnded(rec), ...opts.services })
  } catch (err) {
    tracer.close()
    await aiCalls?.close()
    agent.close()
    await transport.close()
    throw err
  }
  const gateway = services
  // Registrations to carriers (trunks[].register) once the listeners and services are up.
  registrations = startTrunkRegistrations(config, agent, opts.services?.env ?? process.env, logger)
  gateway.metrics.observeRegistrations(registrations.all)
  const keepalives = startTrunkKeepalives(config, agent, logger)
  gateway.metrics.observeTrunkHealth(keepalives.all)
  let closed = false
  return {
    config,
    agent,
    transport,
    policy,
    ports,
    listening,
    activeCalls: () => active,
    services: gateway,
    registrations,
    aiCalls,
    drain,
    close: async () => {
      if (closed) return
      closed = true
      // Calls end while the store is open: each commits its record before it releases its slot (issue 15:
      // closing the store first lost the records of the calls still up).
      await drain.shutdown('close', { timeoutS: 0 })
      // Outbound calls end (records committed) while the SIP stack can still send their CANCEL/BYE.
      await gateway.close()
      // RFC 3261 §10.2.2: remove our bindings while the transport can still send the REGISTERs.
      keepalives.stop()
      await registrations.stop()
      // Calls first: their BYEs still need the agent and the transport.
      await aiCalls?.close()
      agent.close()
      await transport.close()
      tracer.close()
    }
  }
}

function transportOptions (config: TrunkgateConfig): TransportOptions {
  const { listen, limits, advertise } = config.sip
  const wantsClientCert = config.trunks.some(t => t.inbound.requireClientCert)
  return {
    udp: listen.udp ? { host: listen.udp.host, port: listen.udp.port } : undefined,
    tcp: listen.tcp ? { host: listen.tcp.host, port: listen.tcp.port } : undefined,
    tls: listen.tls
      ? {
          host: listen.tls.host,
          port: listen.tls.port,
          certFile: listen.tls.cert,
          keyFile: listen.tls.key,
          caFile: listen.tls.ca,
          // Ask for a certificate but let the per-trunk policy decide (a TLS trunk without
          // requireClientCert must still connect), hence rejectUnauthorized false.
          requestCert: wantsClientCert,
          rejectUnauthorized: false
        }
      : undefined,
    advertise: advertise ? { host: advertise.host, port: advertise.port, tlsPort: advertise.tlsPort, udpPort: advertise.udpPort } : undefined,
    limits: { ...limits }
  }
}

/** The offer, wherever it is in the body; a parse failure is kept for the handler to answer (488/400). */
function readOffer (req: SipRequest): SdpOffer | null {
  if (req.body.length === 0) return null
  const raw = findSdp(getHeader(req, 'Content-Type') ?? '', req.body)
  if (!raw) return null
  try {
    return { raw, parsed: parseSdp(raw), error: null }
  } catch (err) {
    if (err instanceof SipError) return { raw, parsed: null, error: err }
    return { raw, parsed: null, error: new SipError(488, 'Not Acceptable Here', 'SIP_ERR_SDP_INVALID', { detail: (err as Error).message }) }
  }
}

function unmapIpv4 (address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/** The CSeq sequence number, or -1 when the header is unreadable (the UA has answered that already). */
function getCSeqNumber (msg: SipMessage): number {
  try {
    return getCSeq(msg).seq
  } catch {
    return -1
  }
}
