// Outbound calls to SIPp as a carrier that challenges the INVITE: 401 (WWW-Authenticate → Authorization)
// and 407 (Proxy-Authenticate → Proxy-Authorization), MD5 and SHA-256, over TCP and over TLS (stunnel).
// SIPp checks the retried INVITE with regexp actions (check_it): digest response present, nc=00000001,
// templated and static custom headers, the From user exactly as configured; the test recomputes the digest.
import t from 'tap'
import { startCarrier, makeCarrierCert } from './carrier'
import { checkDigest, findHeader } from './digest-check'
import { startGateway } from './gateway'

const cases = [
  { name: '401 MD5 over TCP', challenge: '401', alg: 'MD5', tls: false },
  { name: '407 SHA-256 over TCP', challenge: '407', alg: 'SHA-256', tls: false },
  { name: '407 MD5 over TLS (stunnel)', challenge: '407', alg: 'MD5', tls: true },
  { name: '401 SHA-256 over TLS (stunnel)', challenge: '401', alg: 'SHA-256', tls: true }
]

for (const c of cases) {
  t.test(c.name, async t => {
    const proxy = c.challenge === '407'
    const certDir = c.tls ? (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'tg-cert-')) : null
    const cert = certDir ? makeCarrierCert(certDir) : undefined
    const carrier = await startCarrier({
      scenario: 'carrier-challenge.xml',
      tls: cert,
      substitutions: {
        CHALLENGE: c.challenge,
        CHALLENGE_REASON: proxy ? 'Proxy Authentication Required' : 'Unauthorized',
        CHALLENGE_HDR: proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate',
        AUTH_HDR: proxy ? 'Proxy-Authorization' : 'Authorization',
        ALGORITHM: c.alg,
        FROM_USER_RE: '&lt;sip:\\+15550100@',
        CUSTOMER_RE: '^ *cust-4711$',
        SECRET_RE: '^ *Bearer s3cr3t-t0ken$'
      }
    })
    const gw = await startGateway({
      tls: cert ? { ca: cert.cert } : undefined,
      outboundYaml: [
        `address: 127.0.0.1:${carrier.port}`,
        `transport: ${c.tls ? 'tls' : 'tcp'}`,
        `media_encryption: disabled`,
        `auth: {username: trunkuser, password: 'p@ss w0rd'}`,
        'headers:',
        "  - {name: X-Customer, value: '{{customer_id}}'}",
        "  - {name: X-Trunk-Tag, value: static-tag}",
        "  - {name: X-Auth-Token, value: 'Bearer {{secret__token}}'}"
      ].join('\n')
    })
    t.teardown(async () => { await gw.close(); await carrier.stop(); if (certDir) (await import('node:fs')).rmSync(certDir, { recursive: true, force: true }) })

    const res = await gw.request('POST', '/v1/calls', {
      agent_id: 'support', from_number: '+15550100', to: '+15550199',
      dynamic_variables: { customer_id: 'cust-4711', secret__token: 's3cr3t-t0ken' }
    })
    t.equal(res.status, 201, res.text)
    const id = res.json.conversation_id
    t.equal(res.json.status, 'initiated')
    const live = await gw.waitStatus(id, 'in-progress')
    t.equal(live.direction, 'outbound')
    t.ok(live.answered_at)
    const hang = await gw.request('POST', `/v1/calls/${id}/hangup`)
    t.equal(hang.status, 200, hang.text)
    t.equal(hang.json.status, 'completed')
    t.equal(hang.json.hangup_cause, 'api_hangup')
    t.equal(hang.json.hangup_side, 'local')
    const run = await carrier.done
    t.equal(run.exitCode, 0, `SIPp carrier checks passed\n${run.errors}\n${run.stderr.slice(-1500)}`)
    const auth = findHeader(run.messages, proxy ? 'Proxy-Authorization' : 'Authorization')
    t.equal(auth.length, 1, 'one retried INVITE carried credentials')
    const d = checkDigest(auth[0], 'INVITE', 'p@ss w0rd')
    t.ok(d.ok, `digest response verifies: ${auth[0]}`)
    t.equal(d.params.get('username'), 'trunkuser')
    t.equal(d.params.get('opaque'), 'op4que', 'opaque echoed')
    t.equal((d.params.get('algorithm') ?? '').toUpperCase(), c.alg)
    t.equal(findHeader(run.messages, proxy ? 'Authorization' : 'Proxy-Authorization').length, 0, 'no credentials in the wrong header')
    const rec = gw.server.services.store.get(id)
    t.equal(rec?.status, 'completed')
    t.ok(rec?.sipCallId, 'SIP Call-ID recorded')
  })
}

