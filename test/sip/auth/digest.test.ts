import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { buildDigestAuthorization } from '../../../src/sip/auth/digest-client'
import { computeDigestResponse, canonicalAlgorithm } from '../../../src/sip/auth/digest-hash'
import { parseAuthHeader } from '../../../src/sip/auth/auth-params'

const testdata = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors')
interface Vector {
  id: string; algorithm: string; method: string; username: string; password: string; realm: string; nonce: string
  uri: string; qop: string; nc: string; cnonce: string; opaque: string; response: string
}
const vectors = (JSON.parse(fs.readFileSync(path.join(testdata, 'vectors', 'digest_vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors

t.test('RFC 2617 / RFC 7616 vectors: computeDigestResponse', async t => {
  t.ok(vectors.length >= 4)
  for (const v of vectors) {
    const algorithm = canonicalAlgorithm(v.algorithm)
    t.ok(algorithm, `${v.id}: algorithm known`)
    const got = computeDigestResponse({
      algorithm: algorithm!, username: v.username, realm: v.realm, password: v.password, method: v.method, uri: v.uri,
      nonce: v.nonce, qop: 'auth', nc: v.nc, cnonce: v.cnonce
    })
    t.equal(got, v.response, v.id)
  }
})

t.test('RFC 7616 vectors: buildDigestAuthorization answers the challenge with the printed response', async t => {
  for (const v of vectors) {
    const challenge = `Digest realm="${v.realm}", qop="auth", algorithm=${v.algorithm}, nonce="${v.nonce}", opaque="${v.opaque}"`
    const value = buildDigestAuthorization({
      challenge, method: v.method, uri: v.uri, username: v.username, password: v.password, nc: parseInt(v.nc, 16), cnonce: v.cnonce
    })
    const parsed = parseAuthHeader(value)!
    t.equal(parsed.scheme, 'digest')
    t.equal(parsed.params.get('response'), v.response, `${v.id} response`)
    t.equal(parsed.params.get('nc'), v.nc)
    t.equal(parsed.params.get('qop'), 'auth')
    t.equal(parsed.params.get('opaque'), v.opaque, 'opaque echoed')
    t.equal(parsed.params.get('username'), v.username)
    t.equal(parsed.params.get('algorithm'), v.algorithm)
  }
})

t.test('no qop: RFC 2069 compatible response, no nc/cnonce', async t => {
  const value = buildDigestAuthorization({
    challenge: 'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"',
    method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life'
  })
  const p = parseAuthHeader(value)!.params
  // MD5(MD5(A1):nonce:MD5(A2)) computed independently with openssl-equivalent node crypto below.
  const crypto = require('node:crypto') as typeof import('node:crypto')
  const md5 = (s: string): string => crypto.createHash('md5').update(s).digest('hex')
  const expected = md5(`${md5('Mufasa:testrealm@host.com:Circle Of Life')}:dcd98b7102dd2f0e8b11d0f600bfb0c093:${md5('GET:/dir/index.html')}`)
  t.equal(p.get('response'), expected)
  t.notOk(p.has('nc'))
  t.notOk(p.has('cnonce'))
  t.notOk(p.has('algorithm'), 'algorithm not echoed when the server did not name it')
})

t.test('-sess algorithms and auth-int mix in cnonce and the body hash', async t => {
  const crypto = require('node:crypto') as typeof import('node:crypto')
  const H = (s: string | Buffer): string => crypto.createHash('sha256').update(s).digest('hex')
  const body = Buffer.from('v=0\r\n')
  const value = buildDigestAuthorization({
    challenge: 'Digest realm="r", nonce="n1", algorithm=SHA-256-sess, qop="auth-int"',
    method: 'INVITE', uri: 'sip:+15550100@127.0.0.1', username: 'u', password: 'p', body, nc: 2, cnonce: 'c1'
  })
  const p = parseAuthHeader(value)!.params
  const ha1 = H(`${H('u:r:p')}:n1:c1`)
  const ha2 = H(`INVITE:sip:+15550100@127.0.0.1:${H(body)}`)
  t.equal(p.get('response'), H(`${ha1}:n1:00000002:c1:auth-int:${ha2}`))
  t.equal(p.get('qop'), 'auth-int')
  t.equal(p.get('nc'), '00000002')
  t.equal(p.get('algorithm'), 'SHA-256-sess')

  const md5sess = buildDigestAuthorization({
    challenge: 'Digest realm="r", nonce="n1", algorithm=MD5-sess, qop="auth,auth-int"',
    method: 'INVITE', uri: 'sip:x@h', username: 'u', password: 'p', cnonce: 'c1'
  })
  const M = (s: string): string => crypto.createHash('md5').update(s).digest('hex')
  const q = parseAuthHeader(md5sess)!.params
  t.equal(q.get('qop'), 'auth', 'auth preferred over auth-int')
  t.equal(q.get('response'), M(`${M(`${M('u:r:p')}:n1:c1`)}:n1:00000001:c1:auth:${M('INVITE:sip:x@h')}`))
})

t.test('client refuses unusable challenges', async t => {
  const base = { method: 'INVITE', uri: 'sip:a@b', username: 'u', password: 'p' }
  t.throws(() => buildDigestAuthorization({ ...base, challenge: 'Basic realm="x"' }), /not a Digest challenge/)
  t.throws(() => buildDigestAuthorization({ ...base, challenge: 'Digest realm="x"' }), /without realm or nonce/)
  t.throws(() => buildDigestAuthorization({ ...base, challenge: 'Digest realm="x", nonce="n", algorithm=SHA-1' }), /unsupported digest algorithm/)
  t.throws(() => buildDigestAuthorization({ ...base, challenge: 'Digest realm="x", nonce="n", qop="auth-conf"' }), /no supported qop/)
})

t.test('auth-param parser: quoted strings with escapes, tokens, duplicates refused', async t => {
  const v = parseAuthHeader('Digest realm="a \\"b\\" c, d", nonce=abc,qop="auth,auth-int" , stale=TRUE')!
  t.equal(v.params.get('realm'), 'a "b" c, d')
  t.equal(v.params.get('nonce'), 'abc')
  t.equal(v.params.get('qop'), 'auth,auth-int')
  t.equal(v.params.get('stale'), 'TRUE')
  t.equal(parseAuthHeader('Digest realm="a", realm="b"'), null)
  t.equal(parseAuthHeader('Digest realm="unterminated'), null)
  t.equal(parseAuthHeader('Digest realm'), null)
})
