// The media side of an outbound call behind one interface, so the lifecycle (outbound-call.ts) does not
// care whether RTP flows through the native core or the call is signalling only (no media engine: tests
// of trunk behaviour, dry runs). The engine stream plugs in through `ringing`/`answered` (issue 4's call
// layer); without it the leg is set up and DTMF and statistics work, but nobody talks.
import type { TrunkConfig } from '../config'
import type { Logger } from '../log'
import { inbandDtmfWanted, type InbandDtmfMode, type Leg, type MediaEngine } from '../media/media-engine'
import { supportedSrtpSuites } from '../media/dsp'
import type { TransferOutcome } from '../records'
import type { Dialog } from '../sip/dialog/dialog'
import type { RtpReceiveStats } from '../records/media-quality'
import { parseSdp, SdpSession, type MediaPolicy, type NegotiatedAudio } from '../sdp'
import { SipError } from '../sip/sip-error'

export interface OutboundMedia {
  /** Our SDP offer for the INVITE (RFC 3264 §5). Throws SipError 488 when the policy forbids any offer. */
  offer: () => string
  /** The far end rings (1xx): tell the engine. */
  ringing: () => void
  /** The 2xx answer (RFC 3264 §6): start media. Throws SipError 488 when the answer does not fit the offer. */
  answered: (remoteSdp: string) => NegotiatedAudio | null
  /** RFC 4733 (or in-band when no telephone-event was negotiated); resolves once sent. */
  sendDtmf: (digits: string) => Promise<void>
  stats: () => RtpReceiveStats | null
  ptimeMs: () => number
  /** After the record is committed; `end` tells an engine stream how the call ended. */
  close: (end?: { side: 'local' | 'remote' | 'system', cause: string, sipStatus: number | null }) => void
  /** The RTP leg, when media runs through the native core (the engine side attaches to it). */
  readonly leg?: Leg
  /** The call's dialog is confirmed (2xx ACKed): transfers may REFER in it. */
  connected?: (dialog: Dialog) => void
  /**
   * A transfer_to_number in progress settles (its outcome recorded, the call ended if it succeeded);
   * null when none runs. A successful REFER ends the dialog itself (RFC 5589 §6) before that.
   */
  pendingTransfer?: () => Promise<void> | null
}

export interface OutboundMediaContext {
  conversationId: string
  policy: MediaPolicy
  /** Our address for SDP when the leg is bound to a wildcard. */
  mediaAddress: string
  /** In-band DTMF detection (trunk `dtmf_inband`); default 'auto': only without RFC 4733. */
  inbandDtmf?: InbandDtmfMode
  log: Logger
  /** Who is called for whom (the engine's Start message). */
  call?: {
    agentId: string
    fromNumber: string
    to: string
    dynamicVariables: Record<string, string | number | boolean>
    overrides: { prompt?: string, first_message?: string, language?: string, voice_id?: string }
  }
  /** The engine side ends the call (engine hang-up, end_call, voicemail, engine failure). */
  hangup?: (reason: { cause: string, voicemail?: boolean }) => void
  /** The trunk the call goes through (transfer_to_number dials the human through it). */
  trunk?: TrunkConfig
  /** A transfer_to_number attempt ended (the call record keeps the last one). */
  transfer?: (outcome: TransferOutcome) => void
}

export type OutboundMediaFactory = (ctx: OutboundMediaContext) => OutboundMedia

const PTIMES = new Set([10, 20, 30, 40])
const DTMF_TIMEOUT_MS = 30000

/** RTP through the native media core: one Leg, negotiated by an SdpSession. */
export function legMediaFactory (media: MediaEngine): OutboundMediaFactory {
  return (ctx) => new LegOutboundMedia(media, ctx)
}

class LegOutboundMedia implements OutboundMedia {
  readonly leg: Leg
  private readonly session: SdpSession
  private negotiated: NegotiatedAudio | null = null

