// The smallest SDP handling a dialog needs to answer a hold/unhold re-INVITE by itself (RFC 3264 §6.1, §8.4)
// without the full SDP library: read the offered direction, and write our last SDP back with the answering
// direction and a bumped o= version (RFC 3264 §8: a changed description MUST increment the version).

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'

const DIRECTION_LINE = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/

/**
 * The direction of the offer: the first media section's attribute, else the session-level one, else sendrecv
 * (RFC 3264 §5.1: absent means sendrecv). A connection address of 0.0.0.0 is the RFC 2543 way to hold (§8.4).
 */
export function sdpDirection (sdp: string): MediaDirection {
  const lines = sdp.split(/\r?\n/)
  let session: MediaDirection | null = null
  let media: MediaDirection | null = null
  let inMedia = false
  let mediaSeen = false
  let nullConnection = false
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (mediaSeen) break // only the first media section decides
      inMedia = true
      mediaSeen = true
      continue
    }
    const m = DIRECTION_LINE.exec(line)
    if (m) {
      if (inMedia) media = m[1] as MediaDirection
      else session = m[1] as MediaDirection
    }
    if (/^c=IN IP4 0\.0\.0\.0\s*$/.test(line)) nullConnection = true
  }
  const dir = media ?? session ?? 'sendrecv'
  if (nullConnection && dir === 'sendrecv') return 'sendonly'
  return dir
}

/** RFC 3264 §6.1: the answer's direction for an offered direction. */
export function answerDirection (offered: MediaDirection): MediaDirection {
  switch (offered) {
    case 'sendonly': return 'recvonly'
    case 'recvonly': return 'sendonly'
    case 'inactive': return 'inactive'
    default: return 'sendrecv'
  }
}

/** Is the peer putting us on hold (it will not receive, or sends nothing at all)? */
export function isHoldDirection (offered: MediaDirection): boolean {
  return offered === 'sendonly' || offered === 'inactive'
}

/**
 * `sdp` with every direction attribute removed and `dir` written into each media section (or at session level
 * when there is none). The o= version is incremented when the result differs from the input.
 */
export function withDirection (sdp: string, dir: MediaDirection): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n'
  const lines = sdp.split(/\r?\n/)
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const out: string[] = []
  let inMedia = false
  let hasMedia = false
  for (const line of lines) {
    if (DIRECTION_LINE.test(line)) continue
    if (line.startsWith('m=')) {
      if (inMedia) out.push(`a=${dir}`)
      inMedia = true
      hasMedia = true
    }
    out.push(line)
  }
  if (hasMedia) out.push(`a=${dir}`)
  else out.push(`a=${dir}`)
  const result = out.join(eol) + eol
  return normalizeEol(result) === normalizeEol(sdp.endsWith(eol) ? sdp : sdp + eol) ? sdp : bumpOriginVersion(result)
}

function normalizeEol (s: string): string { return s.replace(/\r\n/g, '\n') }

/** RFC 8866 §5.2 o=<username> <sess-id> <sess-version> …: increment sess-version. */
export function bumpOriginVersion (sdp: string): string {
  return sdp.replace(/^(o=\S+ \S+ )(\d+)/m, (_all, head: string, version: string) => {
    return head + (BigInt(version) + 1n).toString()
  })
}
