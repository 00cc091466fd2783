// Checks a freshly split message before anyone acts on it: the headers every transaction and dialog
// depends on must be present once and well-formed (RFC 3261 §8.1.1, §8.2.2, §7.3.1), so the layers
// above can call the typed accessors without a second line of defence — and a request the call would
// fail on later (Record-Route, Allow, Require…) gets its 400 before any 180, never a 180 then a 500. Returns the Content-Length
// (null when absent) because the body cannot be cut before this is known to be trustworthy.

import type { SipMessage } from '../message/types'
import { SipError } from '../sip-error'
import { badHeader, splitList } from '../message/lexer'
import { KNOWN_METHODS } from '../message/methods'
import { parseNameAddr } from '../message/name-addr'
import { parseContentLength, parseCSeq, parseMaxForwards } from '../message/scalars'
import { parseUri } from '../message/uri'
import { parseVia } from '../message/via'

/** Throws SipError; the parser wraps it with the partial message. */
export function validateMessage (msg: SipMessage): number | null {
  let from: string | undefined
  let to: string | undefined
  let callId: string | undefined
  let cseq: string | undefined
  let maxForwards: string | undefined
  let contentLength: string | undefined
  let viaCount = 0
  const isRequest = msg.kind === 'request'

  for (const h of msg.headers) {
    switch (h.name) {
      case 'Record-Route':
        // §12.1.1: the route set of the dialog comes from here; every element must be a usable name-addr
        // now, not when the dialog is built after a 180 has already gone out.
        if (isRequest) {
          for (const item of splitList(h.value)) {
            if (item.length === 0) throw badHeader('SIP_ERR_BAD_NAME_ADDR', 'empty Record-Route element')
            parseNameAddr(item)
          }
        }
        break
      case 'Route': case 'Allow': case 'Supported': case 'Require': case 'Proxy-Require':
        // Read as lists while the call is set up (routing, the peer's methods, option tags): a list that
        // does not split (an unterminated quote or '<') is a 400 before any provisional response.
        if (isRequest) splitList(h.value)
        break
      case 'Via':
        for (const item of splitList(h.value)) {
          if (item.length === 0) throw badHeader('SIP_ERR_BAD_VIA', 'empty Via element')
          parseVia(item)
          viaCount++
        }
        break
      case 'Contact':
        for (const item of splitList(h.value)) {
          if (item.length === 0) throw badHeader('SIP_ERR_BAD_NAME_ADDR', 'empty Contact element')
          parseNameAddr(item)
        }
        break
      case 'From': from = once(from, h.value, 'From'); break
      case 'To': to = once(to, h.value, 'To'); break
      case 'Call-ID': callId = once(callId, h.value, 'Call-ID'); break
      case 'CSeq': cseq = once(cseq, h.value, 'CSeq'); break
      case 'Max-Forwards': maxForwards = once(maxForwards, h.value, 'Max-Forwards'); break
      case 'Content-Length':
        // Two Content-Lengths leave the body length unknowable (RFC 4475 §3.3.9 mcl01): over a
        // stream the connection cannot be trusted any more.
        if (contentLength !== undefined) {
          throw new SipError(400, 'Bad Request', 'SIP_ERR_BAD_CONTENT_LENGTH',
            { detail: 'more than one Content-Length', closeConnection: true })
        }
        contentLength = h.value
        break
    }
  }

  // Framing first: it decides whether the connection survives this error.
  const length = contentLength === undefined ? null : parseContentLength(contentLength)

  // RFC 3261 §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via are mandatory; Max-Forwards is not
  // enforced because RFC 2543 peers omit it and RFC 4475 §3.4.1 (inv2543) asks us to accept them.
  if (callId === undefined) throw missing('Call-ID')
  if (from === undefined) throw missing('From')
  if (to === undefined) throw missing('To')
  if (cseq === undefined) throw missing('CSeq')
  if (viaCount === 0) throw missing('Via')

  if (callId.length === 0 || callId.indexOf(',') >= 0) throw badHeader('SIP_ERR_BAD_CALL_ID', `bad Call-ID: ${callId}`)
  parseNameAddr(singleElement(from, 'From'))
  parseNameAddr(singleElement(to, 'To'))
  const cs = parseCSeq(cseq)
  if (maxForwards !== undefined) parseMaxForwards(maxForwards)

  if (msg.kind === 'request') {
    if (cs.method !== msg.method) {
      // RFC 4475 §3.1.2.17/18: a mismatch is a 400, unless the Request-Line method is one we do not
      // implement at all — then 501 is the more useful answer (mismatch02).
      if (!KNOWN_METHODS.has(msg.method)) {
        throw new SipError(501, 'Not Implemented', 'SIP_ERR_METHOD_NOT_IMPLEMENTED',
          { detail: `unknown method ${msg.method} (CSeq says ${cs.method})` })
      }
      throw badHeader('SIP_ERR_CSEQ_METHOD_MISMATCH', `CSeq method ${cs.method} does not match ${msg.method}`)
    }
    const ruri = parseUri(msg.uri)
    // RFC 3261 §19.1.1 Table 1: headers are not allowed in a Request-URI. Rejecting them is the
    // RFC 4475 §3.1.2.11 (escruri) option that can never turn them into real headers downstream.
    if ((ruri.scheme === 'sip' || ruri.scheme === 'sips') && ruri.headers.size > 0) {
      throw badHeader('SIP_ERR_BAD_REQUEST_URI', 'headers are not allowed in the Request-URI')
    }
  }
  return length
}

function once (previous: string | undefined, value: string, name: string): string {
  if (previous !== undefined) throw badHeader('SIP_ERR_MULTIPLE_VALUES', `more than one ${name} header`)
  return value
}

function singleElement (value: string, name: string): string {
  if (value.indexOf(',') >= 0 && splitList(value).length > 1) {
    throw badHeader('SIP_ERR_MULTIPLE_VALUES', `more than one ${name} value`)
  }
  return value
}

function missing (name: string): Error {
  return badHeader('SIP_ERR_MISSING_HEADER', `missing ${name}`)
}
