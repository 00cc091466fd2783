import { SipError } from '../sip-error'
import type { SipResponse } from '../message/types'

/** A UAC request that ended without a dialog: carries the final response that ended it (487 after CANCEL …). */
export class UacError extends SipError {
  readonly response: SipResponse | null

  constructor (status: number, reason: string, code: string, response: SipResponse | null, detail?: string) {
    super(status, reason, code, { detail })
    this.name = 'UacError'
    this.response = response
  }
}
