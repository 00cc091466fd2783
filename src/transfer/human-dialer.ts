// The human's leg of a conference transfer: an INVITE through the agent's outbound trunk (address,
// transport, digest credentials, its custom headers — templated ones rendered from the original call's
// dynamic variables, as outbound calls render theirs) carrying X-CALL-ID / X-CALLER-ID of the original
// call, with our own media leg offering first (RFC 3264 §5). The trunk's address is resolved and failed
// over exactly as for outbound calls (RFC 3263 §4: SipResolver + inviteWithFailover, src/outbound).
import { isIP } from 'node:net'
import type { TrunkConfig } from '../config'
import { parseTrunkAddress } from '../config'
import type { MediaEngine } from '../media/media-engine'
import type { Dialog } from '../sip/dialog/dialog'
import type { HeaderField, SipResponse } from '../sip/message/types'
import type { SipAgent } from '../sip/ua/sip-agent'
import { CallMedia } from '../call/call-media'
import { HeaderTemplateError, renderHeaders, type VariableValue } from '../outbound/header-template'
import { inviteWithFailover, type PendingInvite } from '../outbound/invite-failover'
import { SipResolver, type SipTarget } from '../outbound/sip-resolver'
import { supportedSrtpSuites } from '../media/dsp'
import type { Logger } from '../log'

export interface HumanLeg { dialog: Dialog, media: CallMedia }

export interface HumanDialRequest {
  number: string
  /**
   * Dial this URI directly instead of the number at the trunk's outbound address (incoming REFER:
   * the Refer-To target); media rules then come from the trunk's own media_encryption.
   */
  uri?: string
  /** Header fields to add (Referred-By for a referred INVITE, RFC 3892 §3). */
  extraHeaders?: HeaderField[]
  /** The leg's audio goes to JS (the engine talks to this party) — off for a leg only ever bridged. */
  frames?: boolean
  trunk: TrunkConfig
  /** X-CALL-ID / X-CALLER-ID of the original call (seed: passed on to the transfer destination). */
  callId: string
  callerId: string
  /**
   * The original call's dynamic variables (custom, secret__ and system__, as the engine got them in
   * Start): the trunk's templated headers ("X-Customer: {{customer_id}}") are rendered from them.
   */
  dynamicVariables?: Readonly<Record<string, VariableValue>>
  ringTimeoutMs: number
  /** Our RTP address for SDP when the leg binds a wildcard (the call's own media address). */
  mediaAddress: string
  onProvisional: (res: SipResponse) => void
  log: Logger
}

/** A failed dial: the final status (486 busy, 487 after our ring-timeout CANCEL, 408/480 no answer …). */
export class HumanDialError extends Error {
  readonly status: number
  readonly reason: string
  constructor (status: number, reason: string, detail: string) {
    super(detail)
    this.status = status
    this.reason = reason
  }
}

export type HumanDialer = (req: HumanDialRequest) => Promise<HumanLeg>

export interface HumanDialerOptions {
  /** RFC 3263 resolution of the trunk address (the same resolver kind the outbound dialler uses). */
  resolver?: SipResolver
  /** For the ring timeout across failover attempts (tests inject their own). */
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (h: unknown) => void }
}

/** Dials through `agent` with a new leg from `media`. */
export function sipHumanDialer (agent: SipAgent, media: MediaEngine, opts: HumanDialerOptions = {}): HumanDialer {
  const resolver = opts.resolver ?? new SipResolver()
  const timers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: h => clearTimeout(h as NodeJS.Timeout) }
  return async (req) => {
    const headers: HeaderField[] = [{ name: 'X-CALL-ID', value: req.callId }, { name: 'X-CALLER-ID', value: req.callerId }, ...(req.extraHeaders ?? [])]
    if (req.uri !== undefined) return await dial(agent, media, req, req.uri, headers, null)
    const out = req.trunk.outbound
    if (!out) throw new HumanDialError(0, 'No Outbound Trunk', `trunk ${req.trunk.name} has no outbound settings to call ${req.number} through`)
    try {
      headers.push(...renderHeaders(out.headers, req.dynamicVariables ?? {}))
    } catch (err) {
      if (!(err instanceof HeaderTemplateError)) throw err
      // As for an outbound call: never a literal "{{name}}" nor a CR/LF from a variable on the wire.
      // The message names the variable, never its value (it may be a secret__ one).
      req.log.warn({ code: err.code, variable: err.variable }, 'trunk header not rendered: transfer not dialled')
      throw new HumanDialError(0, err.message, `${err.code}: ${err.message}`)
    }
    const addr = parseTrunkAddress(out.address, `trunks.${req.trunk.name}.outbound.address`)
    const port = addr.port ?? out.port ?? null
    const host = isIP(addr.host) === 6 ? `[${addr.host}]` : addr.host
    const hostport = port === null ? host : `${host}:${port}`
    const uri = out.transport === 'tls' ? `sips:${req.number}@${hostport}` : `sip:${req.number}@${hostport};transport=${out.transport}`
    let targets: SipTarget[]
    try {
      targets = await resolver.resolve(addr.host, port, out.transport, out.max_targets)
    } catch (err) {
      req.log.warn({ err: String(err) }, 'trunk address did not resolve: transfer not dialled')
      throw new HumanDialError(0, 'DNS Failure', `trunk ${req.trunk.name}: ${(err as Error).message}`)
    }
    return await dial(agent, media, req, uri, headers, {
      transport: out.transport, auth: out.auth, mediaEncryption: out.media_encryption, targets, timers
    })
  }
}

