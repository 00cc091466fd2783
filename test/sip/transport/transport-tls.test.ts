// SIP over TLS (RFC 3261 §26.2.1, RFC 5630): generated development certificate, TLS >= 1.2 only,
// optional client-certificate verification exposed on the message source, verified outbound TLS.
import t from 'tap'
import tls from 'node:tls'
import type { SipMessage } from '../../../src/sip/message/types'
import { TransportLayer } from '../../../src/sip/transport/transport-layer'
import type { TransportSource } from '../../../src/sip/transport/transport-types'
import { generateDevCertificate } from '../../../src/sip/transport/dev-cert'
import { RawClient, captureLogger, collect, nextEvent, options, startTransport, waitFor } from './helpers'
import { TestPki, type IssuedCert } from './pki'

let pki: TestPki
let ca: IssuedCert
let rogueCa: IssuedCert
let trunkA: IssuedCert
let rogueClient: IssuedCert
let serverCert: IssuedCert

t.before(async () => {
  pki = await TestPki.create()
  ca = await pki.ca('test-ca')
  rogueCa = await pki.ca('rogue-ca')
  trunkA = await pki.leaf('trunk-a', ca)
  rogueClient = await pki.leaf('rogue-client', rogueCa)
  serverCert = await pki.leaf('sbc-server', ca)
})
t.teardown(() => pki.cleanup())

/** Outcome of a TLS client trying to deliver one OPTIONS. */
async function tryDeliver (tl: TransportLayer, opts: tls.ConnectionOptions): Promise<{ handshake: Error | null, delivered: SipMessage | null, source: TransportSource | null }> {
  const port = tl.localAddressFor('tls').port
  let client: RawClient
  try {
    client = await RawClient.connectTls(port, opts)
  } catch (err) {
    return { handshake: err as Error, delivered: null, source: null }
  }
  const got = collect<[SipMessage, TransportSource]>(tl, 'message')
  // TLS 1.3: a client certificate is checked after the client considers the handshake done, so a
  // refusal shows up as the server closing the connection instead of delivering.
  client.write(options({ callId: 'tls-1', via: 'SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-tls' }))
  await waitFor(() => got.length > 0 || client.closed, 3000, 'delivery or close')
  client.destroy()
  return { handshake: null, delivered: got[0]?.[0] ?? null, source: got[0]?.[1] ?? null }
}

t.test('no certFile/keyFile: a self-signed development certificate is generated and logged as such', async t => {
  const { logger, lines } = captureLogger()
  const tl = await startTransport({ tcp: undefined, tls: { host: '127.0.0.1', port: 0 } }, logger)
  t.teardown(() => tl.close())
  const warning = lines.find(l => l.level === 40 && /SELF-SIGNED DEVELOPMENT certificate/.test(String(l.msg)))
  t.ok(warning, 'warning says it is a development certificate')
  t.throws(() => tl.localAddressFor('tcp'), /not listening/, 'tls only: no TCP listener')

  const client = await RawClient.connectTls(tl.localAddressFor('tls').port, { rejectUnauthorized: false })
  t.teardown(() => client.destroy())
  const peer = (client.socket as tls.TLSSocket).getPeerCertificate()
  t.equal(peer.subject.CN, 'trunkgate-development')
  t.equal(peer.issuer.CN, 'trunkgate-development', 'self-signed')
  t.match((client.socket as tls.TLSSocket).getProtocol(), /^TLSv1\.[23]$/)
  const event = nextEvent<[SipMessage, TransportSource]>(tl, 'message')
  client.write(options({ callId: 'dev-cert' }))
  const [msg, source] = await event
  t.equal(msg.headers.find(h => h.name === 'Call-ID')?.value, 'dev-cert')
  t.equal(source.transport, 'tls')
  t.equal(source.tlsPeerCertificate, undefined, 'no client certificate requested')

  await t.rejects(RawClient.connectTls(tl.localAddressFor('tls').port, {}), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    'a verifying client refuses the development certificate')
})

t.test('generateDevCertificate: a key and a certificate with the requested SANs', async t => {
  const { key, cert } = await generateDevCertificate({ commonName: 'x.test', altNames: ['DNS:x.test'] })
  const ctx = tls.createSecureContext({ key, cert })
  t.ok(ctx, 'usable as a secure context')
  const x509 = new (await import('node:crypto')).X509Certificate(cert)
  t.match(x509.subject, /CN=x\.test/)
  t.equal(x509.subjectAltName, 'DNS:x.test')
})

t.test('TLS 1.1 is refused, TLS 1.2 accepted (minVersion enforced)', async t => {
  const tl = await startTransport({ tcp: undefined, tls: { host: '127.0.0.1', port: 0, certFile: serverCert.certFile, keyFile: serverCert.keyFile } })
  t.teardown(() => tl.close())
  const serverErrors = collect<[Error]>(tl, 'tlsClientError')
  const old = await tryDeliver(tl, {
    rejectUnauthorized: false, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1',
    ciphers: 'DEFAULT@SECLEVEL=0' // let the client really offer 1.1, so the refusal is the server's
  })
  t.ok(old.handshake, `TLS 1.1 handshake failed: ${old.handshake?.message ?? ''}`)
  await waitFor(() => serverErrors.length > 0, 2000, 'server-side tlsClientError')
  t.match(serverErrors[0][0].message, /unsupported protocol|version/i, 'the server refused the protocol version')

  const v12 = await tryDeliver(tl, { rejectUnauthorized: false, maxVersion: 'TLSv1.2' })
  t.equal(v12.handshake, null)
  t.ok(v12.delivered, 'TLS 1.2 delivers')
})