  constructor (media: MediaEngine, private readonly ctx: OutboundMediaContext) {
    this.leg = media.createLeg({ symmetric: true, inbandDtmf: true })
    const own = this.leg.localAddress
    const address = own === '0.0.0.0' || own === '::' || own === '' ? ctx.mediaAddress : own
    // The leg's SRTP runs in the native core: offer every suite it has (GCM first), not the RFC 4568 baseline.
    const policy = { ...ctx.policy, supportedSuites: ctx.policy.supportedSuites ?? supportedSrtpSuites() }
    this.session = new SdpSession(policy, { address, port: this.leg.localPort }, { log: ctx.log })
  }

  offer (): string { return this.session.offer().sdp }
  ringing (): void { /* engine seam: reported by the call layer when attached */ }

  answered (remoteSdp: string): NegotiatedAudio {
    let parsed
    try {
      parsed = parseSdp(Buffer.from(remoteSdp))
    } catch (err) {
      throw err instanceof SipError ? err : new SipError(488, 'Not Acceptable Here', 'SIP_ERR_SDP_INVALID', { detail: String(err) })
    }
    const n = this.session.acceptAnswer(parsed)
    const ptime = PTIMES.has(n.ptime) ? n.ptime as 10 | 20 | 30 | 40 : 20
    this.leg.setCodec({ name: n.codec.name, payloadType: n.payloadType, telephoneEventPayloadType: n.telephoneEvent?.payloadType ?? null, ptime, encoder: n.encoder })
    this.leg.setRemote(n.remote.address, n.remote.port, n.rtcpMux ? { rtcpMux: true } : { rtcpAddress: n.remote.rtcpAddress, rtcpPort: n.remote.rtcpPort })
    this.leg.setSrtp(n.srtp ? { suite: n.srtp.suite, localKey: n.srtp.localKeySalt, remoteKey: n.srtp.remoteKeySalt } : null)
    this.leg.setDirection(n.direction)
    this.leg.setInbandDtmf(inbandDtmfWanted(this.ctx.inbandDtmf ?? 'auto', n.telephoneEvent !== null))
    this.negotiated = n
    this.ctx.log.info({ codec: n.codec.name, srtp: n.srtp?.suite ?? null, remote: n.remote }, 'outbound media up')
    return n
  }

  sendDtmf (digits: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => { clearTimeout(timer); this.leg.off('dtmfDone', done); resolve() }
      const timer = setTimeout(() => { this.leg.off('dtmfDone', done); reject(new Error('MEDIA_ERR_DTMF_TIMEOUT: digits not sent in time')) }, DTMF_TIMEOUT_MS)
      this.leg.on('dtmfDone', done)
      try {
        this.leg.sendDtmf(digits)
      } catch (err) {
        clearTimeout(timer)
        this.leg.off('dtmfDone', done)
        reject(err)
      }
    })
  }

  stats (): RtpReceiveStats | null {
    if (this.leg.isClosed) return null
    const s = this.leg.stats()
    return { packetsReceived: s.packetsReceived, packetsSent: s.packetsSent, packetsLost: s.packetsLost, jitterMs: s.jitterMs, rttMs: s.rttMs }
  }

  ptimeMs (): number { return this.negotiated?.ptime ?? 20 }
  close (): void { this.leg.close() }
}

/**
 * No media engine: a fixed offer (the trunk's codecs and encryption policy) whose answer is checked the
 * same way, but no RTP flows. DTMF cannot be sent.
 */
export function signallingOnlyFactory (rtpPort = 40000): OutboundMediaFactory {
  return (ctx) => {
    const session = new SdpSession(ctx.policy, { address: ctx.mediaAddress, port: rtpPort }, { log: ctx.log })
    let negotiated: NegotiatedAudio | null = null
    return {
      offer: () => session.offer().sdp,
      ringing: () => undefined,
      answered: (remoteSdp) => {
        negotiated = session.acceptAnswer(parseSdp(Buffer.from(remoteSdp)))
        return negotiated
      },
      sendDtmf: async () => { throw new SipError(409, 'Conflict', 'OUTBOUND_ERR_NO_MEDIA', { detail: 'this gateway runs without a media engine: no DTMF' }) },
      stats: () => null,
      ptimeMs: () => negotiated?.ptime ?? 20,
      close: () => undefined
    }
  }
}
