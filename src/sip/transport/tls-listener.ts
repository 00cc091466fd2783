// TLS listener (RFC 3261 §26.2.1, RFC 5630 §3: SIP over TLS; RFC 8996: TLS 1.0/1.1 are not offered).

import { EventEmitter } from 'node:events'
import fs from 'node:fs/promises'
import type net from 'node:net'
import tls from 'node:tls'
import type { Logger } from '../../log'
import { normalizeAddress } from './connection'
import type { SourceAdmission } from './connection-table'
import { generateDevCertificate } from './dev-cert'
import { admitSocket, closeServer, listenServer } from './tcp-listener'
import type { TlsOptions } from './transport-types'

export interface TlsMaterial {
  key: Buffer
  cert: Buffer
  ca?: Buffer
  /** True when the certificate was generated at start-up (development only). */
  selfSigned: boolean
}

export const ALLOWED_TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const

/** The configured minimum, refusing anything below TLS 1.2 even from untyped (YAML) configuration. */
export function tlsMinVersion (opts: TlsOptions): tls.SecureVersion {
  const v = opts.minVersion ?? 'TLSv1.2'
  if (!(ALLOWED_TLS_VERSIONS as readonly string[]).includes(v)) {
    throw new Error(`tls.minVersion ${JSON.stringify(v)} is not allowed: use TLSv1.2 or TLSv1.3 (RFC 8996)`)
  }
  return v
}

/** Loads the PEM files, or generates a self-signed development certificate when none are configured. */
export async function loadTlsMaterial (opts: TlsOptions, log: Logger): Promise<TlsMaterial> {
  const ca = opts.caFile ? await fs.readFile(opts.caFile) : undefined
  if (opts.certFile && opts.keyFile) {
    const [cert, key] = await Promise.all([fs.readFile(opts.certFile), fs.readFile(opts.keyFile)])
    return { key, cert, ca, selfSigned: false }
  }
  if (opts.certFile || opts.keyFile) {
    throw new Error('sip.listen.tls.cert and sip.listen.tls.key must be configured together')
  }
  const dev = await generateDevCertificate()
  log.warn('TLS: no sip.listen.tls.cert/sip.listen.tls.key configured — using a freshly generated SELF-SIGNED DEVELOPMENT ' +
    'certificate (CN=trunkgate-development). Peers that verify certificates will refuse it; ' +
    'configure a real certificate before connecting carriers.')
  return { key: dev.key, cert: dev.cert, ca, selfSigned: true }
}

export interface TlsListenerEvents {
  socket: [socket: tls.TLSSocket]
  tlsClientError: [err: Error, remote: { remoteAddress: string, remotePort: number }]
}

export class TlsListener extends EventEmitter<TlsListenerEvents> {
  private readonly server: tls.Server
  /** Raw sockets, including those still in the handshake, so close() never waits on them. */
  private readonly live = new Set<net.Socket>()

  constructor (material: TlsMaterial, opts: TlsOptions, handshakeTimeoutMs: number,
    private readonly admission: SourceAdmission, private readonly log: Logger) {
    super()
    const requestCert = opts.requestCert ?? false
    this.server = tls.createServer({
      key: material.key,
      cert: material.cert,
      ca: material.ca,
      minVersion: tlsMinVersion(opts),
      requestCert,
      // Node ignores rejectUnauthorized unless requestCert is set; with it, default to enforcing.
      rejectUnauthorized: requestCert ? (opts.rejectUnauthorized ?? true) : false,
      // A handshake is part of "receiving the first message": same slowloris budget.
      handshakeTimeout: handshakeTimeoutMs
    })
    // tls.Server still emits the raw TCP 'connection' first: cap per source before the handshake.
    this.server.on('connection', (socket: net.Socket) => { admitSocket(socket, this.admission, this.log, 'tls', this.live) })
    this.server.on('secureConnection', (socket: tls.TLSSocket) => this.emit('socket', socket))
    this.server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      const remote = { remoteAddress: normalizeAddress(socket.remoteAddress ?? ''), remotePort: socket.remotePort ?? 0 }
      this.log.warn({ err: { code: (err as NodeJS.ErrnoException).code, message: err.message }, ...remote },
        'TLS handshake failed')
      // Node destroys the socket only when nobody listens to 'tlsClientError'; with a listener it is
      // ours to end. Left open, a half-sent ClientHello would hold its per-source slot for good.
      socket.destroy()
      this.emit('tlsClientError', err, remote)
    })
    this.server.on('error', err => this.log.error({ err }, 'TLS listener error'))
  }

  listen (host: string, port: number): Promise<net.AddressInfo> {
    return listenServer(this.server, host, port)
  }

  close (): Promise<void> {
    return closeServer(this.server, this.live)
  }
}
