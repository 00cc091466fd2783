/**
 * An error that knows which SIP response it maps to, raised at the place the problem is found
 * (parser, policy, dialog lookup …), so the layer that answers never has to guess a status.
 */
export class SipError extends Error {
  readonly status: number
  readonly reason: string
  /** Stable machine code, e.g. SIP_ERR_BAD_CONTENT_LENGTH. */
  readonly code: string
  /** Extra header fields for the response (Retry-After, Unsupported, Accept, Warning …). */
  readonly headers: Array<{ name: string; value: string }>
  /** Over a stream transport the framing cannot be trusted any more: answer if possible, then close. */
  readonly closeConnection: boolean

  constructor (status: number, reason: string, code: string, opts: {
    detail?: string
    headers?: Array<{ name: string; value: string }>
    closeConnection?: boolean
  } = {}) {
    super(opts.detail ? `${status} ${reason}: ${opts.detail}` : `${status} ${reason}`)
    this.name = 'SipError'
    this.status = status
    this.reason = reason
    this.code = code
    this.headers = opts.headers ?? []
    this.closeConnection = opts.closeConnection ?? false
  }
}
