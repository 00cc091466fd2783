// Reading and editing the header fields of a SipMessage. Headers stay raw strings in wire order;
// typed accessors parse on demand and throw SipError 400 at the place a value is malformed.

import type { CSeq, HeaderField, NameAddr, SipMessage, Via } from './types'
import { LIST_HEADERS, canonicalHeaderName } from './header-names'
import { badHeader, splitList } from './lexer'
import { parseNameAddr } from './name-addr'
import { parseCSeq, parseMaxForwards } from './scalars'
import { parseVia } from './via'

export { canonicalHeaderName } from './header-names'

/** Parsed messages carry canonical names; the length-guarded fallback covers hand-built headers. */
function sameName (fieldName: string, canonical: string): boolean {
  return fieldName === canonical ||
    (fieldName.length === canonical.length && fieldName.toLowerCase() === canonical.toLowerCase())
}

/** First value of a header (the first element of a comma list), or undefined. */
export function getHeader (msg: SipMessage, name: string): string | undefined {
  const canonical = canonicalHeaderName(name)
  const isList = LIST_HEADERS.has(canonical)
  for (const h of msg.headers) {
    if (!sameName(h.name, canonical)) continue
    if (!isList) return h.value
    for (const item of splitList(h.value)) if (item.length > 0) return item
  }
  return undefined
}

/** Every value of a header in order; list headers are split at top-level commas (RFC 3261 §7.3.1). */
export function getHeaders (msg: SipMessage, name: string): string[] {
  const canonical = canonicalHeaderName(name)
  const isList = LIST_HEADERS.has(canonical)
  const values: string[] = []
  for (const h of msg.headers) {
    if (!sameName(h.name, canonical)) continue
    if (!isList) { values.push(h.value); continue }
    for (const item of splitList(h.value)) if (item.length > 0) values.push(item)
  }
  return values
}

/** Replace every field of that name by one (at the position of the first), or append it. */
export function setHeader (msg: SipMessage, name: string, value: string): void {
  const canonical = canonicalHeaderName(name)
  let placed = false
  const kept: HeaderField[] = []
  for (const h of msg.headers) {
    if (!sameName(h.name, canonical)) { kept.push(h); continue }
    if (!placed) { kept.push({ name: canonical, value }); placed = true }
  }
  if (!placed) kept.push({ name: canonical, value })
  msg.headers = kept
}

export function addHeader (msg: SipMessage, name: string, value: string): void {
  msg.headers.push({ name: canonicalHeaderName(name), value })
}

/** Insert above the first field of that name (a proxy's new top Via, §16.6 step 8), else at the top. */
export function prependHeader (msg: SipMessage, name: string, value: string): void {
  const canonical = canonicalHeaderName(name)
  const index = msg.headers.findIndex(h => sameName(h.name, canonical))
  msg.headers.splice(index < 0 ? 0 : index, 0, { name: canonical, value })
}

export function removeHeader (msg: SipMessage, name: string): void {
  const canonical = canonicalHeaderName(name)
  msg.headers = msg.headers.filter(h => !sameName(h.name, canonical))
}

/** All elements of a list header; an empty element between commas is malformed (RFC 3261 §7.3.1). */
function listElements (msg: SipMessage, canonical: string, code: string): string[] {
  const values: string[] = []
  for (const h of msg.headers) {
    if (!sameName(h.name, canonical)) continue
    for (const item of splitList(h.value)) {
      if (item.length === 0) throw badHeader(code, `empty element in ${canonical}`)
      values.push(item)
    }
  }
  return values
}

/**
 * The one value of a header that RFC 3261 §7.3.1 forbids to repeat (From, To, Call-ID, CSeq,
 * Max-Forwards, Content-Length). Repeated lines or a top-level comma are a 400 (RFC 4475 §3.3.8
 * multi01); `splitComma` is false for Call-ID, whose word may contain '"' and '<' but never ','.
 */
export function singleValue (msg: SipMessage, canonical: string, splitComma: boolean): string | undefined {
  let found: string | undefined
  for (const h of msg.headers) {
    if (!sameName(h.name, canonical)) continue
    if (found !== undefined) throw multipleValues(canonical)
    found = h.value
  }
  if (found === undefined) return undefined
  if (found.indexOf(',') >= 0) {
    if (!splitComma || splitList(found).length > 1) throw multipleValues(canonical)
  }
  return found
}

function multipleValues (canonical: string): Error {
  return badHeader('SIP_ERR_MULTIPLE_VALUES', `more than one ${canonical} value`)
}

function required (msg: SipMessage, canonical: string, splitComma: boolean): string {
  const value = singleValue(msg, canonical, splitComma)
  if (value === undefined) throw badHeader('SIP_ERR_MISSING_HEADER', `missing ${canonical}`)
  return value
}

export function getVias (msg: SipMessage): Via[] {
  return listElements(msg, 'Via', 'SIP_ERR_BAD_VIA').map(parseVia)
}

export function getFrom (msg: SipMessage): NameAddr {
  return parseNameAddr(required(msg, 'From', true))
}

export function getTo (msg: SipMessage): NameAddr {
  return parseNameAddr(required(msg, 'To', true))
}

export function getCSeq (msg: SipMessage): CSeq {
  return parseCSeq(required(msg, 'CSeq', false))
}

export function getCallId (msg: SipMessage): string {
  const value = required(msg, 'Call-ID', false)
  if (value.length === 0) throw badHeader('SIP_ERR_BAD_CALL_ID', 'empty Call-ID')
  return value
}

export function getContacts (msg: SipMessage): NameAddr[] {
  return listElements(msg, 'Contact', 'SIP_ERR_BAD_NAME_ADDR').map(parseNameAddr)
}

/** null when absent (RFC 2543 peers omit it, RFC 4475 §3.4.1). */
export function getMaxForwards (msg: SipMessage): number | null {
  const value = singleValue(msg, 'Max-Forwards', false)
  return value === undefined ? null : parseMaxForwards(value)
}
