import { EventEmitter } from 'node:events'
import type { HeaderField, SipRequest, SipResponse } from '../message/types'
import { createResponse, newTag } from '../message/factory'
import { canonicalHeaderName } from '../message/header-names'
import type { ServerTransaction } from './transaction-layer'
import { toTag } from './transaction-key'

export type HeaderInput = HeaderField[] | Record<string, string | string[]>

export interface SendOptions {
  headers?: HeaderInput
  body?: string | Buffer
  contentType?: string
}

export function toHeaderFields (h: HeaderInput | undefined): HeaderField[] {
  if (!h) return []
  if (Array.isArray(h)) return h
  const out: HeaderField[] = []
  for (const [name, v] of Object.entries(h)) {
    for (const value of Array.isArray(v) ? v : [v]) out.push({ name, value })
  }
  return out
}

/** Methods whose 1xx-with-tag / 2xx responses establish a dialog (RFC 3261 §12.1, RFC 6665 §4.1.2.2, RFC 3515). */
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY'])

const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout', 415: 'Unsupported Media Type',
  420: 'Bad Extension', 422: 'Session Interval Too Small', 480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending', 500: 'Server Internal Error',
  501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Server Time-out', 600: 'Busy Everywhere',
  603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable'
}

export function reasonPhrase (status: number): string {
  return REASONS[status] ?? (status < 300 ? 'OK' : 'Error')
}

/**
 * The TU's handle on a server transaction (drachtio-srf `res`): send(status, reason?, {headers, body}).
 * One To tag per response object (§8.2.6.2: every response after 100 carries the same tag, and a dialog is
 * identified by it). Events: 'provisional' (101-199 sent), 'end' (final response sent or dropped),
 * 'cancel' (INVITE only, §9.2).
 */
export class ServerResponse extends EventEmitter {
  readonly tx: ServerTransaction
  readonly request: SipRequest
  /** Our To tag: the request's own for in-dialog requests, a fresh one otherwise. */
  readonly toTag: string
  /** Last touch before a response leaves (the dialog adds Contact / Session-Expires to 2xx it must carry). */
  decorate: ((res: SipResponse) => void) | null = null
  private finalSent: SipResponse | null = null
  private dropped = false

  constructor (tx: ServerTransaction) {
    super()
    this.tx = tx
    this.request = tx.request
    this.toTag = toTag(tx.request) ?? newTag()
  }

  /** True once any final response left on this transaction (also the 487 the layer sends after a CANCEL). */
  get finished (): boolean {
    return this.finalSent !== null || this.dropped || this.tx.terminated || this.tx.finalResponse !== null
  }
  get finalResponse (): SipResponse | null { return this.finalSent }
  get status (): number | null { return this.finalSent?.status ?? null }

  /** Build the response this object would send (for callers that must inspect or log it first). */
  build (status: number, reason?: string, opts: SendOptions = {}): SipResponse {
    const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : (opts.body ?? Buffer.alloc(0))
    const res = createResponse(this.request, status, reason ?? reasonPhrase(status), {
      toTag: status === 100 ? undefined : this.toTag,
      headers: [...this.recordRoutesFor(status), ...toHeaderFields(opts.headers)],
      body,
      contentType: body.length > 0 ? (opts.contentType ?? 'application/sdp') : undefined
    })
    return res
  }

  /**
   * RFC 3261 §12.1.1: "When a UAS responds to a request with a response that establishes a dialog (such as a 2xx
   * to INVITE), the UAS MUST copy all Record-Route header field values from the request into the response
   * (including the URIs, URI parameters, and any Record-Route header field parameters ...) and MUST maintain the
   * order". Responses that establish a dialog are the 1xx with a To tag and the 2xx to a dialog-creating request
   * outside a dialog; without the copy the caller's ACK, BYE and re-INVITE bypass a record-routing proxy.
   */
  private recordRoutesFor (status: number): HeaderField[] {
    if (status <= 100 || status >= 300 || !DIALOG_CREATING.has(this.request.method)) return []
    if (toTag(this.request) !== null) return []
    const out: HeaderField[] = []
    for (const h of this.request.headers) {
      if (canonicalHeaderName(h.name) === 'Record-Route') out.push({ name: 'Record-Route', value: h.value })
    }
    return out
  }

  /**
   * Send a response. A second final response is refused (returns null) rather than thrown, so a policy hook and
   * a late handler racing to answer cannot crash the server; it is logged by the transaction.
   */
  send (status: number, reason?: string | SendOptions, opts?: SendOptions): SipResponse | null {
    if (typeof reason === 'object') { opts = reason; reason = undefined }
    if (this.finished) return null
    const res = this.build(status, reason, opts ?? {})
    this.decorate?.(res)
    try {
      this.tx.respond(res)
    } catch {
      return null
    }
    if (status >= 200) {
      this.finalSent = res
      this.emit('end', res)
    } else if (status > 100) {
      this.emit('provisional', res)
    }
    return res
  }

  /** Silent discard (ACL): the transaction ends without an answer. */
  drop (): void {
    if (this.finished) return
    this.dropped = true
    this.tx.terminate()
    this.emit('end', null)
  }
}
