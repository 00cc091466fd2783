import t from 'tap'
import type { SipRequest } from '../../../src/sip/message/types'
import { SipError } from '../../../src/sip/sip-error'
import { DigestAuthenticator, type DigestCredentials } from '../../../src/sip/auth/digest-server'
import { buildDigestAuthorization } from '../../../src/sip/auth/digest-client'
import { parseAuthHeader } from '../../../src/sip/auth/auth-params'

const creds: DigestCredentials = { username: 'carrier', password: 's3cret', realm: 'trunkgate', algorithms: ['SHA-256', 'MD5'] }
const URI = 'sip:+15550100@127.0.0.1:5060'

function invite (authorization?: string, uri = URI): SipRequest {
  const headers = [{ name: 'Via', value: 'SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1' }, { name: 'CSeq', value: '1 INVITE' }]
  if (authorization) headers.push({ name: 'Authorization', value: authorization })
  return { kind: 'request', method: 'INVITE', uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) }
}

function rejection (fn: () => unknown): SipError {
  try {
    fn()
  } catch (err) {
    if (err instanceof SipError) return err
    throw err
  }
  throw new Error('expected a SipError')
}

function setup (opts: ConstructorParameters<typeof DigestAuthenticator>[0] = {}) {
  let now = 1_700_000_000_000
  const blocked: string[] = []
  const auth = new DigestAuthenticator({ clock: () => now, nonceTtlMs: 60_000, maxFailures: 3, failureWindowMs: 10_000, blockMs: 30_000, onBlocked: s => blocked.push(s), ...opts })
  return { auth, blocked, advance: (ms: number) => { now += ms } }
}

/** Gets a challenge from the server and answers it like a UAC would. */
function answer (auth: DigestAuthenticator, opts: { password?: string; algorithm?: 'SHA-256' | 'MD5'; nc?: number; username?: string; challenge?: string } = {}): string {
  const err = rejection(() => auth.authenticate(invite(), creds, '192.0.2.1'))
  const challenges = err.headers.filter(h => h.name === 'WWW-Authenticate').map(h => h.value)
  const challenge = opts.challenge ?? challenges.find(c => c.includes(`algorithm=${opts.algorithm ?? 'SHA-256'}`))!
  return buildDigestAuthorization({ challenge, method: 'INVITE', uri: URI, username: opts.username ?? creds.username, password: opts.password ?? creds.password, nc: opts.nc })
}

t.test('RFC 3261 §22.2: no credentials -> 401 with one challenge per algorithm, SHA-256 first (RFC 8760)', async t => {
  const { auth } = setup()
  const err = rejection(() => auth.authenticate(invite(), creds, '192.0.2.1'))
  t.equal(err.status, 401)
  t.equal(err.code, 'SIP_ERR_AUTH_REQUIRED')
  const values = err.headers.filter(h => h.name === 'WWW-Authenticate').map(h => parseAuthHeader(h.value)!)
  t.same(values.map(v => v.params.get('algorithm')), ['SHA-256', 'MD5'])
  for (const v of values) {
    t.equal(v.params.get('realm'), 'trunkgate')
    t.equal(v.params.get('qop'), 'auth')
    t.notOk(v.params.has('stale'))
  }
})

t.test('correct answers with SHA-256 and with MD5 are accepted', async t => {
  const { auth } = setup()
  for (const algorithm of ['SHA-256', 'MD5'] as const) {
    const res = auth.authenticate(invite(answer(auth, { algorithm })), creds, '192.0.2.1')
    t.same(res, { username: 'carrier', algorithm })
  }
})

t.test('an algorithm the trunk does not offer gets a fresh challenge', async t => {
  const { auth } = setup()
  const value = answer(auth, { algorithm: 'MD5' })
  const err = rejection(() => auth.authenticate(invite(value), { ...creds, algorithms: ['SHA-256'] }, '192.0.2.1'))
  t.equal(err.status, 401)
  t.equal(err.code, 'SIP_ERR_AUTH_ALGORITHM')
})

