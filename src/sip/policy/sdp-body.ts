// Finding the session description in a request body: a bare application/sdp body, or the
// application/sdp part of a multipart/mixed body (RFC 5621 — e.g. SDP plus ISUP from a carrier).

export interface MediaType { type: string; params: Map<string, string> }

/** 'application/SDP; charset=x' -> {type: 'application/sdp', params}. Null when not type/subtype. */
export function parseMediaType (value: string): MediaType | null {
  const [head, ...rest] = splitParams(value)
  const type = head.trim().toLowerCase()
  if (!/^[a-z0-9!#$%&'*+\-.^_`|~]+\/[a-z0-9!#$%&'*+\-.^_`|~]+$/.test(type)) return null
  const params = new Map<string, string>()
  for (const p of rest) {
    const eq = p.indexOf('=')
    if (eq === -1) continue
    let v = p.slice(eq + 1).trim()
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1)
    params.set(p.slice(0, eq).trim().toLowerCase(), v)
  }
  return { type, params }
}

/**
 * The SDP inside a body of the given Content-Type, or null when there is none. Never throws:
 * a multipart body we cannot take apart simply has no SDP for us (-> 415 at the caller).
 */
export function findSdp (contentType: string, body: Buffer): Buffer | null {
  const media = parseMediaType(contentType)
  if (!media) return null
  if (media.type === 'application/sdp') return body
  if (media.type !== 'multipart/mixed' && media.type !== 'multipart/alternative') return null
  const boundary = media.params.get('boundary')
  if (!boundary) return null
  // RFC 2046 §5.1.1: parts are separated by CRLF--boundary; the first delimiter may open the body.
  const delimiter = Buffer.from(`--${boundary}`)
  let pos = body.indexOf(delimiter)
  while (pos !== -1) {
    let start = pos + delimiter.length
    if (body.subarray(start, start + 2).toString() === '--') return null // close-delimiter
    const lineEnd = body.indexOf('\n', start)
    if (lineEnd === -1) return null
    start = lineEnd + 1
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start)
    const partEnd = next === -1 ? body.length : next
    const part = body.subarray(start, partEnd)
    const headerEnd = part.indexOf('\r\n\r\n')
    const headerText = headerEnd === -1 ? part.toString('latin1') : part.subarray(0, headerEnd).toString('latin1')
    const partBody = headerEnd === -1 ? Buffer.alloc(0) : part.subarray(headerEnd + 4)
    // RFC 2046 §5.1: a part without Content-Type is text/plain.
    const ct = /^content-type[ \t]*:[ \t]*(.*)$/im.exec(headerText)
    if (ct && parseMediaType(ct[1])?.type === 'application/sdp') return partBody
    if (next === -1) return null
    pos = next + 2
  }
  return null
}

function splitParams (value: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (const c of value) {
    if (c === '"') quoted = !quoted
    if (c === ';' && !quoted) { out.push(cur); cur = '' } else cur += c
  }
  out.push(cur)
  return out
}
