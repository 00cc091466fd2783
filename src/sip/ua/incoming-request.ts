import type { SipRequest } from '../message/types'
import type { MessageSource } from '../transaction/sip-sender'
import type { Dialog } from '../dialog/dialog'

/** What the agent hands to 'invite', 'options' … listeners and to the preRequest hook: the parsed request plus
 * where it came from, whether it belongs to a dialog, and whether a CANCEL arrived for it (§9.2). */
export type IncomingRequest = SipRequest & {
  source: MessageSource
  dialog: Dialog | null
  canceled: boolean
}

export function toIncomingRequest (req: SipRequest, source: MessageSource, dialog: Dialog | null): IncomingRequest {
  return Object.assign(req, { source, dialog, canceled: false })
}
