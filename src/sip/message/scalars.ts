// Single-number headers: CSeq (RFC 3261 §20.16), Max-Forwards (§20.22), Content-Length (§20.14).
// Each reads digits with an explicit upper bound so an overlarge value (RFC 4475 §3.1.2.4 scalar02,
// §3.1.2.5 scalarlg) is a 400 instead of a float that silently loses precision.

import type { CSeq } from './types'
import { SipError } from '../sip-error'
import { badHeader, isDigit, isTokenChar, isWsp, parseBoundedUint, skipWsp } from './lexer'

/** §8.1.1.5: "The sequence number MUST be expressible as a 32-bit unsigned integer". */
export const MAX_CSEQ = 0xffffffff

/** CSeq = 1*DIGIT LWS Method */
export function parseCSeq (value: string): CSeq {
  const end = value.length
  let pos = skipWsp(value, 0)
  const digitsStart = pos
  while (pos < end && isDigit(value.charCodeAt(pos))) pos++
  const seq = parseBoundedUint(value, digitsStart, pos, MAX_CSEQ)
  if (seq < 0) throw badHeader('SIP_ERR_BAD_CSEQ', `CSeq number is not a 32-bit unsigned integer: ${value}`)
  const afterDigits = pos
  pos = skipWsp(value, pos)
  if (pos === afterDigits) throw badHeader('SIP_ERR_BAD_CSEQ', 'CSeq needs LWS between number and method')
  const methodStart = pos
  while (pos < end && isTokenChar(value.charCodeAt(pos))) pos++
  if (pos === methodStart) throw badHeader('SIP_ERR_BAD_CSEQ', 'CSeq has no method')
  const method = value.slice(methodStart, pos)
  if (skipWsp(value, pos) !== end) throw badHeader('SIP_ERR_BAD_CSEQ', `trailing text in CSeq: ${value}`)
  return { seq, method }
}

/** Max-Forwards = 1*DIGIT, 0..255 (§20.22). */
export function parseMaxForwards (value: string): number {
  const [start, end] = trimmedRange(value)
  const n = parseBoundedUint(value, start, end, 255)
  if (n < 0) throw badHeader('SIP_ERR_BAD_MAX_FORWARDS', `Max-Forwards must be 0-255: ${value}`)
  return n
}

/**
 * Content-Length = 1*DIGIT. Negative or non-numeric values make stream framing unknowable
 * (RFC 4475 §3.1.2.3 ncl), so the error also asks the transport to close the connection.
 */
export function parseContentLength (value: string, max: number = 0x7fffffff): number {
  const [start, end] = trimmedRange(value)
  const n = parseBoundedUint(value, start, end, max)
  if (n < 0) {
    throw new SipError(400, 'Bad Request', 'SIP_ERR_BAD_CONTENT_LENGTH',
      { detail: `bad Content-Length: ${value}`, closeConnection: true })
  }
  return n
}

function trimmedRange (value: string): [number, number] {
  let start = 0
  let end = value.length
  while (start < end && isWsp(value.charCodeAt(start))) start++
  while (end > start && isWsp(value.charCodeAt(end - 1))) end--
  return [start, end]
}
