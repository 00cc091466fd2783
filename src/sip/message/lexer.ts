// Character classes and the small scanners every header grammar shares (RFC 3261 §25.1).
// They work on indices into one string with charCodeAt instead of regular expressions: they run for
// every header of every message, and a scan that stops at the first byte it dislikes is both faster
// and easier to bound than a backtracking pattern.

import { SipError } from '../sip-error'

export const SP = 0x20
export const HTAB = 0x09
export const DQUOTE = 0x22
export const BACKSLASH = 0x5c
export const SEMI = 0x3b
export const COMMA = 0x2c
export const EQUAL = 0x3d
export const LAQUOT = 0x3c
export const RAQUOT = 0x3e
export const COLON = 0x3a
export const SLASH = 0x2f

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")  (RFC 3261 §25.1) */
const TOKEN = new Uint8Array(128)
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1

/** Characters that end an unquoted parameter value: CTLs, SP, DQUOTE, ';', ',' and DEL. */
const VALUE_STOP = new Uint8Array(128)
for (let c = 0; c <= 0x20; c++) VALUE_STOP[c] = 1
for (const c of [0x22, 0x2c, 0x3b, 0x7f]) VALUE_STOP[c] = 1

export function isTokenChar (c: number): boolean {
  return c < 128 && TOKEN[c] === 1
}

export function isToken (s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false
  return true
}

export function isWsp (c: number): boolean {
  return c === SP || c === HTAB
}

export function isDigit (c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

export function skipWsp (s: string, pos: number, end: number = s.length): number {
  while (pos < end && isWsp(s.charCodeAt(pos))) pos++
  return pos
}

/** A 400 raised while reading a header value; every grammar error in this folder goes through here. */
export function badHeader (code: string, detail: string): SipError {
  return new SipError(400, 'Bad Request', code, { detail })
}

/**
 * pos points at a DQUOTE; returns the index just after the closing DQUOTE.
 * quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) (RFC 3261 §25.1), so a backslash always swallows the
 * next character — RFC 4475 §3.1.1.2 (intmeth) escapes BEL, NUL and DEL this way.
 */
export function scanQuoted (s: string, pos: number): number {
  const end = s.length
  for (let i = pos + 1; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === BACKSLASH) { i++; continue }
    if (c === DQUOTE) return i + 1
  }
  // RFC 4475 §3.1.2.6 (quotbal): an unterminated quoted string is rejected, not guessed at.
  throw badHeader('SIP_ERR_UNTERMINATED_QUOTE', 'unterminated quoted string')
}

/** The content of a quoted-string (without its quotes), quoted-pairs resolved. */
export function unquote (s: string, open: number, close: number): string {
  const inner = s.slice(open + 1, close - 1)
  if (inner.indexOf('\\') < 0) return inner
  let out = ''
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charCodeAt(i)
    if (c === BACKSLASH && i + 1 < inner.length) { out += inner[i + 1]; i++ } else out += inner[i]
  }
  return out
}

/** Quote a string for use as quoted-string, escaping what qdtext cannot carry (RFC 3261 §25.1). */
export function quote (s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // CR and LF cannot be escaped at all (quoted-pair excludes them): they are dropped rather than
    // letting a display name inject a header line.
    if (c === 0x0d || c === 0x0a) continue
    if (c === DQUOTE || c === BACKSLASH || c < 0x20 || c === 0x7f) out += '\\'
    out += s[i]
  }
  return out + '"'
}

/**
 * Split a header value at the commas that separate list elements (RFC 3261 §7.3.1), ignoring commas
 * inside quoted strings and inside <...> (a URI in a name-addr may contain commas). Elements are
 * trimmed; empty elements are kept so that the typed parsers can reject them.
 */
export function splitList (value: string): string[] {
  // Fast path: most values carry one element.
  if (value.indexOf(',') < 0) return [value.trim()]
  const items: string[] = []
  let start = 0
  let inAngle = false
  const end = value.length
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i)
    if (c === DQUOTE && !inAngle) {
      i = scanQuoted(value, i) - 1
    } else if (c === LAQUOT) {
      inAngle = true
    } else if (c === RAQUOT) {
      inAngle = false
    } else if (c === COMMA && !inAngle) {
      items.push(value.slice(start, i).trim())
      start = i + 1
    }
  }
  if (inAngle) throw badHeader('SIP_ERR_UNTERMINATED_ANGLE', 'unterminated <')
  items.push(value.slice(start).trim())
  return items
}

/**
 * Parse `*( SWS ";" SWS name [ SWS "=" SWS value ] ) SWS` from pos to the end of s into params
 * (names lower-cased: RFC 3261 §7.3.1 makes parameter names case-insensitive). Values are kept as
 * written — a quoted-string keeps its quotes — so that formatting writes back exactly what was read.
 * LWS around ';' and '=' is allowed (RFC 3261 §25.1 SEMI / EQUAL; RFC 4475 §3.1.1.1 wsinv).
 */
export function parseHeaderParams (s: string, pos: number, params: Map<string, string | null>): void {
  const end = s.length
  pos = skipWsp(s, pos)
  while (pos < end) {
    if (s.charCodeAt(pos) !== SEMI) throw badHeader('SIP_ERR_BAD_PARAM', `unexpected '${s[pos] ?? ''}' before parameter`)
    pos = skipWsp(s, pos + 1)
    const nameStart = pos
    let upper = false
    for (; pos < end; pos++) {
      const c = s.charCodeAt(pos)
      if (c >= 128 || TOKEN[c] !== 1) break
      if (c >= 0x41 && c <= 0x5a) upper = true
    }
    if (pos === nameStart) throw badHeader('SIP_ERR_BAD_PARAM', 'empty parameter name')
    const rawName = s.slice(nameStart, pos)
    const name = upper ? rawName.toLowerCase() : rawName
    pos = skipWsp(s, pos)
    let value: string | null = null
    if (pos < end && s.charCodeAt(pos) === EQUAL) {
      pos = skipWsp(s, pos + 1)
      const valueStart = pos
      if (pos < end && s.charCodeAt(pos) === DQUOTE) {
        pos = scanQuoted(s, pos)
      } else {
        // gen-value = token / host / quoted-string: a host may be an IPv6 reference "[...]" or, in
        // received=, a bare IPv6 address with ':' — so accept any visible character up to a delimiter.
        for (; pos < end; pos++) {
          const c = s.charCodeAt(pos)
          if (c < 128 && VALUE_STOP[c] === 1) break
        }
      }
      if (pos === valueStart) throw badHeader('SIP_ERR_BAD_PARAM', `empty value for parameter ${name}`)
      value = s.slice(valueStart, pos)
      pos = skipWsp(s, pos)
    }
    params.set(name, value)
  }
}

export function formatParams (params: Map<string, string | null>): string {
  let out = ''
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`
  return out
}

/**
 * Parse an unsigned decimal made only of digits (leading zeros allowed: RFC 4475 §3.1.1.1 sends
 * "Max-Forwards: 0068" and "CSeq: 0009"). Returns -1 when the text is not 1*DIGIT or exceeds max,
 * without ever building a number larger than max (RFC 4475 §3.1.2.4 overflow traps).
 */
export function parseBoundedUint (s: string, start: number, end: number, max: number): number {
  if (start >= end) return -1
  let n = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return -1
    n = n * 10 + (c - 0x30)
    if (n > max) return -1
  }
  return n
}
