// Best-effort error responses for messages the parser could not turn into a SipRequest.
//
// When framing breaks (RFC 3261 §18.3) or parsing fails, the strict accessors cannot be used, yet the
// client still needs a response it can match to its transaction: RFC 3261 §8.2.6.2 says a response copies
// Via, From, To, Call-ID and CSeq from the request. We copy those raw field values from the header block
// as they were received, leniently (compact forms, folding), and add a To tag if there is none.

import { SipError } from '../sip-error'
import { newTag } from '../message/factory'
import type { HeaderField, SipResponse } from '../message/types'
import { unfoldedHeaderLines } from './stream-framer'

/** RFC 3261 §7.3.3 compact forms of the fields a response must copy. */
const COPIED_FIELDS: Record<string, string> = {
  via: 'Via', v: 'Via',
  from: 'From', f: 'From',
  to: 'To', t: 'To',
  'call-id': 'Call-ID', i: 'Call-ID',
  cseq: 'CSeq'
}

export interface RawMessageHead {
  startLine: string
  /**
   * Only a request can be answered; a broken response is dropped (RFC 3261 §18.1.2). Anything whose
   * start line is not a Status-Line counts as a request, even when its method is not a token: the
   * sender is a UAC waiting for an answer, and a garbled method must not make it look like a response.
   */
  isRequest: boolean
  /** Via, From, To, Call-ID, CSeq as received, canonical names, wire order. */
  fields: HeaderField[]
}

export function readRawMessageHead (headerBlock: Buffer): RawMessageHead {
  const firstLineEnd = headerBlock.indexOf('\n')
  const startLine = headerBlock
    .subarray(0, firstLineEnd === -1 ? headerBlock.length : firstLineEnd)
    .toString('utf8').replace(/\r$/, '')
  const fields: HeaderField[] = []
  for (const line of unfoldedHeaderLines(headerBlock, 'utf8')) {
    const m = /^([^:\s]+)[ \t]*:[ \t]*(.*)$/s.exec(line)
    if (!m) continue
    const name = COPIED_FIELDS[m[1].toLowerCase()]
    if (name) fields.push({ name, value: withoutLineBreaks(m[2].trim()) })
  }
  return { startLine, isRequest: startLine.length > 0 && !/^SIP\//i.test(startLine), fields }
}

/**
 * A bare CR (or a stray LF that survived unfolding) inside a copied field cannot be written back —
 * the serializer refuses it as header injection — yet the client still needs its Via branch, tags
 * and CSeq to match the 400. Each line break becomes one SP, the same rule as folding (§7.3.1).
 */
function withoutLineBreaks (value: string): string {
  return value.indexOf('\r') < 0 && value.indexOf('\n') < 0 ? value : value.replace(/[\r\n]+/g, ' ')
}

/**
 * Whether a 400 can go back at all: the start line must read as a request — a token method (RFC 3261
 * §7.1), or at least the Request-Line shape "X SP Request-URI SP SIP/x.y" when the method is garbled.
 * Anything else (binary, a TLS ClientHello on the TCP port) is not a SIP client: the connection closes.
 */
export function canBeAnswered (head: RawMessageHead): boolean {
  if (!head.isRequest) return false
  return /^[A-Za-z0-9!%*_+`'~.-]+ +\S/.test(head.startLine) || /^\S+ \S+ SIP\/\d+\.\d+$/i.test(head.startLine)
}

/**
 * The response for a request that failed framing or parsing: err.status/reason, err.headers
 * (e.g. Unsupported, Retry-After), and the transaction-identifying fields of the request.
 */
export function buildErrorResponse (head: RawMessageHead, err: SipError): SipResponse {
  const headers: HeaderField[] = []
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    for (const f of head.fields) {
      if (f.name !== name) continue
      // Only the first From/To/Call-ID/CSeq: a request with two (RFC 4475 multi01) gets one back.
      if (name !== 'Via' && headers.some(h => h.name === name)) continue
      headers.push({ name, value: name === 'To' ? withToTag(f.value) : f.value })
    }
  }
  for (const h of err.headers) headers.push({ name: h.name, value: h.value })
  return { kind: 'response', version: 'SIP/2.0', status: err.status, reason: err.reason, headers, body: Buffer.alloc(0) }
}

/** RFC 3261 §8.2.6.2: the UAS adds a To tag if the request had none. */
function withToTag (value: string): string {
  // Parameters after the closing '>' (or after the addr-spec when there are no brackets).
  const close = value.lastIndexOf('>')
  const params = close === -1 ? value : value.slice(close + 1)
  if (/;\s*tag\s*=/i.test(params)) return value
  return `${value};tag=${newTag()}`
}
