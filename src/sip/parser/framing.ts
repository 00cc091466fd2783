// Where the header section ends. Exported for stream transports, which must find message boundaries
// before a message can be parsed (RFC 3261 §18.3).

import { SipError } from '../sip-error'
import { knownHeaderName } from '../message/header-names'
import { parseContentLength } from '../message/scalars'

const CRLFCRLF = Buffer.from('\r\n\r\n')
const LFLF = Buffer.from('\n\n')

/**
 * Offset of the first body octet (just after the empty line), or -1 when the header section is not
 * complete yet. RFC 3261 §7 requires CRLF; a bare LF line ending is tolerated as most stacks do, so
 * "\n\n" ends the section too when it comes first.
 */
export function findHeaderEnd (buf: Buffer, from: number = 0): number {
  const crlf = buf.indexOf(CRLFCRLF, from)
  const lfSearchEnd = crlf < 0 ? buf.length : crlf
  const lf = buf.subarray(0, lfSearchEnd).indexOf(LFLF, from)
  if (lf >= 0) return lf + 2
  return crlf < 0 ? -1 : crlf + 4
}

/** Offset of the first octet that is not a CR or LF: RFC 3261 §7.5 says CRLFs before a start line are ignored. */
export function skipLeadingCrlf (buf: Buffer, from: number = 0): number {
  let pos = from
  while (pos < buf.length && (buf[pos] === 0x0d || buf[pos] === 0x0a)) pos++
  return pos
}

/**
 * The Content-Length of the header section buf[start, bodyStart) — null when absent — for a stream
 * framer that must know how many body octets to wait for before the message can be parsed. A
 * repeated, negative or non-numeric value throws SipError 400 with closeConnection: the framing of
 * the stream is lost (RFC 3261 §18.3; RFC 4475 §3.1.2.3 ncl, §3.3.9 mcl01).
 */
export function readContentLength (buf: Buffer, start: number, bodyStart: number): number | null {
  // latin1 maps octets 1:1, enough to find an ASCII header name and digits.
  const head = buf.toString('latin1', start, bodyStart)
  let value: string | null = null
  let inContentLength = false
  let pos = 0
  while (pos < head.length) {
    let nl = head.indexOf('\n', pos)
    if (nl < 0) nl = head.length
    const stop = nl > pos && head.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl
    const first = head.charCodeAt(pos)
    if (first === 0x20 || first === 0x09) {
      // A folded Content-Length value continues on this line (RFC 3261 §7.3.1).
      if (inContentLength) value += ' ' + head.slice(pos, stop).trim()
    } else {
      inContentLength = false
      const colon = head.indexOf(':', pos)
      if (colon >= 0 && colon < stop) {
        let nameEnd = colon
        while (nameEnd > pos && (head.charCodeAt(nameEnd - 1) === 0x20 || head.charCodeAt(nameEnd - 1) === 0x09)) nameEnd--
        if (knownHeaderName(head, pos, nameEnd) === 'Content-Length') {
          if (value !== null) {
            throw new SipError(400, 'Bad Request', 'SIP_ERR_BAD_CONTENT_LENGTH',
              { detail: 'more than one Content-Length', closeConnection: true })
          }
          value = head.slice(colon + 1, stop).trim()
          inContentLength = true
        }
      }
    }
    pos = nl + 1
  }
  return value === null ? null : parseContentLength(value.trim())
}
