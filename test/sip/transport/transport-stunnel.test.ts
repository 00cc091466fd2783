// SIP over TLS with a foreign TLS stack: SIPp (no TLS of its own) → stunnel 5 (OpenSSL, client mode,
// presenting a trunk certificate) → our TLS listener with client-certificate verification on.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { createResponse, newTag } from '../../../src/sip/message/factory'
import type { SipRequest } from '../../../src/sip/message/types'
import type { TransportSource } from '../../../src/sip/transport/transport-types'
import { collect, startTransport, waitFor } from './helpers'
import { TestPki } from './pki'

async function freePort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise(resolve => s.close(resolve))
  return port
}

function run (cmd: string, args: string[], killAfterMs: number): { child: ChildProcess, done: Promise<{ code: number | null, output: string }>, output: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  const done = new Promise<{ code: number | null, output: string }>(resolve => child.on('close', code => { clearTimeout(timer); resolve({ code, output }) }))
  return { child, done, output: () => output }
}

t.test('SIPp through stunnel: OPTIONS over TLS 1.2+, trunk certificate visible on the source, 200s back', async t => {
  const pki = await TestPki.create()
  t.teardown(() => pki.cleanup())
  const ca = await pki.ca('stunnel-ca')
  const server = await pki.leaf('trunkgate-sbc', ca)
  const trunk = await pki.leaf('carrier-trunk', ca)

  const tl = await startTransport({
    tcp: undefined,
    tls: { host: '127.0.0.1', port: 0, certFile: server.certFile, keyFile: server.keyFile, caFile: ca.certFile, requestCert: true }
  })
  t.teardown(() => tl.close())
  const got = collect<[SipRequest, TransportSource]>(tl, 'message')
  tl.on('message', (msg, source) => {
    if (msg.kind !== 'request') return
    tl.send(createResponse(msg, 200, 'OK', { toTag: newTag() }), { connectionId: source.connectionId }).catch(() => {})
  })

  const plainPort = await freePort()
  const conf = path.join(pki.dir, 'stunnel.conf')
  await fs.writeFile(conf, [
    'foreground = yes', 'pid =', 'debug = 5',
    '[sip-tls]', 'client = yes',
    `accept = 127.0.0.1:${plainPort}`, `connect = 127.0.0.1:${tl.localAddressFor('tls').port}`,
    `cert = ${trunk.certFile}`, `key = ${trunk.keyFile}`, `CAfile = ${ca.certFile}`,
    'verifyChain = yes', 'checkHost = localhost', 'sslVersionMin = TLSv1.2', ''
  ].join('\n'))
  const stunnel = run('stunnel4', [conf], 60_000)
  t.teardown(() => { stunnel.child.kill('SIGTERM') })
  await waitFor(() => /Configuration successful/.test(stunnel.output()), 10_000, 'stunnel ready', stunnel.output)

  const CALLS = 50
  const sipp = run('sipp', [
    '-sf', path.join(__dirname, 'sipp', 'options-uac.xml'), '-t', 't1',
    '-i', '127.0.0.1', '-p', String(await freePort()),
    '-m', String(CALLS), '-r', '200', '-timeout', '30s', '-timeout_error', '-nostdin',
    `127.0.0.1:${plainPort}`
  ], 40_000)
  const { code, output } = await sipp.done
  t.equal(code, 0, `SIPp passed all calls over TLS\n${code === 0 ? '' : output.slice(-1500) + stunnel.output().slice(-1500)}`)
  t.equal(got.length, CALLS)
  const source = got[0]?.[1]
  t.equal(source?.transport, 'tls')
  t.equal(source?.tlsPeerCertificate?.subject.CN, 'carrier-trunk', 'client certificate from stunnel')
  t.equal(source?.tlsAuthorized, true)
  t.equal(new Set(got.map(([, s]) => s.connectionId)).size, 1, 'one TLS connection')
})
