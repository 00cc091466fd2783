// message/sipfrag bodies (RFC 3420) as carried by REFER's NOTIFYs (RFC 3515 §2.4.5): the first line
// is a SIP status line telling how the referred INVITE is doing ("SIP/2.0 180 Ringing").
import { SipError } from '../sip/sip-error'

export interface SipfragStatus { status: number, reason: string }

/** RFC 3515 §2.4.5 asks for at least the status line; headers after it are allowed and ignored here. */
const STATUS_LINE = /^SIP\/2\.0 ([1-6][0-9]{2})(?: ([^\r\n]*))?$/

/**
 * Reads the status line of a sipfrag body. A body that is not a SIP status line gets 400 (RFC 3420 §2:
 * the fragment must be a valid start of a SIP message; a request line makes no sense in a REFER NOTIFY).
 */
export function parseSipfrag (body: Buffer | string): SipfragStatus {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  const first = text.replace(/^\s+/, '').split(/\r?\n/, 1)[0] ?? ''
  const m = STATUS_LINE.exec(first.trimEnd())
  if (!m) {
    throw new SipError(400, 'Bad Request', 'SIP_ERR_BAD_SIPFRAG', { detail: `sipfrag body does not start with a SIP/2.0 status line: ${JSON.stringify(first.slice(0, 80))}` })
  }
  return { status: Number(m[1]), reason: (m[2] ?? '').trim() }
}

/** The body we send in our own NOTIFYs (RFC 3515 §2.4.5: "SIP/2.0 100 Trying"). */
export function formatSipfrag (status: number, reason: string): string {
  return `SIP/2.0 ${status} ${reason}\r\n`
}

export const SIPFRAG_CONTENT_TYPE = 'message/sipfrag;version=2.0'

/** True for a Content-Type naming message/sipfrag (parameters and case ignored, RFC 3261 §7.3.1). */
export function isSipfragType (contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';')[0].trim().toLowerCase() === 'message/sipfrag'
}
