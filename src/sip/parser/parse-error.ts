// The error every parse failure is thrown as: a SipError (so callers map it to a response or a drop)
// that also carries the header fields read before the problem was found. A UAS needs them to answer
// at all — the 400 copies Via, From, To, Call-ID and CSeq from the bad request (RFC 3261 §8.2.6.2).

import { SipError } from '../sip-error'
import type { SipMessage } from '../message/types'

export class SipParseError extends SipError {
  /**
   * The message as far as it could be read (start line and raw header fields, empty body), or null
   * when the failure came before the header section could be split (size, framing, start line).
   */
  readonly partial: SipMessage | null

  constructor (cause: SipError, partial: SipMessage | null) {
    super(cause.status, cause.reason, cause.code, { headers: cause.headers, closeConnection: cause.closeConnection })
    this.name = 'SipParseError'
    this.message = cause.message
    this.partial = partial
  }
}

/** Shorthand for the errors raised by the parser itself. */
export function parseFailure (status: number, reason: string, code: string, detail: string,
  opts: { closeConnection?: boolean, partial?: SipMessage | null } = {}): SipParseError {
  return new SipParseError(
    new SipError(status, reason, code, { detail, closeConnection: opts.closeConnection }),
    opts.partial ?? null)
}
