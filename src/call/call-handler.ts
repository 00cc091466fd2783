import type { AgentConfig, TrunkConfig } from '../config'
import type { Logger } from '../log'
import type { SessionDescription } from '../sdp'
import type { MediaPolicy } from '../sdp/negotiate'
import type { Dialog } from '../sip/dialog/dialog'
import type { ServerResponse } from '../sip/transaction/server-response'
import type { IncomingRequest } from '../sip/ua/incoming-request'
import type { SipError } from '../sip/sip-error'

/** The offer in the INVITE: parsed when it could be, raw always (a parse error is kept for a 488/400). */
export type SdpOffer =
  | { raw: Buffer; parsed: SessionDescription; error: null }
  | { raw: Buffer; parsed: null; error: SipError }

/**
 * An INVITE that passed the inbound policy (trunk admitted, authenticated, number routed, capacity
 * reserved) and now needs an answer from the call layer. Exactly one of answer()/reject() should be
 * used; the capacity slot is released when the call ends however it ends.
 */
export interface RoutedInvite {
  req: IncomingRequest
  res: ServerResponse
  trunk: TrunkConfig
  /** The configured phone number that matched the Request-URI user part. */
  phoneNumber: string
  agentId: string
  agent: AgentConfig | null
  /** Digest username when the trunk authenticates, else null (ACL only). */
  authUser: string | null
  /** null for an INVITE without body (RFC 3264 §5: we make the offer in the 200). */
  sdpOffer: SdpOffer | null
  /** The trunk's media encryption rules for this call's signalling transport (for src/sdp answerOffer). */
  mediaPolicy: MediaPolicy
  /** Our address for RTP in SDP (the advertised host or the local address of the connection). */
  mediaAddress: string
  /** pino child with {callId, trunk, number}. */
  logger: Logger
  /** Whether a CANCEL already ended the INVITE transaction (487 sent by the transaction layer). */
  readonly canceled: boolean

  /** 180 Ringing (or 183 with early SDP). No-op once the INVITE is finished. */
  ringing: (opts?: { status?: 180 | 183; sdp?: string }) => void
  /** 200 OK with our SDP; resolves with the confirmed dialog when the ACK arrives (RFC 3261 §13.3.1.4). */
  answer: (localSdp: string, opts?: { onDialog?: (dialog: Dialog) => void }) => Promise<Dialog>
  /** A final non-2xx response; a SipError carries its own status, reason and headers. */
  reject: (err: SipError | { status: number; reason?: string; headers?: Array<{ name: string; value: string }> }) => void
}

/** The call layer: receives each routed INVITE. A thrown error or rejected promise answers 500. */
export interface CallHandler {
  handleInvite: (call: RoutedInvite) => void | Promise<void>
}
