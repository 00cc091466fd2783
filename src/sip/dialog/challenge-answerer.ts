import type { HeaderField, SipResponse } from '../message/types'
import { getHeaders } from '../message/headers'
import { buildDigestAuthorization } from '../auth/digest-client'
import { parseAuthHeader } from '../auth/auth-params'

export interface Credentials { username: string, password: string }

/**
 * Answers 401/407 digest challenges for one call leg (RFC 3261 §22.2, §8.1.3.5) without looping: each nonce is
 * answered once — the same nonce challenged again means the credentials were refused, unless the server says
 * stale=true (RFC 7616 §3.3: right password, old nonce) — and at most maxAttempts answers in all.
 */
export class ChallengeAnswerer {
  private readonly answered = new Set<string>()
  private attempts = 0

  constructor (private readonly creds: Credentials, private readonly maxAttempts = 3) {}

  /** The Authorization / Proxy-Authorization header for a retry, or null when we must give up. */
  answer (res: SipResponse, method: string, uri: string, body: Buffer): HeaderField | null {
    if (res.status !== 401 && res.status !== 407) return null
    if (this.attempts >= this.maxAttempts) return null
    const proxy = res.status === 407
    const challenge = getHeaders(res, proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate').find((c) => /^\s*digest\s/i.test(c))
    if (!challenge) return null
    const parsed = parseAuthHeader(challenge)
    const nonce = parsed?.params.get('nonce') ?? ''
    const stale = (parsed?.params.get('stale') ?? '').toLowerCase() === 'true'
    if (this.answered.has(nonce) && !stale) return null
    let value: string
    try {
      value = buildDigestAuthorization({ challenge, method, uri, username: this.creds.username, password: this.creds.password, body })
    } catch {
      return null // a challenge we cannot answer (unknown algorithm/qop): the failure stands
    }
    this.answered.add(nonce)
    this.attempts++
    return { name: proxy ? 'Proxy-Authorization' : 'Authorization', value }
  }
}
