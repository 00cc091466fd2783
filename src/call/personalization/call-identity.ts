// Who is calling and which call this is, from the INVITE's headers (seed "SIP trunking → Client
// Data and Personalization"): X-CALL-ID and X-CALLER-ID first; without X-CALL-ID, Twilio's call SID
// (seed: `sip.twilio.callSid`; Twilio Elastic SIP Trunking sends it as `X-Twilio-CallSid`); then the
// From user for the caller and the SIP Call-ID for the call.

/** Case-insensitive header lookup returning the first value (e.g. getHeader bound to the message). */
export type HeaderLookup = (name: string) => string | undefined

export interface CallIdentity {
  call_id: string
  caller_id: string
  /** Twilio call SID when the call came through Twilio, else null. */
  call_sid: string | null
  source: { callId: 'x-call-id' | 'twilio' | 'sip-call-id'; callerId: 'x-caller-id' | 'from' }
}

export const TWILIO_CALL_SID_HEADERS = ['sip.twilio.callSid', 'X-Twilio-CallSid'] as const

function present (v: string | undefined): string | undefined {
  const t = v?.trim()
  return t ? t : undefined
}

function unescapeUser (s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s   // a stray % is kept as written rather than failing the call
  }
}

/** The user part of the URI in a From/To value: `"Bob" <sip:+1555@host;x=y>;tag=1` → `+1555`. */
export function userOfNameAddr (value: string): string {
  const inAngle = /<([^>]*)>/.exec(value)
  const uri = (inAngle ? inAngle[1] : value.split(';')[0]).trim()
  const colon = uri.indexOf(':')
  if (colon < 0) return ''
  const scheme = uri.slice(0, colon).toLowerCase()
  const rest = uri.slice(colon + 1)
  if (scheme === 'tel') return unescapeUser(rest.split(';')[0])
  const at = rest.lastIndexOf('@')
  if (at < 0) return ''
  // RFC 3261 §19.1.1 userinfo = user [":" password] "@"
  return unescapeUser(rest.slice(0, at).split(':')[0])
}

export function callIdentity (header: HeaderLookup): CallIdentity {
  const xCallId = present(header('X-CALL-ID'))
  const xCallerId = present(header('X-CALLER-ID'))
  let twilioSid: string | undefined
  for (const name of TWILIO_CALL_SID_HEADERS) {
    twilioSid = present(header(name))
    if (twilioSid) break
  }
  const fromUser = userOfNameAddr(header('From') ?? '')
  const sipCallId = present(header('Call-ID')) ?? ''
  return {
    call_id: xCallId ?? twilioSid ?? sipCallId,
    caller_id: xCallerId ?? fromUser,
    call_sid: twilioSid ?? null,
    source: {
      callId: xCallId ? 'x-call-id' : twilioSid ? 'twilio' : 'sip-call-id',
      callerId: xCallerId ? 'x-caller-id' : 'from'
    }
  }
}
