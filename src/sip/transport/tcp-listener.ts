// TCP listener (RFC 3261 §18: SIP servers MUST listen on TCP as well as UDP; trunkgate is stream-only).

import { EventEmitter } from 'node:events'
import net from 'node:net'
import type { Logger } from '../../log'
import { normalizeAddress } from './connection'
import type { SourceAdmission } from './connection-table'

export interface StreamListenerEvents {
  socket: [socket: net.Socket]
}

/**
 * Applies the per-source connection cap at accept() time, before any octet (or TLS handshake) is
 * processed, and releases the slot when the socket closes. Returns false when the socket was refused.
 */
export function admitSocket (socket: net.Socket, admission: SourceAdmission, log: Logger, transport: string,
  live: Set<net.Socket>): boolean {
  const ip = normalizeAddress(socket.remoteAddress ?? '')
  // A socket can fail (ECONNRESET) before anyone else has attached an 'error' listener.
  socket.on('error', () => { /* logged by the connection or the TLS server */ })
  const refused = admission.admit(ip)
  if (refused !== null) {
    log.warn({ transport, remote: `${ip}:${socket.remotePort ?? 0}`, open: admission.countFor(ip), total: admission.totalCount },
      refused === 'source' ? 'connection refused: too many connections from this source' : 'connection refused: too many connections in all')
    socket.destroy()
    return false
  }
  live.add(socket)
  socket.once('close', () => { admission.release(ip); live.delete(socket) })
  return true
}

export class TcpListener extends EventEmitter<StreamListenerEvents> {
  private readonly server: net.Server
  /** Accepted sockets, so close() does not wait on peers that never hang up. */
  private readonly live = new Set<net.Socket>()

  constructor (private readonly admission: SourceAdmission, private readonly log: Logger) {
    super()
    this.server = net.createServer({ noDelay: true })
    this.server.on('connection', socket => {
      if (admitSocket(socket, this.admission, this.log, 'tcp', this.live)) this.emit('socket', socket)
    })
    this.server.on('error', err => this.log.error({ err }, 'TCP listener error'))
  }

  listen (host: string, port: number): Promise<net.AddressInfo> {
    return listenServer(this.server, host, port)
  }

  close (): Promise<void> {
    return closeServer(this.server, this.live)
  }
}

export function listenServer (server: net.Server, host: string, port: number): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err)
    server.once('error', onError)
    server.listen({ host, port }, () => {
      server.off('error', onError)
      resolve(server.address() as net.AddressInfo)
    })
  })
}

export function closeServer (server: net.Server, live: Set<net.Socket>): Promise<void> {
  for (const socket of live) socket.destroy()
  return new Promise(resolve => {
    if (!server.listening) { resolve(); return }
    server.close(() => resolve())
  })
}
