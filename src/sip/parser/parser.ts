// Bytes → SipMessage for ONE complete message (a UDP datagram or a message a stream framer cut out).
// The header section is decoded once and walked with indexOf/charCodeAt: this runs for every message
// of every call, so no regular expressions and no per-character string building.

import type { HeaderField, SipMessage } from '../message/types'
import { SipError } from '../sip-error'
import { knownHeaderName } from '../message/header-names'
import { isToken } from '../message/lexer'
import { findHeaderEnd, skipLeadingCrlf } from './framing'
import { type ParseLimits, resolveLimits } from './limits'
import { SipParseError, parseFailure } from './parse-error'
import { parseStartLine } from './start-line'
import { validateMessage } from './validate'

export type { ParseLimits } from './limits'
export { DEFAULT_PARSE_LIMITS } from './limits'
export { SipParseError } from './parse-error'

const CR = 0x0d
const SP = 0x20
const HTAB = 0x09

/**
 * Parse one message. Throws SipParseError (a SipError) whose status is the response a UAS should
 * send (400, 505, 501, 513); for a response the caller drops instead. The body is exactly
 * Content-Length octets; octets after it are ignored (RFC 3261 §18.3 for datagrams, RFC 4475 §3.1.1.8
 * dblreq). Without Content-Length the body is the rest of the buffer (datagram semantics).
 */
export function parseMessage (buf: Buffer, limits?: Partial<ParseLimits>): SipMessage {
  const lim = resolveLimits(limits)
  if (buf.length > lim.maxMessageBytes) {
    throw parseFailure(513, 'Message Too Large', 'SIP_ERR_MESSAGE_TOO_LARGE',
      `${buf.length} octets exceed ${lim.maxMessageBytes}`)
  }
  const start = skipLeadingCrlf(buf)
  const bodyStart = findHeaderEnd(buf, start)
  if (bodyStart < 0) {
    throw parseFailure(400, 'Bad Request', 'SIP_ERR_INCOMPLETE_MESSAGE', 'no empty line after the header section')
  }
  // Header fields are UTF-8 (RFC 3261 §7.3.1 TEXT-UTF8); decoding once lets every later step work on
  // a JS string. The slice ends with the empty line, which terminates the loop below.
  const head = buf.toString('utf8', start, bodyStart)
  const nl = head.indexOf('\n')
  const msg = parseStartLine(head.slice(0, lineStop(head, 0, nl)))

  let contentLength: number | null
  try {
    readHeaderFields(head, nl + 1, msg.headers, lim)
    contentLength = validateMessage(msg)
  } catch (err) {
    // Keep what was read: the UAS answers a 400 with Via/From/To/Call-ID/CSeq copied from it.
    throw err instanceof SipError && !(err instanceof SipParseError) ? new SipParseError(err, msg) : err
  }

  if (contentLength === null) {
    msg.body = Buffer.from(buf.subarray(bodyStart))
  } else if (bodyStart + contentLength > buf.length) {
    // RFC 4475 §3.1.2.2 clerr: over UDP this is a 400; a stream framer would still be waiting.
    throw parseFailure(400, 'Bad Request', 'SIP_ERR_INCOMPLETE_BODY',
      `Content-Length ${contentLength} but only ${buf.length - bodyStart} body octets`, { partial: msg })
  } else {
    // A copy, not a view: the transport may reuse its receive buffer once this returns.
    msg.body = Buffer.from(buf.subarray(bodyStart, bodyStart + contentLength))
  }
  return msg
}

/** End of the line content: before "\r\n", or before a bare "\n". */
function lineStop (s: string, lineStart: number, nl: number): number {
  const end = nl < 0 ? s.length : nl
  return end > lineStart && s.charCodeAt(end - 1) === CR ? end - 1 : end
}

/**
 * message-header = field-name HCOLON field-value CRLF, with HCOLON = *( SP / HTAB ) ":" SWS and
 * continuation lines starting with SP/HTAB (RFC 3261 §7.3.1: folding is replaced by a single SP).
 */
function readHeaderFields (head: string, pos: number, headers: HeaderField[], lim: Readonly<ParseLimits>): void {
  while (pos < head.length) {
    const nl = head.indexOf('\n', pos)
    const stop = lineStop(head, pos, nl)
    const next = nl < 0 ? head.length : nl + 1
    if (stop === pos) break // the empty line
    if (stop - pos > lim.maxHeaderLineBytes) throw lineTooLong(lim)
    const first = head.charCodeAt(pos)
    if (first === SP || first === HTAB) {
      const last = headers[headers.length - 1]
      if (last === undefined) throw badLine('continuation line before the first header field')
      const cont = head.slice(pos, stop).trim()
      if (cont.length > 0) last.value = last.value.length > 0 ? last.value + ' ' + cont : cont
      if (last.name.length + last.value.length + 2 > lim.maxHeaderLineBytes) throw lineTooLong(lim)
      checkValue(last.value)
      pos = next
      continue
    }
    const colon = head.indexOf(':', pos)
    if (colon < 0 || colon >= stop) throw badLine(`header line without ':': ${head.slice(pos, Math.min(stop, pos + 40))}`)
    let nameEnd = colon
    while (nameEnd > pos && (head.charCodeAt(nameEnd - 1) === SP || head.charCodeAt(nameEnd - 1) === HTAB)) nameEnd--
    let name = knownHeaderName(head, pos, nameEnd)
    if (name === undefined) {
      // Unknown headers keep their own spelling (RFC 4475 §3.1.1.5 C%6Fntact) but must be a token.
      name = head.slice(pos, nameEnd)
      if (!isToken(name)) throw badLine(`header name is not a token: ${name.slice(0, 40)}`)
    }
    let valueStart = colon + 1
    while (valueStart < stop && (head.charCodeAt(valueStart) === SP || head.charCodeAt(valueStart) === HTAB)) valueStart++
    let valueEnd = stop
    while (valueEnd > valueStart && (head.charCodeAt(valueEnd - 1) === SP || head.charCodeAt(valueEnd - 1) === HTAB)) valueEnd--
    const value = head.slice(valueStart, valueEnd)
    checkValue(value)
    if (headers.length >= lim.maxHeaders) {
      throw new SipError(513, 'Message Too Large', 'SIP_ERR_TOO_MANY_HEADERS', { detail: `more than ${lim.maxHeaders} header fields` })
    }
    headers.push({ name, value })
    pos = next
  }
}

/** A CR that does not end a line is not allowed in a field value and would corrupt re-serialization. */
function checkValue (value: string): void {
  if (value.indexOf('\r') >= 0) throw badLine('bare CR in a header field')
}

function badLine (detail: string): SipError {
  return new SipError(400, 'Bad Request', 'SIP_ERR_BAD_HEADER_LINE', { detail })
}

function lineTooLong (lim: Readonly<ParseLimits>): SipError {
  return new SipError(513, 'Message Too Large', 'SIP_ERR_HEADER_LINE_TOO_LONG',
    { detail: `a header field is longer than ${lim.maxHeaderLineBytes} octets` })
}
