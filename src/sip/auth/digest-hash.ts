import crypto from 'node:crypto'

// RFC 7616 §3.4.1-3.4.3 / RFC 8760 §2: response = KD(H(A1), nonce:nc:cnonce:qop:H(A2)), hex lower-case.

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess'
export type DigestQop = 'auth' | 'auth-int'

const hashNames: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' }

/** Canonical algorithm name (case-insensitive match per RFC 7616 §3.3), or null when unsupported. */
export function canonicalAlgorithm (name: string | undefined): DigestAlgorithm | null {
  // RFC 2617 §3.2.1: an absent algorithm directive means MD5.
  if (name === undefined) return 'MD5'
  const upper = name.toUpperCase()
  const all: DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess']
  return all.find(a => a.toUpperCase() === upper) ?? null
}

export function digestHash (algorithm: DigestAlgorithm, data: string | Buffer): string {
  const base = algorithm.replace(/-sess$/, '')
  return crypto.createHash(hashNames[base]).update(data).digest('hex')
}

export interface DigestInput {
  algorithm: DigestAlgorithm
  username: string
  realm: string
  password: string
  method: string
  uri: string
  nonce: string
  /** Absent for RFC 2069 compatibility (no qop): response = KD(HA1, nonce:HA2). */
  qop?: DigestQop
  nc?: string
  cnonce?: string
  body?: Buffer
}

export function computeDigestResponse (d: DigestInput): string {
  let ha1 = digestHash(d.algorithm, `${d.username}:${d.realm}:${d.password}`)
  if (d.algorithm.endsWith('-sess')) {
    // RFC 7616 §3.4.2: the -sess variants mix the nonces into A1.
    ha1 = digestHash(d.algorithm, `${ha1}:${d.nonce}:${d.cnonce ?? ''}`)
  }
  const a2 = d.qop === 'auth-int'
    ? `${d.method}:${d.uri}:${digestHash(d.algorithm, d.body ?? Buffer.alloc(0))}`
    : `${d.method}:${d.uri}`
  const ha2 = digestHash(d.algorithm, a2)
  if (d.qop === undefined) return digestHash(d.algorithm, `${ha1}:${d.nonce}:${ha2}`)
  return digestHash(d.algorithm, `${ha1}:${d.nonce}:${d.nc ?? ''}:${d.cnonce ?? ''}:${d.qop}:${ha2}`)
}
