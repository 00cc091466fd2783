// API key check in constant time: both sides are hashed to SHA-256 first so timingSafeEqual always
// compares 32 equal-length digests (it throws on unequal lengths, which would leak the key length),
// and every configured key is compared without an early exit.
import crypto from 'node:crypto'

export class ApiKeys {
  private readonly digests: Buffer[]

  constructor (keys: readonly string[]) {
    if (keys.length === 0) throw new Error('API_ERR_NO_KEYS: the control API needs at least one API key')
    this.digests = keys.map(k => digest(k))
  }

  /** True when `presented` equals one of the keys. */
  verify (presented: string | undefined): boolean {
    if (presented === undefined || presented === '') return false
    const d = digest(presented)
    let ok = false
    for (const k of this.digests) ok = crypto.timingSafeEqual(d, k) || ok
    return ok
  }
}

function digest (s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest()
}

/** Keys from the configuration plus TRUNKGATE_API_KEY (comma-separated allowed, for rotation). */
export function apiKeysFrom (configured: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.TRUNKGATE_API_KEY ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
  return [...new Set([...configured, ...fromEnv])]
}
