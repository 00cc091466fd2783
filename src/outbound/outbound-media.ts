// The media side of an outbound call behind one interface, so the lifecycle (outbound-call.ts) does not
// care whether RTP flows through the native core or the call is signalling only (no media engine: tests
// of trunk behaviour, dry runs). The engine stream plugs in through `ringing`/`answered` (issue 4's call
// layer); without it the leg is set up and DTMF and statistics work, but nobody talks.
import type { TrunkConfig } from '../config'
import type { Logger } from '../log'
import type { InbandDtmfMode, Leg, MediaEngine } from '../media/media-engine'
import { supportedSrtpSuites } from '../media/dsp'
import { CallMedia } from '../call/call-media'
import { CallDialogEvents } from '../call/ai-call-dialog-events'
import type { CallRecordUpdate, TransferOutcome } from '../records'
import type { TransferAttempt } from '../call/call-control'
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
  /** Control API transfer through the call's transfer code (agent's rules); present when the engine side runs. */
  transferTo?: (to: string, type?: 'conference' | 'sip_refer') => Promise<TransferAttempt>
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
  /** Live record facts of the engine side (tools called, DTMF received), as inbound records carry them. */
  record?: (update: Pick<CallRecordUpdate, 'toolsCalled' | 'dtmfReceived'>) => void
  /** Keys sent to the callee by a tool (play_keypad_touch_tone), counted with the API's in dtmfSent. */
  digitsSent?: (count: number) => void
}

export type OutboundMediaFactory = (ctx: OutboundMediaContext) => OutboundMedia

/** RTP through the native media core: the same CallMedia (leg + SdpSession) as inbound calls. */
export function legMediaFactory (media: MediaEngine): OutboundMediaFactory {
  return (ctx) => new LegOutboundMedia(media, ctx)
}

/**
 * The callee's leg. Once the dialog is confirmed its in-dialog requests are handled exactly as on an
 * inbound call (CallDialogEvents): re-INVITE / UPDATE offers move the leg (new address, keys, codec,
 * hold), INFO DTMF is reported through onDigit.
 */
export class LegOutboundMedia implements OutboundMedia {
  readonly media: CallMedia
  /** INFO digits (RFC 4733 and in-band ones come from the leg's 'dtmf' event). */
  onDigit: ((digit: string, durationMs: number) => void) | null = null
  /** The callee put the call on hold or resumed it. */
  onHoldChanged: ((held: boolean) => void) | null = null
  private dialog: Dialog | null = null
  private closed = false

  constructor (engine: MediaEngine, private readonly ctx: OutboundMediaContext) {
    this.media = new CallMedia({
      media: engine,
      policy: { ...ctx.policy, supportedSuites: supportedSrtpSuites() },
      fallbackAddress: ctx.mediaAddress,
      rtcpMux: false,
      inbandDtmf: ctx.inbandDtmf,
      log: ctx.log
    })
  }

  get leg (): Leg { return this.media.leg }
  get held (): boolean { return this.media.held }

  offer (): string { return this.media.initialDescription(null) }
  ringing (): void { /* the engine side reports it (outbound-engine-link.ts) */ }

  answered (remoteSdp: string): NegotiatedAudio | null {
    try {
      this.media.acceptAckAnswer(Buffer.from(remoteSdp))
    } catch (err) {
      throw err instanceof SipError ? err : new SipError(488, 'Not Acceptable Here', 'SIP_ERR_SDP_INVALID', { detail: String(err) })
    }
    const n = this.media.negotiated
    if (n) this.ctx.log.info({ codec: n.codec.name, srtp: n.srtp?.suite ?? null, remote: n.remote }, 'outbound media up')
    return n
  }

  connected (dialog: Dialog): void {
    this.dialog = dialog
    new CallDialogEvents({
      log: this.ctx.log,
      isOver: () => this.closed,
      dialog: () => this.dialog,
      media: () => this.closed ? null : this.media,
      onInfoDigit: (digit, durationMs) => this.onDigit?.(digit, durationMs),
      onHoldChanged: held => this.onHoldChanged?.(held),
      hangup: (_side, cause) => this.ctx.hangup?.({ cause }),
      // The dialog's end is the outbound call's own ('terminated' in outbound-call.ts).
      end: () => undefined
    }).attach(dialog)
  }

  async sendDtmf (digits: string): Promise<void> {
    await this.media.sendDigits(digits)
  }

  stats (): RtpReceiveStats | null {
    if (this.leg.isClosed) return null
    const s = this.leg.stats()
    return { packetsReceived: s.packetsReceived, packetsSent: s.packetsSent, packetsLost: s.packetsLost, jitterMs: s.jitterMs, rttMs: s.rttMs }
  }

  ptimeMs (): number { return this.media.negotiated?.ptime ?? 20 }
  close (): void {
    this.closed = true
    this.media.close()
  }
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