t.test('refused credentials (same nonce challenged again) end the call after one retry', async t => {
  const carrier = await startCarrier({ scenario: 'carrier-refuse-auth.xml' })
  const gw = await startGateway({ outboundYaml: `address: 127.0.0.1:${carrier.port}\ntransport: tcp\nauth: {username: u, password: wrong}` })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  const ended = await gw.waitEnded(res.json.conversation_id)
  t.equal(ended.status, 'rejected')
  t.equal(ended.hangup_cause, 'authentication_failed')
  t.equal(ended.sip_status, 401)
  const run = await carrier.done
  t.equal(run.exitCode, 0, run.errors)
  t.equal((run.messages.match(/^INVITE sip:/gm) ?? []).length, 2, 'exactly two INVITEs: no loop')
})

t.test('a carrier that challenges with a fresh nonce forever gets a bounded number of answers', async t => {
  const carrier = await startCarrier({ scenario: 'carrier-endless-auth.xml' })
  const gw = await startGateway({ outboundYaml: `address: 127.0.0.1:${carrier.port}\ntransport: tcp\nauth: {username: u, password: p}` })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  const ended = await gw.waitEnded(res.json.conversation_id)
  t.equal(ended.status, 'rejected')
  t.equal(ended.hangup_cause, 'authentication_failed')
  const run = await carrier.done
  t.equal(run.exitCode, 0, run.errors)
  const invites = run.messages.match(/^INVITE sip:/gm) ?? []
  t.equal(invites.length, 4, 'initial INVITE + 3 answered challenges, then stop')
  const cseqs = [...run.messages.matchAll(/^CSeq:\s*(\d+) INVITE/gm)].map(m => Number(m[1]))
  const sentSeqs = [...new Set(cseqs)]
  t.same(sentSeqs, [1, 2, 3, 4], 'each retry is a new transaction with CSeq + 1 (RFC 3261 §8.1.3.5)')
  for (const h of findHeader(run.messages, 'Authorization')) t.match(h, /nc=00000001/, 'a fresh nonce starts at nc=00000001')
})

t.test('proxy 407 then UAS 401: the last INVITE carries both credentials (RFC 3261 §22.3)', async t => {
  const carrier = await startCarrier({
    scenario: 'carrier-proxy-then-uas.xml',
    substitutions: { ALGORITHM: 'MD5', FROM_USER_RE: 'sip:', CUSTOMER_RE: '^ *c-1$', SECRET_RE: 'x' }
  })
  const gw = await startGateway({
    outboundYaml: [`address: 127.0.0.1:${carrier.port}`, 'transport: tcp', 'auth: {username: trunkuser, password: pw}', 'headers:',
      "  - {name: X-Customer, value: '{{customer_id}}'}", '  - {name: X-Trunk-Tag, value: static-tag}', "  - {name: X-Auth-Token, value: 'x'}"].join('\n')
  })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199', dynamic_variables: { customer_id: 'c-1' } })
  await gw.waitStatus(res.json.conversation_id, 'in-progress')
  await gw.request('POST', `/v1/calls/${res.json.conversation_id}/hangup`)
  const run = await carrier.done
  t.equal(run.exitCode, 0, `${run.errors}`)
  const proxyAuth = findHeader(run.messages, 'Proxy-Authorization')
  const uasAuth = findHeader(run.messages, 'Authorization')
  t.equal(proxyAuth.length, 2, 'Proxy-Authorization on the 2nd and 3rd INVITE')
  t.equal(uasAuth.length, 1, 'Authorization on the 3rd INVITE')
  t.ok(checkDigest(proxyAuth[1], 'INVITE', 'pw').ok && checkDigest(uasAuth[0], 'INVITE', 'pw').ok, 'both digests verify')
})
