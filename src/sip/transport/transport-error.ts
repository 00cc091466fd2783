/**
 * Why a send failed, with a stable code the transaction layer maps to a final response
 * (RFC 3261 §17.1.1.2 / §8.1.3.1: a transport error is treated as 503 for the request;
 * a timeout as 408).
 */
export class TransportError extends Error {
  /** System code (ECONNREFUSED, ETIMEDOUT, ECONNRESET …) or SIP_ERR_TRANSPORT_*. */
  readonly code: string
  readonly target: string

  constructor (code: string, target: string, message: string, cause?: unknown) {
    super(`${message} (${code}, ${target})`, cause === undefined ? undefined : { cause })
    this.name = 'TransportError'
    this.code = code
    this.target = target
  }

  /** Connect and write timeouts correspond to 408, every other failure to 503. */
  get isTimeout (): boolean { return this.code === 'ETIMEDOUT' || this.code === 'SIP_ERR_TRANSPORT_TIMEOUT' }

  static from (err: unknown, target: string, what: string): TransportError {
    if (err instanceof TransportError) return err
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'SIP_ERR_TRANSPORT_FAILED'
    const msg = err instanceof Error ? err.message : String(err)
    return new TransportError(code, target, `${what}: ${msg}`, err)
  }
}