t.test('wrong password or username -> 403 SIP_ERR_AUTH_FAILED', async t => {
  const { auth } = setup()
  let err = rejection(() => auth.authenticate(invite(answer(auth, { password: 'guess' })), creds, '192.0.2.1'))
  t.equal(err.status, 403)
  t.equal(err.code, 'SIP_ERR_AUTH_FAILED')
  err = rejection(() => auth.authenticate(invite(answer(auth, { username: 'other' })), creds, '192.0.2.2'))
  t.equal(err.status, 403)
  t.match(err.message, /unknown username "other"/)
})

t.test('nonce expiry: correct answer with an expired nonce -> 401 stale=true; wrong answer -> 403', async t => {
  const { auth, advance } = setup()
  const good = answer(auth)
  const bad = answer(auth, { password: 'nope' })
  advance(60_001)
  const err = rejection(() => auth.authenticate(invite(good), creds, '192.0.2.1'))
  t.equal(err.status, 401)
  t.equal(err.code, 'SIP_ERR_AUTH_STALE_NONCE')
  const challenge = parseAuthHeader(err.headers[0].value)!
  t.equal(challenge.params.get('stale'), 'true')
  // The new nonce works without asking for the password again.
  const retry = buildDigestAuthorization({ challenge: err.headers[0].value, method: 'INVITE', uri: URI, username: 'carrier', password: 's3cret' })
  t.ok(auth.authenticate(invite(retry), creds, '192.0.2.1'))
  t.equal(rejection(() => auth.authenticate(invite(bad), creds, '192.0.2.9')).status, 403, 'stale does not reveal a wrong password as right')
})

t.test('nonce-count replay protection: nc must increase per nonce', async t => {
  const { auth } = setup()
  const err = rejection(() => auth.authenticate(invite(), creds, '192.0.2.1'))
  const challenge = err.headers[0].value
  const mk = (nc: number): string => buildDigestAuthorization({ challenge, method: 'INVITE', uri: URI, username: 'carrier', password: 's3cret', nc })
  t.ok(auth.authenticate(invite(mk(1)), creds, '192.0.2.1'))
  const replay = rejection(() => auth.authenticate(invite(mk(1)), creds, '192.0.2.1'))
  t.equal(replay.status, 401)
  t.equal(replay.code, 'SIP_ERR_AUTH_NONCE_REPLAY')
  t.ok(auth.authenticate(invite(mk(2)), creds, '192.0.2.1'), 'nc 2 accepted')
  t.equal(rejection(() => auth.authenticate(invite(mk(2)), creds, '192.0.2.1')).code, 'SIP_ERR_AUTH_NONCE_REPLAY')
  t.ok(auth.authenticate(invite(mk(7)), creds, '192.0.2.1'), 'gaps are allowed, only increase is required')
})

t.test('forged or foreign nonces get a fresh challenge, a realm-bound nonce fails in another realm', async t => {
  const { auth } = setup()
  const other = setup().auth
  const foreign = answer(other)
  t.equal(rejection(() => auth.authenticate(invite(foreign), creds, '192.0.2.1')).code, 'SIP_ERR_AUTH_BAD_NONCE')
  const forged = buildDigestAuthorization({ challenge: 'Digest realm="trunkgate", nonce="AAAA", qop="auth", algorithm=SHA-256', method: 'INVITE', uri: URI, username: 'carrier', password: 's3cret' })
  t.equal(rejection(() => auth.authenticate(invite(forged), creds, '192.0.2.1')).code, 'SIP_ERR_AUTH_BAD_NONCE')
  const otherRealm = { ...creds, realm: 'elsewhere' }
  const err = rejection(() => auth.authenticate(invite(), otherRealm, '192.0.2.1'))
  const reuse = buildDigestAuthorization({ challenge: err.headers[0].value.replace('elsewhere', 'trunkgate'), method: 'INVITE', uri: URI, username: 'carrier', password: 's3cret' })
  t.equal(rejection(() => auth.authenticate(invite(reuse), creds, '192.0.2.1')).code, 'SIP_ERR_AUTH_BAD_NONCE')
})

