// RFC 3261 §25.1 / RFC 7616 §3.3-3.4: `Digest` followed by a comma-separated list of auth-params,
// values either tokens or quoted-strings (with \-escapes). Used for both challenges and credentials.

export interface AuthHeaderValue {
  /** Lower-cased auth scheme ('digest', 'basic', …). */
  scheme: string
  /** Parameter names lower-cased; values unquoted and unescaped. */
  params: Map<string, string>
}

/** Returns null when the value is not `scheme param=value, …` (the caller decides the SIP status). */
export function parseAuthHeader (value: string): AuthHeaderValue | null {
  const m = /^\s*([A-Za-z0-9!%'*+\-.^_`|~]+)\s*/.exec(value)
  if (!m) return null
  const params = new Map<string, string>()
  let i = m[0].length
  const s = value
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++
    if (i >= s.length) break
    const nameMatch = /^[A-Za-z0-9!%'*+\-.^_`|~]+/.exec(s.slice(i))
    if (!nameMatch) return null
    const name = nameMatch[0].toLowerCase()
    i += nameMatch[0].length
    while (s[i] === ' ' || s[i] === '\t') i++
    if (s[i] !== '=') return null
    i++
    while (s[i] === ' ' || s[i] === '\t') i++
    let val = ''
    if (s[i] === '"') {
      i++
      let closed = false
      while (i < s.length) {
        const c = s[i]
        if (c === '\\' && i + 1 < s.length) { val += s[i + 1]; i += 2; continue }
        if (c === '"') { closed = true; i++; break }
        val += c
        i++
      }
      if (!closed) return null
    } else {
      const tok = /^[^\s,"]*/.exec(s.slice(i))
      val = tok ? tok[0] : ''
      i += val.length
    }
    if (params.has(name)) return null // RFC 7616 §3.4: each directive at most once
    params.set(name, val)
    while (s[i] === ' ' || s[i] === '\t') i++
    if (i < s.length && s[i] !== ',') return null
  }
  return { scheme: m[1].toLowerCase(), params }
}

/** quoted-string per RFC 3261 §25.1 (escape '"' and '\'). */
export function quote (value: string): string {
  return `"${value.replace(/[\\"]/g, c => '\\' + c)}"`
}
