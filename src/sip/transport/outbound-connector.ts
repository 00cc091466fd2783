// Opening connections for requests (RFC 3261 §18.1.1) and for responses whose connection is gone
// (§18.2.2). TLS clients send SNI and verify the server per RFC 5922 §7 unless told otherwise.

import net from 'node:net'
import tls from 'node:tls'
import { TransportError } from './transport-error'
import type { TransportName, TransportTimers } from './transport-types'

export interface ConnectTarget {
  transport: TransportName
  host: string
  port: number
}

export interface TlsClientSettings {
  /** Our certificate for mutual TLS (trunks often require it). */
  key?: Buffer
  cert?: Buffer
  /** Trust anchors; absent = Node's bundled CA store. */
  ca?: Buffer
  verifyServer: boolean
  minVersion: tls.SecureVersion
}

export function describeTarget (t: ConnectTarget): string {
  return `${t.transport}:${net.isIPv6(t.host) ? `[${t.host}]` : t.host}:${t.port}`
}

/**
 * Resolves with a connected (and, for TLS, handshaken and verified) socket, or rejects with a
 * TransportError carrying the system code (ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT, a TLS code …).
 */
export function connectStream (target: ConnectTarget, timeoutMs: number, timers: TransportTimers,
  tlsSettings: TlsClientSettings | null): Promise<net.Socket> {
  const where = describeTarget(target)
  const host = target.host.replace(/^\[(.*)\]$/, '$1')
  return new Promise((resolve, reject) => {
    let settled = false
    let socket: net.Socket
    const fail = (err: unknown, what: string): void => {
      if (settled) return
      settled = true
      timers.clearTimeout(timer)
      socket.destroy()
      reject(TransportError.from(err, where, what))
    }
    const timer = timers.setTimeout(() => {
      fail(new TransportError('ETIMEDOUT', where, `no connection within ${timeoutMs} ms`), 'connect')
    }, timeoutMs)
    const done = (): void => {
      if (settled) return
      settled = true
      timers.clearTimeout(timer)
      // onError stays attached (a no-op once settled): an error between resolve() and the caller
      // wrapping the socket must not become an unhandled 'error' event.
      resolve(socket)
    }
    const onError = (err: Error): void => fail(err, target.transport === 'tls' ? 'TLS connect' : 'connect')
    if (target.transport === 'tls') {
      if (!tlsSettings) throw new Error('TLS settings missing')
      socket = tls.connect({
        host,
        port: target.port,
        // RFC 6066 §3: SNI carries host names only, never IP literals.
        servername: net.isIP(host) === 0 ? host : undefined,
        key: tlsSettings.key,
        cert: tlsSettings.cert,
        ca: tlsSettings.ca,
        rejectUnauthorized: tlsSettings.verifyServer,
        minVersion: tlsSettings.minVersion
      }, done)
    } else {
      socket = net.connect({ host, port: target.port, noDelay: true }, done)
    }
    socket.on('error', onError)
  })
}
