// DTMF carried in SIP INFO (RFC 6086 INFO framework, legacy bodies without Info-Package):
//   application/dtmf-relay   "Signal=5\r\nDuration=160\r\n"   (Cisco/SIPp/most PBXs; Duration in ms)
//   application/dtmf         "5"                               (a bare digit; duration unknown)
// A body we cannot read gets a precise answer: 415 with Accept for an unknown type (RFC 3261
// §21.4.13), 400 for a known type with an unreadable body.
import { SipError } from '../sip/sip-error'

export interface InfoDtmf { digit: string; durationMs: number }

export const INFO_DTMF_TYPES = ['application/dtmf-relay', 'application/dtmf'] as const

/** Default when the body gives none: the RFC 4733 §2.5.1.3 recommended minimum tone length is 40 ms; 100 is usual. */
const DEFAULT_DURATION_MS = 100

/** Signal values: digits, * #, A-D, and the numeric event codes 10 (*) and 11 (#) some PBXs send. */
function normalizeSignal (raw: string): string | null {
  const s = raw.trim().toUpperCase()
  if (/^[0-9*#A-D]$/.test(s)) return s
  if (s === '10') return '*'
  if (s === '11') return '#'
  if (/^1[2-5]$/.test(s)) return 'ABCD'[Number(s) - 12]
  return null
}

/**
 * The digit in an INFO request. Returns null for an INFO without body (an RFC 6086 keep-alive or
 * session probe: answered 200, nothing for the engine). Throws SipError 415/400 otherwise.
 */
export function parseInfoDtmf (contentType: string | undefined, body: Buffer): InfoDtmf | null {
  if (body.length === 0) return null
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase()
  if (type === 'application/dtmf-relay') {
    let digit: string | null = null
    let durationMs = DEFAULT_DURATION_MS
    for (const line of body.toString('utf8').split(/\r?\n/)) {
      const m = /^\s*([A-Za-z-]+)\s*=\s*(.*?)\s*$/.exec(line)
      if (!m) continue
      const key = m[1].toLowerCase()
      if (key === 'signal') digit = normalizeSignal(m[2])
      else if (key === 'duration') {
        const d = Number(m[2])
        if (Number.isInteger(d) && d > 0 && d <= 60000) durationMs = d
      }
    }
    if (digit === null) throw badBody('application/dtmf-relay body has no valid Signal= line (0-9 * # A-D)')
    return { digit, durationMs }
  }
  if (type === 'application/dtmf') {
    const digit = normalizeSignal(body.toString('utf8'))
    if (digit === null) throw badBody('application/dtmf body is not one DTMF digit (0-9 * # A-D)')
    return { digit, durationMs: DEFAULT_DURATION_MS }
  }
  throw new SipError(415, 'Unsupported Media Type', 'CALL_ERR_INFO_TYPE', {
    detail: `INFO body of type "${type || '(none)'}" is not understood`,
    headers: [{ name: 'Accept', value: INFO_DTMF_TYPES.join(', ') }]
  })
}

function badBody (detail: string): SipError {
  return new SipError(400, 'Bad Request', 'CALL_ERR_INFO_BODY', { detail })
}
