import crypto from 'node:crypto'
import type { HeaderField, SipRequest } from '../message/types'
import { parseUri } from '../message/uri'
import { SipError } from '../sip-error'
import { parseAuthHeader, quote } from './auth-params'
import { canonicalAlgorithm, computeDigestResponse, type DigestAlgorithm, type DigestQop } from './digest-hash'
import { FailureRateLimiter } from './failure-rate-limiter'
import { NonceIssuer } from './nonce-issuer'

/** What one trunk accepts: its credentials and the algorithms it offers, in preference order. */
export interface DigestCredentials {
  username: string
  password: string
  realm: string
  algorithms: ReadonlyArray<'SHA-256' | 'MD5'>
}

export interface DigestAuthenticatorOptions {
  secret?: Buffer
  /** Lifetime of a nonce; after it a correct answer gets 401 stale=true (RFC 7616 §3.3). */
  nonceTtlMs?: number
  maxFailures?: number
  failureWindowMs?: number
  blockMs?: number
  clock?: () => number
  /** Told once when a source gets blocked (for the log). */
  onBlocked?: (source: string) => void
}

export interface AuthSuccess { username: string; algorithm: DigestAlgorithm }

/**
 * Server side of SIP digest authentication for a UAS (RFC 3261 §22.2 with RFC 8760 algorithms):
 * `authenticate()` returns when the request carries valid credentials and otherwise throws the SipError
 * to answer with — 401 + WWW-Authenticate challenges (407 + Proxy-Authenticate in proxy mode),
 * 403 for wrong credentials or a blocked source, 400 for unusable Authorization values.
 */
export class DigestAuthenticator {
  private readonly nonces: NonceIssuer
  private readonly limiter: FailureRateLimiter
  private readonly clock: () => number
  /** Highest nonce-count seen per nonce (RFC 7616 §3.4: nc must increase), pruned at nonce expiry. */
  private readonly nonceCounts = new Map<string, { nc: number; expiresAt: number }>()
  private readonly onBlocked?: (source: string) => void

  constructor (opts: DigestAuthenticatorOptions = {}) {
    this.clock = opts.clock ?? Date.now
    this.nonces = new NonceIssuer({ secret: opts.secret, ttlMs: opts.nonceTtlMs ?? 300_000, clock: this.clock })
    this.limiter = new FailureRateLimiter({
      maxFailures: opts.maxFailures ?? 5,
      windowMs: opts.failureWindowMs ?? 60_000,
      blockMs: opts.blockMs ?? 300_000,
      clock: this.clock
    })
    this.onBlocked = opts.onBlocked
  }

  /** One challenge header per algorithm, preferred first (RFC 8760 §2.4: SHA-256 before MD5). */
  challengeHeaders (creds: DigestCredentials, opts: { stale?: boolean; proxy?: boolean } = {}): HeaderField[] {
    const name = opts.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate'
    const nonce = this.nonces.issue(creds.realm)
    return creds.algorithms.map(algorithm => ({
      name,
      value: `Digest realm=${quote(creds.realm)}, nonce=${quote(nonce)}, algorithm=${algorithm}, qop="auth"` +
        (opts.stale ? ', stale=true' : '')
    }))
  }