interface TrunkRoute {
  transport: 'udp' | 'tcp' | 'tls'
  auth?: { username: string, password: string }
  mediaEncryption: 'disabled' | 'allowed' | 'required'
  /** RFC 3263 targets, tried in order (inviteWithFailover). */
  targets: SipTarget[]
  timers: NonNullable<HumanDialerOptions['timers']>
}

/** One INVITE with a fresh media leg; route null: straight to the URI (resolved by the UA, RFC 3263). */
async function dial (agent: SipAgent, media: MediaEngine, req: HumanDialRequest, uri: string, headers: HeaderField[], route: TrunkRoute | null): Promise<HumanLeg> {
  const transport = route?.transport ?? (/^sips:/i.test(uri) || /;transport=tls/i.test(uri) ? 'tls' : 'tcp')
  const legMedia = new CallMedia({
    media,
    policy: {
      mediaEncryption: route?.mediaEncryption ?? req.trunk.media_encryption,
      allowSdesOverTcp: req.trunk.allow_sdes_over_tcp,
      signallingTransport: transport,
      supportedSuites: supportedSrtpSuites(),
      ...(req.trunk.codecs !== undefined ? { codecs: req.trunk.codecs } : {})
    },
    fallbackAddress: req.mediaAddress,
    rtcpMux: false,
    legOptions: { frames: req.frames ?? false },
    log: req.log
  })
  let dialog: Dialog
  try {
    const invite = { localSdp: legMedia.initialDescription(null), headers, callingNumber: req.callerId, onProvisional: req.onProvisional }
    dialog = route === null
      ? await agent.createUAC(uri, { ...invite, ringTimeoutMs: req.ringTimeoutMs })
      : await dialTargets(agent, uri, { ...invite, auth: route.auth }, route, req)
  } catch (err) {
    legMedia.close()
    const e = err as { status?: number, reason?: string, message: string }
    throw new HumanDialError(e.status ?? 0, e.reason ?? 'Failed', e.message)
  }
  try {
    legMedia.acceptAckAnswer(Buffer.from(dialog.remoteSdp ?? ''))
  } catch (err) {
    legMedia.close()
    void dialog.destroy().catch(() => null)
    throw new HumanDialError(488, 'Not Acceptable Here', `the human's SDP answer is unusable: ${(err as Error).message}`)
  }
  return { dialog, media: legMedia }
}

/**
 * The trunk's targets in turn (RFC 3263 §4.3), with ring_timeout_ms bounding the whole dial rather than
 * each attempt: at the timeout the INVITE in flight is canceled (487) and no next target is tried.
 */
async function dialTargets (agent: SipAgent, uri: string, invite: Parameters<typeof inviteWithFailover>[0]['invite'], route: TrunkRoute, req: HumanDialRequest): Promise<Dialog> {
  let current: PendingInvite | null = null
  let timedOut = false
  // No bound when ring_timeout_ms is not positive (createUAC's own rule).
  const timer = req.ringTimeoutMs > 0 ? route.timers.setTimeout(() => { timedOut = true; current?.cancel() }, req.ringTimeoutMs) : null
  try {
    return await inviteWithFailover({
      agent,
      requestUri: uri,
      targets: route.targets,
      invite,
      onAttempt: uac => { current = uac },
      canceled: () => timedOut,
      log: req.log
    })
  } finally {
    if (timer !== null) route.timers.clearTimeout(timer)
  }
}
