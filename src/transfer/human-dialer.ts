// What a transfer needs to call the human (or a REFER's target): a dialer that returns the new leg
// (its dialog and media). The call layer implements it (src/call/call-dialer.ts: through the trunk, with
// the call's own media); transfer code only uses these types, so it imports nothing from the call layer.
import type { TrunkConfig } from '../config'
import type { Dialog } from '../sip/dialog/dialog'
import type { HeaderField, SipResponse } from '../sip/message/types'
import type { VariableValue } from '../trunk/header-template'
import type { Leg } from '../media/leg'
import type { Logger } from '../log'

/** The media of a dialled leg, as transfer code uses it. */
export interface HumanMedia { readonly leg: Leg, close: () => void }

export interface HumanLeg<M extends HumanMedia = HumanMedia> { dialog: Dialog, media: M }

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

export type HumanDialer<M extends HumanMedia = HumanMedia> = (req: HumanDialRequest) => Promise<HumanLeg<M>>