t.test('a configured minVersion below TLS 1.2 is a configuration error', async t => {
  const { logger } = captureLogger()
  t.throws(() => new TransportLayer({ tls: { minVersion: 'TLSv1.1' as 'TLSv1.2' } }, logger), /TLSv1\.1.*not allowed/)
})

t.test('client-certificate verification on: CA-signed cert accepted and exposed; none or rogue refused', async t => {
  const tl = await startTransport({
    tcp: undefined,
    tls: { host: '127.0.0.1', port: 0, certFile: serverCert.certFile, keyFile: serverCert.keyFile, caFile: ca.certFile, requestCert: true }
  })
  t.teardown(() => tl.close())

  const good = await tryDeliver(tl, { ca: ca.cert, key: trunkA.key, cert: trunkA.cert, servername: 'localhost' })
  t.equal(good.handshake, null)
  t.ok(good.delivered, 'delivered with a CA-signed client certificate')
  t.equal(good.source?.tlsPeerCertificate?.subject.CN, 'trunk-a', 'peer certificate on the source')
  t.equal(good.source?.tlsAuthorized, true)

  const none = await tryDeliver(tl, { ca: ca.cert, servername: 'localhost' })
  t.equal(none.delivered, null, 'no client certificate: nothing delivered')

  const rogue = await tryDeliver(tl, { ca: ca.cert, key: rogueClient.key, cert: rogueClient.cert, servername: 'localhost' })
  t.equal(rogue.delivered, null, 'certificate from another CA: nothing delivered')
})

t.test('client-certificate verification off: no certificate needed; requestCert without enforcement exposes an untrusted cert', async t => {
  const off = await startTransport({
    tcp: undefined, tls: { host: '127.0.0.1', port: 0, certFile: serverCert.certFile, keyFile: serverCert.keyFile }
  })
  t.teardown(() => off.close())
  const plain = await tryDeliver(off, { ca: ca.cert, servername: 'localhost' })
  t.ok(plain.delivered, 'delivered without a client certificate')
  t.equal(plain.source?.tlsPeerCertificate, undefined)

  const report = await startTransport({
    tcp: undefined,
    tls: { host: '127.0.0.1', port: 0, certFile: serverCert.certFile, keyFile: serverCert.keyFile, caFile: ca.certFile, requestCert: true, rejectUnauthorized: false }
  })
  t.teardown(() => report.close())
  const rogue = await tryDeliver(report, { ca: ca.cert, key: rogueClient.key, cert: rogueClient.cert, servername: 'localhost' })
  t.ok(rogue.delivered, 'accepted: policy decides')
  t.equal(rogue.source?.tlsPeerCertificate?.subject.CN, 'rogue-client')
  t.equal(rogue.source?.tlsAuthorized, false, 'marked as not chaining to the CA')
})

t.test('outbound TLS verifies the server (caFile) and presents our certificate', async t => {
  const { logger } = captureLogger()
  const server = new TransportLayer({
    tls: { host: '127.0.0.1', port: 0, certFile: serverCert.certFile, keyFile: serverCert.keyFile, caFile: ca.certFile, requestCert: true }
  }, logger)
  await server.listen()
  t.teardown(() => server.close())
  const client = await startTransport({
    tcp: undefined, tls: { host: '127.0.0.1', port: 0, certFile: trunkA.certFile, keyFile: trunkA.keyFile, caFile: ca.certFile }
  })
  t.teardown(() => client.close())
  const event = nextEvent<[SipMessage, TransportSource]>(server, 'message')
  const req = { kind: 'request' as const, method: 'OPTIONS', uri: 'sip:sbc@127.0.0.1', version: 'SIP/2.0', headers: [
    { name: 'Via', value: 'SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-out' },
    { name: 'From', value: '<sip:a@127.0.0.1>;tag=1' }, { name: 'To', value: '<sip:sbc@127.0.0.1>' },
    { name: 'Call-ID', value: 'out-tls' }, { name: 'CSeq', value: '1 OPTIONS' }, { name: 'Max-Forwards', value: '70' }
  ], body: Buffer.alloc(0) }
  await client.send(req, { transport: 'tls', host: '127.0.0.1', port: server.localAddressFor('tls').port })
  const [, source] = await event
  t.equal(source.tlsPeerCertificate?.subject.CN, 'trunk-a', 'mutual TLS: our certificate reached the server')

  const devServer = await startTransport({ tcp: undefined, tls: { host: '127.0.0.1', port: 0 } })
  t.teardown(() => devServer.close())
  await t.rejects(client.send(req, { transport: 'tls', host: '127.0.0.1', port: devServer.localAddressFor('tls').port }),
    { name: 'TransportError', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'an unverifiable server is refused')
})
