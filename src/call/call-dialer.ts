// The human's leg of a conference transfer: an INVITE through the agent's outbound trunk (address,
// transport, digest credentials, its custom headers — templated ones rendered from the original call's
// dynamic variables, as outbound calls render theirs) carrying X-CALL-ID / X-CALLER-ID of the original
// call, with our own media leg offering first (RFC 3264 §5). The trunk's address is resolved and failed
// over exactly as for outbound calls (RFC 3263 §4: SipResolver + inviteWithFailover, src/trunk).
import type { MediaEngine } from '../media/media-engine'
import type { Dialog } from '../sip/dialog/dialog'
import type { HeaderField } from '../sip/message/types'
import type { SipAgent } from '../sip/ua/sip-agent'
import { CallMedia } from './call-media'
import { HumanDialError, type HumanDialer, type HumanDialRequest, type HumanLeg } from '../transfer/human-dialer'
import { HeaderTemplateError, renderHeaders } from '../trunk/header-template'
import { inviteWithFailover, type PendingInvite } from '../trunk/invite-failover'
import { SipResolver, type SipTarget } from '../trunk/sip-resolver'
import { trunkAddress, trunkUri } from '../trunk/trunk-uri'
import { supportedSrtpSuites } from '../media/dsp'

export interface HumanDialerOptions {
  /** RFC 3263 resolution of the trunk address (the same resolver kind the outbound dialler uses). */
  resolver?: SipResolver
  /** For the ring timeout across failover attempts (tests inject their own). */
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (h: unknown) => void }
}

/** Dials through `agent` with a new leg from `media`. */
export function sipHumanDialer (agent: SipAgent, media: MediaEngine, opts: HumanDialerOptions = {}): HumanDialer<CallMedia> {
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
    const addr = trunkAddress(req.trunk) as NonNullable<ReturnType<typeof trunkAddress>>
    const uri = trunkUri(req.number, req.trunk) as string
    let targets: SipTarget[]
    try {
      targets = await resolver.resolve(addr.host, addr.port, addr.transport, out.max_targets)
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
async function dial (agent: SipAgent, media: MediaEngine, req: HumanDialRequest, uri: string, headers: HeaderField[], route: TrunkRoute | null): Promise<HumanLeg<CallMedia>> {
  const transport = route?.transport ?? (/^sips:/i.test(uri) || /;transport=tls/i.test(uri) ? 'tls' : /;transport=udp/i.test(uri) ? 'udp' : 'tcp')
  const legMedia = new CallMedia({
    media,
    policy: { mediaEncryption: route?.mediaEncryption ?? req.trunk.media_encryption, allowSdesOverTcp: req.trunk.allow_sdes_over_tcp, signallingTransport: transport, supportedSuites: supportedSrtpSuites(), ...(req.trunk.codecs !== undefined ? { codecs: req.trunk.codecs } : {}) },
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