  authenticate (req: SipRequest, creds: DigestCredentials, source: string, opts: { proxy?: boolean } = {}): AuthSuccess {
    if (this.limiter.isBlocked(source)) {
      throw new SipError(403, 'Forbidden', 'SIP_ERR_AUTH_BLOCKED', { detail: `too many authentication failures from ${source}` })
    }
    const headerName = opts.proxy ? 'proxy-authorization' : 'authorization'
    const candidates = req.headers.filter(h => h.name.toLowerCase() === headerName).map(h => parseAuthHeader(h.value))
    // RFC 3261 §22.4: a request may carry credentials for several realms; only ours matters.
    const ours = candidates.find(c => c !== null && c.scheme === 'digest' && c.params.get('realm') === creds.realm)
    if (!ours) {
      if (candidates.some(c => c === null)) {
        throw this.failure(source, new SipError(400, 'Bad Request', 'SIP_ERR_AUTH_MALFORMED', { detail: 'unparsable Authorization header' }))
      }
      throw this.challenge(creds, opts, 'SIP_ERR_AUTH_REQUIRED', 'no credentials for this realm')
    }
    const p = ours.params
    const username = p.get('username')
    const nonce = p.get('nonce')
    const uri = p.get('uri')
    const response = p.get('response')
    if (username === undefined || nonce === undefined || uri === undefined || response === undefined) {
      throw this.failure(source, new SipError(400, 'Bad Request', 'SIP_ERR_AUTH_MALFORMED',
        { detail: 'Authorization lacks username, nonce, uri or response' }))
    }
    const algorithm = canonicalAlgorithm(p.get('algorithm'))
    if (!algorithm || !creds.algorithms.includes(algorithm as 'MD5' | 'SHA-256')) {
      throw this.challenge(creds, opts, 'SIP_ERR_AUTH_ALGORITHM', `algorithm ${p.get('algorithm') ?? 'MD5'} not offered`)
    }
    // RFC 2617 §3.2.2.5: the digest-uri must name the Request-URI, else the credentials were made for another request.
    if (!digestUriMatches(uri, req.uri)) {
      throw this.failure(source, new SipError(400, 'Bad Request', 'SIP_ERR_AUTH_URI_MISMATCH',
        { detail: `digest uri "${uri}" is not the Request-URI` }))
    }
    const qop = p.get('qop')
    const nc = p.get('nc')
    const cnonce = p.get('cnonce')
    // We always offer qop=auth; answering without it would disable nonce-count replay protection.
    if ((qop !== 'auth' && qop !== 'auth-int') || nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc) || cnonce === undefined) {
      throw this.failure(source, new SipError(400, 'Bad Request', 'SIP_ERR_AUTH_MALFORMED',
        { detail: 'qop=auth with nc (8 hex digits) and cnonce is required' }))
    }
    const nonceState = this.nonces.check(nonce, creds.realm)
    if (nonceState === 'invalid') {
      // Not ours (or from before a restart): not the peer's fault, so not counted as a failure.
      throw this.challenge(creds, opts, 'SIP_ERR_AUTH_BAD_NONCE', 'nonce not issued by this server')
    }
    const expected = computeDigestResponse({
      algorithm, username, realm: creds.realm, password: creds.password, method: req.method, uri,
      nonce, qop: qop as DigestQop, nc, cnonce, body: req.body
    })
    const userOk = safeEqual(username, creds.username)
    const responseOk = safeEqual(response.toLowerCase(), expected)
    if (!userOk || !responseOk) {
      throw this.failure(source, new SipError(403, 'Forbidden', 'SIP_ERR_AUTH_FAILED',
        { detail: userOk ? 'wrong digest response' : `unknown username "${username}"` }))
    }
    if (nonceState === 'stale') {
      // RFC 7616 §3.3: the password was right, only the nonce expired: retry without asking the user.
      throw this.challenge(creds, opts, 'SIP_ERR_AUTH_STALE_NONCE', 'nonce expired', true)
    }
    const count = parseInt(nc, 16)
    const seen = this.nonceCounts.get(nonce)
    if (seen && count <= seen.nc) {
      throw this.failure(source, this.challenge(creds, opts, 'SIP_ERR_AUTH_NONCE_REPLAY', `nc ${nc} not above ${seen.nc}`))
    }
    this.pruneNonceCounts()
    this.nonceCounts.set(nonce, { nc: count, expiresAt: this.nonces.expiresAt(nonce) })
    this.limiter.recordSuccess(source)
    return { username, algorithm }
  }

  private challenge (creds: DigestCredentials, opts: { proxy?: boolean }, code: string, detail: string, stale = false): SipError {
    return opts.proxy
      ? new SipError(407, 'Proxy Authentication Required', code, { detail, headers: this.challengeHeaders(creds, { stale, proxy: true }) })
      : new SipError(401, 'Unauthorized', code, { detail, headers: this.challengeHeaders(creds, { stale }) })
  }

  private failure (source: string, err: SipError): SipError {
    if (this.limiter.recordFailure(source)) this.onBlocked?.(source)
    return err
  }

  private pruneNonceCounts (): void {
    const now = this.clock()
    // Insertion order is roughly issue order, so expired entries are at the front.
    for (const [nonce, entry] of this.nonceCounts) {
      if (entry.expiresAt > now) break
      this.nonceCounts.delete(nonce)
    }
  }
}

/**
 * The digest-uri equals the Request-URI, or names the same scheme, host and port without a different
 * user: SIPp (and some gateways) always send "sip:<peer ip>:<port>" as digest-uri. The response still
 * covers that uri, the nonce and nc, so accepting it does not open a replay.
 */
function digestUriMatches (digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true
  try {
    const d = parseUri(digestUri)
    const r = parseUri(requestUri)
    return d.scheme === r.scheme && d.host === r.host && d.port === r.port && (d.user === null || d.user === r.user)
  } catch {
    return false
  }
}

function safeEqual (a: string, b: string): boolean {
  const ba = Buffer.from(a)
  const bb = Buffer.from(b)
  return ba.length === bb.length && crypto.timingSafeEqual(ba, bb)
}