t.test('malformed credentials -> 400 with a stable code', async t => {
  const { auth } = setup()
  const good = answer(auth)
  t.equal(rejection(() => auth.authenticate(invite('Digest realm="trunkgate", username="x"'), creds, '192.0.2.1')).code, 'SIP_ERR_AUTH_MALFORMED')
  t.equal(rejection(() => auth.authenticate(invite('Digest realm="trunkgate", username="x'), creds, '192.0.2.3')).status, 400)
  const uriMismatch = rejection(() => auth.authenticate(invite(good, 'sip:+15550199@127.0.0.1:5060'), creds, '192.0.2.4'))
  t.equal(uriMismatch.status, 400)
  t.equal(uriMismatch.code, 'SIP_ERR_AUTH_URI_MISMATCH')
  t.equal(rejection(() => auth.authenticate(invite(good, 'sip:+15550100@127.0.0.1:5070'), creds, '192.0.2.7')).code, 'SIP_ERR_AUTH_URI_MISMATCH', 'other port')
  // SIPp's digest-uri form: "sip:<host>:<port>" for a Request-URI with a user part.
  const sippStyle = buildDigestAuthorization({ challenge: rejection(() => auth.authenticate(invite(), creds, '192.0.2.8')).headers[0].value, method: 'INVITE', uri: 'sip:127.0.0.1:5060', username: 'carrier', password: 's3cret' })
  t.ok(auth.authenticate(invite(sippStyle), creds, '192.0.2.8'), 'same host and port without user accepted')
  const noQop = good.replace(/, qop=auth, nc=[0-9a-f]+/, '')
  t.equal(rejection(() => auth.authenticate(invite(noQop), creds, '192.0.2.5')).code, 'SIP_ERR_AUTH_MALFORMED')
  // Credentials for someone else's realm only: we still challenge for ours.
  t.equal(rejection(() => auth.authenticate(invite(good.replace('realm="trunkgate"', 'realm="other"')), creds, '192.0.2.6')).code, 'SIP_ERR_AUTH_REQUIRED')
})

t.test('failures are rate-limited per source: N failures in the window -> 403 for blockMs, logged once', async t => {
  const { auth, blocked, advance } = setup()
  for (let i = 0; i < 3; i++) t.equal(rejection(() => auth.authenticate(invite(answer(auth, { password: 'x' })), creds, '198.51.100.7')).code, 'SIP_ERR_AUTH_FAILED')
  t.same(blocked, ['198.51.100.7'])
  const good = answer(auth)
  const err = rejection(() => auth.authenticate(invite(good), creds, '198.51.100.7'))
  t.equal(err.status, 403)
  t.equal(err.code, 'SIP_ERR_AUTH_BLOCKED', 'even correct credentials are refused while blocked')
  t.ok(auth.authenticate(invite(answer(auth)), creds, '198.51.100.8'), 'other sources unaffected')
  advance(30_001)
  t.ok(auth.authenticate(invite(answer(auth)), creds, '198.51.100.7'), 'block ends')
  t.same(blocked, ['198.51.100.7'])
})

t.test('failures outside the window do not accumulate', async t => {
  const { auth, blocked, advance } = setup()
  for (let i = 0; i < 6; i++) {
    rejection(() => auth.authenticate(invite(answer(auth, { password: 'x' })), creds, '198.51.100.9'))
    advance(6_000)
  }
  t.same(blocked, [])
})

t.test('proxy mode: 407 with Proxy-Authenticate, reads Proxy-Authorization', async t => {
  const { auth } = setup()
  const err = rejection(() => auth.authenticate(invite(), creds, '192.0.2.1', { proxy: true }))
  t.equal(err.status, 407)
  t.equal(err.headers[0].name, 'Proxy-Authenticate')
  const value = buildDigestAuthorization({ challenge: err.headers[0].value, method: 'INVITE', uri: URI, username: 'carrier', password: 's3cret' })
  const req = invite()
  req.headers.push({ name: 'Proxy-Authorization', value })
  t.ok(auth.authenticate(req, creds, '192.0.2.1', { proxy: true }))
})
