import type { SipMessage } from '../message/types'
import { getCallId, getFrom } from '../message/headers'
import { toTag } from '../transaction/transaction-key'
import { Dialog } from './dialog'

/**
 * The dialogs of one UA, by dialog id (§12: Call-ID, local tag, remote tag). For a request we receive the local
 * tag is in To and the remote tag in From (§12.2.2); for a response to our request it is the other way round.
 */
export class DialogRegistry {
  private readonly dialogs = new Map<string, Dialog>()

  get size (): number { return this.dialogs.size }

  all (): Dialog[] { return [...this.dialogs.values()] }

  add (d: Dialog): void {
    this.dialogs.set(d.id, d)
    d.once('terminated', () => { if (this.dialogs.get(d.id) === d) this.dialogs.delete(d.id) })
  }

  forIncomingRequest (req: SipMessage): Dialog | undefined {
    const local = toTag(req)
    if (!local) return undefined
    // §12.2.2 allows for RFC 2543 peers without a From tag: their remote tag is empty.
    return this.dialogs.get(Dialog.makeId(getCallId(req), local, getFrom(req).params.get('tag') ?? ''))
  }

  forResponse (res: SipMessage): Dialog | undefined {
    const remote = toTag(res)
    const local = getFrom(res).params.get('tag')
    if (!local) return undefined
    return this.dialogs.get(Dialog.makeId(getCallId(res), local, remote ?? ''))
  }
}
