// Header field names: canonical spelling, compact forms, and which headers are comma-separated lists.
// RFC 3261 §7.3.1: names are case-insensitive and "Header fields can be ... in compact form"; §7.3.3
// lists the compact letters (plus the ones IANA registered later: RFC 3265, 3515, 3892, 4028, 3841, 4474).

const CANONICAL = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
  'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Diversion',
  'Error-Info', 'Event', 'Expires', 'From', 'History-Info', 'Identity', 'Identity-Info', 'In-Reply-To',
  'Max-Forwards', 'MIME-Version', 'Min-Expires', 'Min-SE', 'Organization', 'P-Asserted-Identity',
  'P-Preferred-Identity', 'Path', 'Priority', 'Privacy', 'Proxy-Authenticate', 'Proxy-Authorization',
  'Proxy-Require', 'RAck', 'Reason', 'Record-Route', 'Refer-To', 'Referred-By', 'Reject-Contact', 'Replaces',
  'Reply-To', 'Request-Disposition', 'Require', 'Retry-After', 'Route', 'RSeq', 'Security-Client',
  'Security-Server', 'Security-Verify', 'Server', 'Service-Route', 'Session-Expires', 'Subject',
  'Subscription-State', 'Supported', 'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning',
  'WWW-Authenticate'
]

const COMPACT: Record<string, string> = {
  i: 'Call-ID',
  m: 'Contact',
  f: 'From',
  t: 'To',
  v: 'Via',
  l: 'Content-Length',
  c: 'Content-Type',
  k: 'Supported',
  e: 'Content-Encoding',
  s: 'Subject',
  o: 'Event',
  r: 'Refer-To',
  b: 'Referred-By',
  x: 'Session-Expires',
  u: 'Allow-Events',
  a: 'Accept-Contact',
  j: 'Reject-Contact',
  d: 'Request-Disposition',
  y: 'Identity',
  n: 'Identity-Info'
}

/** Exact spellings seen on the wire → canonical (one Map lookup on the hot path, no lower-casing). */
const EXACT = new Map<string, string>()
/** Lower-cased spelling → canonical, for the rest (RFC 4475 §3.1.1.1 "MaX-fOrWaRdS"). */
const BY_LOWER = new Map<string, string>()

for (const name of CANONICAL) {
  EXACT.set(name, name)
  BY_LOWER.set(name.toLowerCase(), name)
}
EXACT.set('Call-Id', 'Call-ID')
EXACT.set('Cseq', 'CSeq')
for (const [letter, name] of Object.entries(COMPACT)) {
  EXACT.set(letter, name)
  EXACT.set(letter.toUpperCase(), name)
  BY_LOWER.set(letter, name)
}

/** Canonical long name for a header name (compact forms expanded); unknown names come back as given. */
export function canonicalHeaderName (name: string): string {
  const exact = EXACT.get(name)
  if (exact !== undefined) return exact
  return BY_LOWER.get(name.toLowerCase()) ?? name
}

/** Exact spellings grouped by length: [spelling, canonical, spelling, canonical, …]. */
const EXACT_BY_LENGTH: string[][] = []
/** Compact letters by char code (both cases). */
const COMPACT_BY_CODE: Array<string | undefined> = []
for (const [spelling, canonical] of EXACT) {
  if (spelling.length === 1) {
    COMPACT_BY_CODE[spelling.charCodeAt(0)] = canonical
    continue
  }
  const bucket = EXACT_BY_LENGTH[spelling.length] ?? (EXACT_BY_LENGTH[spelling.length] = [])
  bucket.push(spelling, canonical)
}

/**
 * Canonical name of the known header written at text[start, end) — any case, compact forms
 * expanded — or undefined when unknown. Works in place on the header block: the exact spellings are
 * matched with startsWith, so the common case allocates nothing and hashes nothing.
 */
export function knownHeaderName (text: string, start: number, end: number): string | undefined {
  const length = end - start
  if (length === 1) return COMPACT_BY_CODE[text.charCodeAt(start)]
  const bucket = EXACT_BY_LENGTH[length]
  if (bucket !== undefined) {
    for (let i = 0; i < bucket.length; i += 2) {
      if (text.startsWith(bucket[i] as string, start)) return bucket[i + 1]
    }
  }
  return BY_LOWER.get(text.slice(start, end).toLowerCase())
}

/**
 * Headers whose grammar is `#element` (RFC 3261 §7.3.1): only these may be split at commas. Others —
 * Authorization, WWW-Authenticate, Date, Retry-After, Subject, unknown extension headers — contain
 * commas that are not separators and are always handled as one value per line.
 */
export const LIST_HEADERS = new Set([
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Call-Info', 'Contact', 'Content-Encoding', 'Content-Language', 'Diversion', 'Error-Info', 'History-Info',
  'In-Reply-To', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Path', 'Proxy-Require', 'Reason',
  'Record-Route', 'Reject-Contact', 'Request-Disposition', 'Require', 'Route', 'Security-Client',
  'Security-Server', 'Security-Verify', 'Service-Route', 'Supported', 'Unsupported', 'Via', 'Warning'
])
