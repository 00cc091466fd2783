import crypto from 'node:crypto'
import { parseAuthHeader, quote } from './auth-params'
import { canonicalAlgorithm, computeDigestResponse, type DigestQop } from './digest-hash'

/**
 * Client side of SIP digest (RFC 3261 §22.2, RFC 8760, RFC 7616 §3.4): builds the value of the
 * Authorization / Proxy-Authorization header that answers one WWW-Authenticate / Proxy-Authenticate
 * challenge. Supports MD5, MD5-sess, SHA-256, SHA-256-sess (and SHA-512-256), qop auth / auth-int,
 * and challenges without qop (RFC 2069 compatibility).
 *
 * `challenge` is the header value ("Digest realm=…, nonce=…"); `uri` is the Request-URI of the request
 * being authorized; `body` is needed for qop=auth-int. Throws an Error when the challenge is not a
 * usable Digest challenge.
 */
export function buildDigestAuthorization (opts: {
  challenge: string
  method: string
  uri: string
  username: string
  password: string
  body?: Buffer
  nc?: number
  cnonce?: string
}): string {
  const parsed = parseAuthHeader(opts.challenge)
  if (!parsed || parsed.scheme !== 'digest') throw new Error(`not a Digest challenge: ${opts.challenge}`)
  const p = parsed.params
  const realm = p.get('realm')
  const nonce = p.get('nonce')
  if (realm === undefined || nonce === undefined) throw new Error('Digest challenge without realm or nonce')
  const algorithm = canonicalAlgorithm(p.get('algorithm'))
  if (!algorithm) throw new Error(`unsupported digest algorithm ${p.get('algorithm')}`)

  // RFC 7616 §3.3: qop is a list; prefer auth (no body hashing), use auth-int when it is the only choice.
  let qop: DigestQop | undefined
  if (p.has('qop')) {
    const offered = (p.get('qop') ?? '').split(',').map(s => s.trim().toLowerCase())
    if (offered.includes('auth')) qop = 'auth'
    else if (offered.includes('auth-int')) qop = 'auth-int'
    else throw new Error(`no supported qop in ${p.get('qop')}`)
  }
  const nc = (opts.nc ?? 1).toString(16).padStart(8, '0')
  if (nc.length !== 8) throw new Error(`nc ${opts.nc} does not fit 8 hex digits`)
  // The cnonce is needed with qop and for the -sess algorithms (it enters A1).
  const needsCnonce = qop !== undefined || algorithm.endsWith('-sess')
  const cnonce = needsCnonce ? (opts.cnonce ?? crypto.randomBytes(16).toString('hex')) : undefined

  const response = computeDigestResponse({
    algorithm, username: opts.username, realm, password: opts.password, method: opts.method, uri: opts.uri,
    nonce, qop, nc: qop ? nc : undefined, cnonce, body: opts.body
  })
  const parts = [
    `username=${quote(opts.username)}`,
    `realm=${quote(realm)}`,
    `nonce=${quote(nonce)}`,
    `uri=${quote(opts.uri)}`,
    `response=${quote(response)}`
  ]
  // Echo the algorithm only when the server named it (RFC 2617 clients omit it for MD5).
  if (p.has('algorithm')) parts.push(`algorithm=${algorithm}`)
  if (cnonce !== undefined) parts.push(`cnonce=${quote(cnonce)}`)
  if (p.has('opaque')) parts.push(`opaque=${quote(p.get('opaque') ?? '')}`)
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`)
  return `Digest ${parts.join(', ')}`
}
