// A trunk that requires a TLS client certificate (requireClientCert, checked against sip.listen.tls.ca):
// SIPp through stunnel presenting a CA-signed certificate, no certificate, or a self-signed one.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { startServer } from '../../src/server'
import { testConfig } from './helpers'
import { describeRun, runSipp } from './sipp-runner'
import { startStunnelClient } from './stunnel'

function openssl (args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe', timeout: 30_000 })
}

/** A throwaway CA, a client certificate it signed, and a self-signed impostor. */
function makePki (dir: string): { ca: string; good: { cert: string; key: string }; rogue: { cert: string; key: string } } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=trunkgate test trunk CA'], dir)
  openssl(['req', ...ec, '-keyout', 'pbx.key', '-out', 'pbx.csr', '-subj', '/CN=pbx.carrier.test'], dir)
  openssl(['x509', '-req', '-in', 'pbx.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'pbx.pem', '-days', '1'], dir)
  openssl(['req', '-x509', ...ec, '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '1', '-subj', '/CN=pbx.carrier.test'], dir)
  const p = (f: string): string => path.join(dir, f)
  return { ca: p('ca.pem'), good: { cert: p('pbx.pem'), key: p('pbx.key') }, rogue: { cert: p('rogue.pem'), key: p('rogue.key') } }
}

t.test('requireClientCert trunk over TLS', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-mtls-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const pki = makePki(dir)
  // The 403s must be refusals for the certificate reason, read from the server's own log.
  const codes: string[] = []
  const logStream = new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { code?: string }
        if (entry.code) codes.push(entry.code)
      }
      done()
    }
  })
  const server = await startServer(testConfig({
    tls: true,
    tlsCa: pki.ca,
    trunksYaml: `
  - name: pbx
    inbound: {acl: [127.0.0.0/8], requireClientCert: true}`
  }), { logger: pino({ level: 'info' }, logStream) })
  t.teardown(() => server.close())
  const tls = { host: '127.0.0.1', port: server.ports.tls! }

  await t.test('CA-signed client certificate: the call goes through', async t => {
    const tunnel = await startStunnelClient(tls, pki.good)
    t.teardown(() => tunnel.stop())
    const r = await runSipp({ scenario: 'uac-basic.xml', target: { host: '127.0.0.1', port: tunnel.acceptPort }, service: '+15550100', calls: 2, pauseMs: 50 })
    t.equal(r.exitCode, 0, describeRun(r) + (r.exitCode === 0 ? '' : `\n--- stunnel ---\n${tunnel.log().slice(-2000)}`))
    t.equal(r.successfulCalls, 2)
  })

  for (const [label, cert] of [['no client certificate', undefined], ['a self-signed certificate not from the CA', pki.rogue]] as const) {
    await t.test(`${label}: 403`, async t => {
      const tunnel = await startStunnelClient(tls, cert)
      t.teardown(() => tunnel.stop())
      const r = await runSipp({ scenario: 'uac-reject.xml', target: { host: '127.0.0.1', port: tunnel.acceptPort }, service: '+15550100', calls: 1, substitutions: { STATUS: '403' } })
      t.equal(r.exitCode, 0, describeRun(r))
      t.equal(codes.at(-1), 'SIP_ERR_CLIENT_CERT_REQUIRED')
    })
  }

  await t.test('plain TCP to a certificate-only trunk: 403', async t => {
    const r = await runSipp({ scenario: 'uac-reject.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100', calls: 1, substitutions: { STATUS: '403' } })
    t.equal(r.exitCode, 0, describeRun(r))
    t.equal(codes.at(-1), 'SIP_ERR_TLS_REQUIRED')
  })
})
