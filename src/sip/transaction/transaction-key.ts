import type { SipRequest, SipResponse } from '../message/types'
import { getCSeq, getCallId, getFrom, getHeaders, getVias } from '../message/headers'

/** RFC 3261 §8.1.1.7: branches minted by RFC 3261 elements start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK'

export function isRfc3261Branch (branch: string | null | undefined): branch is string {
  return typeof branch === 'string' && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length
}

/**
 * §17.2.3 server transaction key. With the magic cookie: branch + sent-by + method, where ACK maps to INVITE
 * ("the method of the request matches the one that created the transaction, except for ACK, where the method of the
 * request that created the transaction is INVITE") and CANCEL keeps its own method (it is its own transaction).
 * Without the cookie (RFC 2543 peers): Request-URI, From tag, Call-ID, CSeq number and method, and the top Via.
 * The To tag is left out of INVITE/ACK/CANCEL keys because the ACK for a non-2xx carries the tag our response
 * added; the caller checks it against the transaction (see matchesRfc2543Ack). For other methods it is included.
 * `method` overrides the request's method (a CANCEL looks up its INVITE with 'INVITE').
 */
export function serverKey (req: SipRequest, method?: string): string {
  const via = getVias(req)[0]
  let m = method ?? req.method
  if (m === 'ACK') m = 'INVITE'
  if (isRfc3261Branch(via.branch)) {
    const sentBy = `${via.host.toLowerCase()}:${via.port ?? ''}`
    return `${via.branch}|${sentBy}|${m}`
  }
  return rfc2543Key(req, m)
}

function rfc2543Key (req: SipRequest, method: string): string {
  const fromTag = getFrom(req).params.get('tag') ?? ''
  const cseq = getCSeq(req)
  const topVia = (getHeaders(req, 'Via')[0] ?? '').replace(/\s+/g, '').toLowerCase()
  const toTagPart = method === 'INVITE' || method === 'CANCEL' ? '' : (toTag(req) ?? '')
  return `2543|${req.uri.trim()}|${toTagPart}|${fromTag}|${getCallId(req)}|${cseq.seq}|${method}|${topVia}`
}

export function toTag (msg: SipRequest | SipResponse): string | null {
  const to = msg.headers.find((h) => h.name === 'To')?.value
  if (!to) return null
  // Only the part after the URI: a ';tag=' inside <…> would be a URI parameter.
  const afterUri = to.includes('>') ? to.slice(to.lastIndexOf('>') + 1) : to
  const m = /;\s*tag\s*=\s*([^;\s]+)/i.exec(afterUri)
  return m ? m[1] : null
}

/** Is this key from the RFC 2543 fallback? */
export function isRfc2543Key (key: string): boolean { return key.startsWith('2543|') }

/** §17.1.3: a response matches a client transaction by top-Via branch and CSeq method. */
export function clientKeyOfResponse (res: SipResponse): string | null {
  const via = getVias(res)[0]
  if (!via?.branch) return null
  return `${via.branch}|${getCSeq(res).method}`
}

export function clientKeyOfRequest (req: SipRequest): string {
  const via = getVias(req)[0]
  if (!via?.branch) throw new Error('client request without a Via branch')
  return `${via.branch}|${req.method}`
}
