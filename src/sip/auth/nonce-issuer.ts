import crypto from 'node:crypto'

export type NonceState = 'valid' | 'stale' | 'invalid'

/**
 * Stateless server nonces (RFC 7616 §3.3 "nonce"; RFC 3261 §22.4): each carries its issue time and an
 * HMAC over (time, random, realm) under a per-process secret, so the server needs no table of issued
 * nonces, can tell an expired nonce of its own (stale=true) from a forged one, and a nonce issued for
 * one realm does not validate in another.
 */
export class NonceIssuer {
  private readonly secret: Buffer
  private readonly ttlMs: number
  private readonly clock: () => number

  constructor (opts: { secret?: Buffer; ttlMs: number; clock: () => number }) {
    this.secret = opts.secret ?? crypto.randomBytes(32)
    this.ttlMs = opts.ttlMs
    this.clock = opts.clock
  }

  issue (realm: string): string {
    const head = Buffer.alloc(14)
    head.writeUIntBE(Math.floor(this.clock()), 0, 6)
    crypto.randomFillSync(head, 6, 8)
    return Buffer.concat([head, this.mac(head, realm)]).toString('base64url')
  }

  check (nonce: string, realm: string): NonceState {
    if (!/^[A-Za-z0-9_-]{40}$/.test(nonce)) return 'invalid'
    const raw = Buffer.from(nonce, 'base64url')
    if (raw.length !== 30) return 'invalid'
    const head = raw.subarray(0, 14)
    if (!crypto.timingSafeEqual(raw.subarray(14), this.mac(head, realm))) return 'invalid'
    const issued = head.readUIntBE(0, 6)
    const age = this.clock() - issued
    // A nonce from the future means the clock went back or the secret leaked: refuse it either way.
    if (age < 0 || age > this.ttlMs) return age < 0 ? 'invalid' : 'stale'
    return 'valid'
  }

  /** Expiry time of a nonce that check() accepted (used to bound the nonce-count table). */
  expiresAt (nonce: string): number {
    return Buffer.from(nonce, 'base64url').readUIntBE(0, 6) + this.ttlMs
  }

  private mac (head: Buffer, realm: string): Buffer {
    return crypto.createHmac('sha256', this.secret).update(head).update(realm).digest().subarray(0, 16)
  }
}
