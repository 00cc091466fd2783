// The human's leg of a conference transfer: an INVITE through the agent's outbound trunk (address,
// transport, digest credentials, its static custom headers) carrying X-CALL-ID / X-CALLER-ID of the
// original call, with our own media leg offering first (RFC 3264 §5).
import { isIP } from 'node:net'
import type { TrunkConfig } from '../config'
import { parseTrunkAddress } from '../config'
import type { MediaEngine } from '../media/media-engine'
import type { Dialog } from '../sip/dialog/dialog'
import type { HeaderField, SipResponse } from '../sip/message/types'
import type { SipAgent } from '../sip/ua/sip-agent'
import { CallMedia } from '../call/call-media'
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

/** Dials through `agent` with a new leg from `media`. */
export function sipHumanDialer (agent: SipAgent, media: MediaEngine): HumanDialer {
  return async (req) => {
    const headers: HeaderField[] = [{ name: 'X-CALL-ID', value: req.callId }, { name: 'X-CALLER-ID', value: req.callerId }, ...(req.extraHeaders ?? [])]
    if (req.uri !== undefined) return await dial(agent, media, req, req.uri, headers, null)
    const out = req.trunk.outbound
    if (!out) throw new HumanDialError(0, 'No Outbound Trunk', `trunk ${req.trunk.name} has no outbound settings to call ${req.number} through`)
    const addr = parseTrunkAddress(out.address, `trunks.${req.trunk.name}.outbound.address`)
    const port = addr.port ?? out.port ?? (out.transport === 'tls' ? 5061 : 5060)
    const host = isIP(addr.host) === 6 ? `[${addr.host}]` : addr.host
    const uri = out.transport === 'tls' ? `sips:${req.number}@${host}:${port}` : `sip:${req.number}@${host}:${port};transport=tcp`
    for (const h of out.headers) {
      // Templated headers need the outbound call's dynamic variables, which a transfer does not have.
      if (h.value.includes('{{')) { req.log.info({ header: h.name }, 'templated trunk header left out of the transfer INVITE'); continue }
      headers.push({ name: h.name, value: h.value })
    }
    return await dial(agent, media, req, uri, headers, {
      transport: out.transport, auth: out.auth, mediaEncryption: out.media_encryption,
      target: isIP(addr.host) !== 0 ? { transport: out.transport, host: addr.host, port } : undefined
    })
  }
}

interface TrunkRoute {
  transport: 'tcp' | 'tls'
  auth?: { username: string, password: string }
  mediaEncryption: 'disabled' | 'allowed' | 'required'
  target?: { transport: 'tcp' | 'tls', host: string, port: number }
}

/** One INVITE with a fresh media leg; route null: straight to the URI (resolved by the UA, RFC 3263). */
async function dial (agent: SipAgent, media: MediaEngine, req: HumanDialRequest, uri: string, headers: HeaderField[], route: TrunkRoute | null): Promise<HumanLeg> {
  const transport = route?.transport ?? (/^sips:/i.test(uri) || /;transport=tls/i.test(uri) ? 'tls' : 'tcp')
  const legMedia = new CallMedia({
    media,
    policy: { mediaEncryption: route?.mediaEncryption ?? req.trunk.media_encryption, allowSdesOverTcp: req.trunk.allow_sdes_over_tcp, signallingTransport: transport, supportedSuites: supportedSrtpSuites() },
    fallbackAddress: req.mediaAddress,
    rtcpMux: false,
    legOptions: { frames: req.frames ?? false },
    log: req.log
  })
  let dialog: Dialog
  try {
    dialog = await agent.createUAC(uri, {
      localSdp: legMedia.initialDescription(null),
      headers,
      auth: route?.auth,
      target: route?.target,
      callingNumber: req.callerId,
      ringTimeoutMs: req.ringTimeoutMs,
      onProvisional: req.onProvisional
    })
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
