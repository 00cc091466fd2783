// RFC 3261 §19.1.2 / §25.1 escaping of SIP URI components.
// Escaped octets are decoded to bytes first and the bytes read as UTF-8, so "%C3%A9" becomes "é" and
// "%00" becomes a real NUL character inside the JS string — nothing here is NUL-terminated, which is
// exactly the trap RFC 4475 §3.1.1.4 (escnull) sets.

import { badHeader } from './lexer'

function hexValue (c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  return -1
}

/** Decode %HH escapes in s[start, end). A '%' not followed by two hex digits is a 400. */
export function unescapeComponent (s: string, start: number = 0, end: number = s.length): string {
  let pct = s.indexOf('%', start)
  if (pct < 0 || pct >= end) return s.slice(start, end)
  // Literal runs are UTF-8 encoded and escaped octets appended as bytes; the whole is then decoded once.
  const chunks: Buffer[] = []
  let literalStart = start
  while (pct >= 0 && pct < end) {
    const hi = pct + 2 < end ? hexValue(s.charCodeAt(pct + 1)) : -1
    const lo = hi >= 0 ? hexValue(s.charCodeAt(pct + 2)) : -1
    if (lo < 0) throw badHeader('SIP_ERR_BAD_URI', `bad escape sequence in URI: ${s.slice(pct, pct + 3)}`)
    if (pct > literalStart) chunks.push(Buffer.from(s.slice(literalStart, pct), 'utf8'))
    chunks.push(Buffer.of(hi * 16 + lo))
    literalStart = pct + 3
    pct = s.indexOf('%', literalStart)
  }
  if (literalStart < end) chunks.push(Buffer.from(s.slice(literalStart, end), 'utf8'))
  return Buffer.concat(chunks).toString('utf8')
}

function charSet (extra: string): Uint8Array {
  const set = new Uint8Array(128)
  for (let c = 0x30; c <= 0x39; c++) set[c] = 1
  for (let c = 0x41; c <= 0x5a; c++) set[c] = 1
  for (let c = 0x61; c <= 0x7a; c++) set[c] = 1
  // unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
  for (const ch of "-_.!~*'()" + extra) set[ch.charCodeAt(0)] = 1
  return set
}

/** user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = & = + $ , ; ? / */
export const USER_CHARS = charSet('&=+$,;?/')
/** password = *( unreserved / escaped / & = + $ , ) */
export const PASSWORD_CHARS = charSet('&=+$,')
/** paramchar = param-unreserved / unreserved / escaped; param-unreserved = [ ] / : & + $ */
export const PARAM_CHARS = charSet('[]/:&+$')
/** hname / hvalue = *( hnv-unreserved / unreserved / escaped ); hnv-unreserved = [ ] / ? : + $ */
export const HEADER_CHARS = charSet('[]/?:+$')

const HEX = '0123456789ABCDEF'

/** Escape every character outside `allowed` as %HH of its UTF-8 bytes (RFC 3261 §19.1.2). */
export function escapeComponent (s: string, allowed: Uint8Array): string {
  let clean = true
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || allowed[c] !== 1) { clean = false; break }
  }
  if (clean) return s
  let out = ''
  for (const ch of s) {
    const c = ch.charCodeAt(0)
    if (c < 128 && allowed[c] === 1) { out += ch; continue }
    for (const b of Buffer.from(ch, 'utf8')) out += '%' + (HEX[b >> 4] ?? '') + (HEX[b & 15] ?? '')
  }
  return out
}
