// Digest-protected trunk with SIPp's [authentication] (MD5: the only digest SIPp 3.6.1 computes), and
// the basic call over TLS by wrapping SIPp's TCP in stunnel (client mode) toward our TLS listener.
import t from 'tap'
import { startServer } from '../../src/server'
import { testConfig } from './helpers'
import { describeRun, runSipp } from './sipp-runner'
import { startStunnelClient } from './stunnel'

const digestTrunk = `
  - name: digest
    inbound:
      acl: [127.0.0.0/8]
      auth: {username: carrier, password: 'c0rrect horse', realm: trunkgate.test, algorithms: [MD5]}`

t.test('digest-protected trunk', async t => {
  const server = await startServer(testConfig({ trunksYaml: digestTrunk }))
  t.teardown(() => server.close())
  const target = { host: '127.0.0.1', port: server.ports.tcp! }

  await t.test('401 challenge, then the retried INVITE with credentials is answered', async t => {
    const r = await runSipp({
      scenario: 'uac-auth.xml', target, service: '+15550100', calls: 3, rate: 10, pauseMs: 50,
      extraArgs: ['-au', 'carrier', '-ap', 'c0rrect horse']
    })
    t.equal(r.exitCode, 0, describeRun(r))
    t.equal(r.successfulCalls, 3)
  })

  await t.test('wrong password: 401, then 403 Forbidden', async t => {
    const r = await runSipp({
      scenario: 'uac-auth-wrong-password.xml', target, service: '+15550100', calls: 2,
      extraArgs: ['-au', 'carrier', '-ap', 'wrong']
    })
    t.equal(r.exitCode, 0, describeRun(r))
    t.equal(r.successfulCalls, 2)
  })

  await t.test('no credentials: the basic scenario cannot get through (401 is not a 200)', async t => {
    const r = await runSipp({ scenario: 'uac-reject.xml', target, service: '+15550100', calls: 1, substitutions: { STATUS: '401' } })
    t.equal(r.exitCode, 0, describeRun(r))
  })
})

t.test('repeated wrong passwords block the source (403 without challenge, even for the right password)', async t => {
  const { DigestAuthenticator } = await import('../../src/sip/auth/digest-server')
  const server = await startServer(testConfig({ trunksYaml: digestTrunk }), {
    authenticator: new DigestAuthenticator({ maxFailures: 3, failureWindowMs: 60_000, blockMs: 60_000 })
  })
  t.teardown(() => server.close())
  const target = { host: '127.0.0.1', port: server.ports.tcp! }
  const bad = await runSipp({ scenario: 'uac-auth-wrong-password.xml', target, service: '+15550100', calls: 3, rate: 20, extraArgs: ['-au', 'carrier', '-ap', 'wrong'] })
  t.equal(bad.exitCode, 0, describeRun(bad))
  // While blocked, the source gets 403 at once: no challenge to answer, right password or not.
  const blocked = await runSipp({ scenario: 'uac-reject.xml', target, service: '+15550100', calls: 1, substitutions: { STATUS: '403' } })
  t.equal(blocked.exitCode, 0, `blocked source gets 403 instead of a challenge: ${describeRun(blocked)}`)
  const good = await runSipp({ scenario: 'uac-auth.xml', target, service: '+15550100', calls: 1, timeoutSec: 5, extraArgs: ['-au', 'carrier', '-ap', 'c0rrect horse'] })
  t.not(good.exitCode, 0, 'the right password does not get through while blocked')
})

t.test('basic call over TLS (SIPp TCP -> stunnel client -> trunkgate TLS, development certificate)', async t => {
  const server = await startServer(testConfig({ tls: true }))
  t.teardown(() => server.close())
  t.ok(server.ports.tls! > 0, 'TLS listener on an ephemeral port')
  const tunnel = await startStunnelClient({ host: '127.0.0.1', port: server.ports.tls! })
  t.teardown(() => tunnel.stop())
  const tlsSources: string[] = []
  server.agent.on('invite', (req: { source: { transport: string } }) => { tlsSources.push(req.source.transport) })
  const r = await runSipp({ scenario: 'uac-basic.xml', target: { host: '127.0.0.1', port: tunnel.acceptPort }, service: '+15550100', calls: 3, rate: 10, pauseMs: 50 })
  t.equal(r.exitCode, 0, describeRun(r) + (r.exitCode === 0 ? '' : `\n--- stunnel ---\n${tunnel.log().slice(-3000)}`))
  t.equal(r.successfulCalls, 3)
  t.same(tlsSources, ['tls', 'tls', 'tls'], 'the server received the INVITEs over TLS')
})
