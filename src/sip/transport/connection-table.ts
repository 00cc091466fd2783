// Live connections, found by id (responses, RFC 3261 §18.2.2) or by peer address (connection reuse).
//
// RFC 3261 §18.1.1 / §18.2.2: responses go back over the connection the request came on, and a
// request towards a peer SHOULD reuse an existing connection to it whichever side opened it (RFC 5923
// §4 extends this with the Via "alias" parameter: the peer tells us its listening port is reachable
// through the connection it opened).

import type { SipConnection } from './connection'
import type { TransportName } from './transport-types'

function peerKey (transport: TransportName, host: string, port: number): string {
  // IPv6 literals are stored without brackets (types.ts SipUri.host convention).
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return `${transport}|${h}|${port}`
}

export class ConnectionTable {
  private readonly byId = new Map<string, SipConnection>()
  /** Several connections may lead to one peer (both sides opened one); the newest is preferred. */
  private readonly byPeer = new Map<string, SipConnection[]>()
  private readonly keysOf = new Map<string, string[]>()

  get size (): number { return this.byId.size }

  add (conn: SipConnection, extraPeerNames: Array<{ host: string, port: number }> = []): void {
    this.byId.set(conn.id, conn)
    this.index(conn, peerKey(conn.transport, conn.remoteAddress, conn.remotePort))
    for (const p of extraPeerNames) this.index(conn, peerKey(conn.transport, p.host, p.port))
  }

  /** RFC 5923 alias (or a registrar binding): requests to host:port may use this connection. */
  addAlias (connectionId: string, host: string, port: number): boolean {
    const conn = this.byId.get(connectionId)
    if (!conn) return false
    this.index(conn, peerKey(conn.transport, host, port))
    return true
  }

  remove (conn: SipConnection): void {
    if (this.byId.get(conn.id) !== conn) return
    this.byId.delete(conn.id)
    for (const key of this.keysOf.get(conn.id) ?? []) {
      const list = (this.byPeer.get(key) ?? []).filter(c => c !== conn)
      if (list.length === 0) this.byPeer.delete(key)
      else this.byPeer.set(key, list)
    }
    this.keysOf.delete(conn.id)
  }

  get (id: string): SipConnection | undefined {
    const conn = this.byId.get(id)
    return conn && conn.state === 'open' ? conn : undefined
  }

  /** A usable (open) connection to the peer, newest first. */
  findByPeer (transport: TransportName, host: string, port: number): SipConnection | undefined {
    const list = this.byPeer.get(peerKey(transport, host, port))
    if (!list) return undefined
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].state === 'open') return list[i]
    }
    return undefined
  }

  all (): SipConnection[] { return [...this.byId.values()] }

  private index (conn: SipConnection, key: string): void {
    const keys = this.keysOf.get(conn.id) ?? []
    if (keys.includes(key)) return
    keys.push(key)
    this.keysOf.set(conn.id, keys)
    const list = this.byPeer.get(key) ?? []
    list.push(conn)
    this.byPeer.set(key, list)
  }
}

/**
 * Counts inbound sockets per remote IP and in all from accept() on — before a TLS handshake finishes,
 * since a handshake flood is the cheapest way to exhaust a listener. The per-source cap stops one
 * address; the total cap stops many addresses together from exhausting file descriptors.
 */
export class SourceAdmission {
  private readonly counts = new Map<string, number>()
  private total = 0

  constructor (private readonly maxPerSource: number, private readonly maxTotal: number = Infinity) {}

  /** Why a socket from ip would be refused now, or null when it is admitted (and counted). */
  admit (ip: string): 'source' | 'total' | null {
    const n = this.counts.get(ip) ?? 0
    if (n >= this.maxPerSource) return 'source'
    if (this.total >= this.maxTotal) return 'total'
    this.counts.set(ip, n + 1)
    this.total++
    return null
  }

  release (ip: string): void {
    const n = this.counts.get(ip)
    if (n === undefined) return
    this.total--
    if (n <= 1) this.counts.delete(ip)
    else this.counts.set(ip, n - 1)
  }

  get totalCount (): number { return this.total }

  countFor (ip: string): number { return this.counts.get(ip) ?? 0 }
}
