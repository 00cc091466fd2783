// SipMessage → bytes: start line, header fields in order, Content-Length, empty line, body.
// Content-Length is always written from the body actually sent (RFC 3261 §18.3 makes it mandatory on
// streams and §20.14 requires it to be exact), whatever value a layer above left in the headers.

import type { SipMessage } from '../message/types'
import { SipError } from '../sip-error'

export function serializeMessage (msg: SipMessage): Buffer {
  const startLine = msg.kind === 'request'
    ? `${msg.method} ${msg.uri} ${msg.version}`
    : `${msg.version} ${msg.status} ${msg.reason}`
  if (hasLineBreak(startLine)) {
    throw new SipError(500, 'Server Internal Error', 'SIP_ERR_HEADER_INJECTION', { detail: 'line break in the start line' })
  }
  let head = startLine + '\r\n'
  let lengthWritten = false
  for (const h of msg.headers) {
    if (isContentLength(h.name)) {
      // Keep the position of the first one, drop duplicates.
      if (!lengthWritten) head += `Content-Length: ${msg.body.length}\r\n`
      lengthWritten = true
      continue
    }
    // A CR or LF inside a name or value would let one field smuggle in another (header injection);
    // values built by upper layers from untrusted text must never reach the wire that way.
    if (hasLineBreak(h.value) || hasLineBreak(h.name)) {
      throw new SipError(500, 'Server Internal Error', 'SIP_ERR_HEADER_INJECTION', { detail: `line break in header ${h.name}` })
    }
    head += `${h.name}: ${h.value}\r\n`
  }
  if (!lengthWritten) head += `Content-Length: ${msg.body.length}\r\n`
  head += '\r\n'
  if (msg.body.length === 0) return Buffer.from(head, 'utf8')
  const headLength = Buffer.byteLength(head, 'utf8')
  const out = Buffer.allocUnsafe(headLength + msg.body.length)
  out.write(head, 0, 'utf8')
  msg.body.copy(out, headLength)
  return out
}

function isContentLength (name: string): boolean {
  if (name === 'Content-Length') return true
  if (name.length === 1) return name === 'l' || name === 'L'
  return name.length === 14 && name.toLowerCase() === 'content-length'
}

function hasLineBreak (s: string): boolean {
  return s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
}
