// Request-Line and Status-Line (RFC 3261 §7.1, §7.2, §25.1):
//   Request-Line = Method SP Request-URI SP SIP-Version CRLF
//   Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF
// Exactly one SP between elements: RFC 4475 §3.1.2.8–3.1.2.10 (lwsruri, lwsstart, trws) are all
// rejected with 400 rather than guessed at, so no extra SP can ever be forwarded.

import type { SipRequest, SipResponse } from '../message/types'
import { isDigit, isToken } from '../message/lexer'
import { parseFailure } from './parse-error'

export const SIP_VERSION = 'SIP/2.0'

/** Placeholder until the parser cuts the body; zero-length, so sharing it is harmless. */
const EMPTY_BODY = Buffer.alloc(0)

function badStartLine (detail: string): Error {
  return parseFailure(400, 'Bad Request', 'SIP_ERR_BAD_START_LINE', detail)
}

/**
 * SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT. Literal ABNF strings are case-insensitive. A
 * well-formed version other than 2.0 is 505 (RFC 3261 §8.2.2 via §21.5.7; RFC 4475 §3.1.2.16 badvers).
 */
function checkVersion (v: string): string {
  if (v === SIP_VERSION) return v
  const upper = v.toUpperCase()
  if (upper === SIP_VERSION) return SIP_VERSION
  let pos = 4
  if (!upper.startsWith('SIP/')) throw badStartLine(`bad SIP-Version: ${v}`)
  const majorStart = pos
  while (pos < v.length && isDigit(v.charCodeAt(pos))) pos++
  const dot = pos
  if (dot === majorStart || v.charCodeAt(dot) !== 0x2e) throw badStartLine(`bad SIP-Version: ${v}`)
  pos++
  const minorStart = pos
  while (pos < v.length && isDigit(v.charCodeAt(pos))) pos++
  if (pos === minorStart || pos !== v.length) throw badStartLine(`bad SIP-Version: ${v}`)
  throw parseFailure(505, 'Version Not Supported', 'SIP_ERR_VERSION_NOT_SUPPORTED', `SIP version ${v}`)
}

export function parseStartLine (line: string): SipRequest | SipResponse {
  // Only CRLF ends the line; a CR inside it (e.g. in a Reason-Phrase) could never be written back.
  if (line.indexOf('\r') >= 0) throw badStartLine('bare CR in the start line')
  if (line.length >= 4 && (line.charCodeAt(0) | 0x20) === 0x73 && (line.charCodeAt(1) | 0x20) === 0x69 &&
      (line.charCodeAt(2) | 0x20) === 0x70 && line.charCodeAt(3) === 0x2f) {
    return parseStatusLine(line)
  }
  return parseRequestLine(line)
}

function parseRequestLine (line: string): SipRequest {
  const sp1 = line.indexOf(' ')
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1)
  if (sp2 < 0) throw badStartLine('Request-Line needs Method SP Request-URI SP SIP-Version')
  if (line.indexOf(' ', sp2 + 1) >= 0) throw badStartLine('extra SP in Request-Line')
  const method = line.slice(0, sp1)
  if (!isToken(method)) throw badStartLine('method is not a token')
  const uri = line.slice(sp1 + 1, sp2)
  if (uri.length === 0) throw badStartLine('empty Request-URI (or two SP in a row)')
  const version = checkVersion(line.slice(sp2 + 1))
  return { kind: 'request', method, uri, version, headers: [], body: EMPTY_BODY }
}

/**
 * Status-Code = 3DIGIT, and RFC 3261 §21 only defines 100–699. Anything else — RFC 4475 §3.1.2.19
 * bigcode sends 4294967301 to trap 32-bit overflow — is an error the caller turns into a drop,
 * since a response is never answered.
 */
function parseStatusLine (line: string): SipResponse {
  const sp1 = line.indexOf(' ')
  if (sp1 < 0) throw badStartLine('Status-Line needs SIP-Version SP Status-Code')
  const version = checkVersion(line.slice(0, sp1))
  let pos = sp1 + 1
  const codeStart = pos
  while (pos < line.length && isDigit(line.charCodeAt(pos))) pos++
  const digits = pos - codeStart
  const status = digits === 3 ? Number(line.slice(codeStart, pos)) : -1
  if (status < 100 || status > 699 || (pos < line.length && line.charCodeAt(pos) !== 0x20)) {
    throw parseFailure(400, 'Bad Request', 'SIP_ERR_BAD_STATUS_CODE', `bad Status-Code in: ${line.slice(0, 40)}`)
  }
  // Reason-Phrase may be empty ("SIP/2.0 100 ", RFC 4475 §3.1.1.13 noreason); the SP before it is
  // tolerated when missing.
  const reason = pos < line.length ? line.slice(pos + 1) : ''
  return { kind: 'response', status, reason, version, headers: [], body: EMPTY_BODY }
}
