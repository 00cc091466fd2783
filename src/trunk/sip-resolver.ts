// Locating the trunk's SIP server (RFC 3263 §4) for TCP and TLS:
//   - an IP literal is used as is (§4.2: "If TARGET is a numeric IP address, the client uses that address");
//   - a host with an explicit port → A/AAAA of the host (§4.2);
//   - a host without port → SRV "_sips._tcp.<host>" for TLS, "_sip._tcp.<host>" for TCP (§4.2), ordered by
//     priority, then weighted-random within a priority (RFC 2782), each target's A/AAAA records in turn;
//   - no SRV records → A/AAAA of the host with the default port (5060 TCP, 5061 TLS).
// The transport is fixed by the trunk configuration, so the NAPTR step (§4.1) is skipped.
// Resolution functions are injected (node:dns/promises by default) so tests supply their own answers.
import dnsPromises from 'node:dns/promises'
import { isIP } from 'node:net'

export interface SrvRecord { name: string, port: number, priority: number, weight: number }

export interface DnsLookup {
  resolveSrv: (name: string) => Promise<SrvRecord[]>
  resolve4: (name: string) => Promise<string[]>
  resolve6: (name: string) => Promise<string[]>
  /**
   * getaddrinfo (dns.lookup): the fallback when the DNS queries find no address, so names from
   * /etc/hosts (and "localhost") work as trunk addresses the way every other tool on the host sees them.
   */
  lookup?: (name: string) => Promise<string[]>
}

export interface SipTarget {
  transport: 'udp' | 'tcp' | 'tls'
  /** IP address to connect to (TLS: the host name, see below). */
  host: string
  port: number
  /** Where it came from, for logs: "srv _sip._tcp.example.com → sip1.example.com", "a example.com", "ip". */
  via: string
}

export const DEFAULT_SIP_PORT = { udp: 5060, tcp: 5060, tls: 5061 } as const

export class ResolveError extends Error {
  readonly code = 'OUTBOUND_ERR_DNS'
}

const NO_DATA = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'NXDOMAIN', 'ESERVFAIL', 'EREFUSED', 'ETIMEOUT', 'ECONNREFUSED'])

export class SipResolver {
  private readonly dns: DnsLookup
  private readonly random: () => number

  constructor (opts: { dns?: DnsLookup, random?: () => number } = {}) {
    this.dns = opts.dns ?? {
      resolveSrv: n => dnsPromises.resolveSrv(n),
      resolve4: n => dnsPromises.resolve4(n),
      resolve6: n => dnsPromises.resolve6(n),
      lookup: async n => (await dnsPromises.lookup(n, { all: true })).map(a => a.address)
    }
    this.random = opts.random ?? Math.random
  }

  /**
   * Ordered targets for host[:port] over transport, at most `max`. TLS targets keep the host NAME (the
   * TLS layer resolves it and verifies the certificate against it, RFC 5922 §4); TCP targets are
   * addresses, so failover can move to the next address of the same name.
   */
  async resolve (host: string, port: number | null, transport: 'udp' | 'tcp' | 'tls', max = 4): Promise<SipTarget[]> {
    const h = host.replace(/^\[(.*)\]$/, '$1')
    if (isIP(h) !== 0) return [{ transport, host: h, port: port ?? DEFAULT_SIP_PORT[transport], via: 'ip' }]
    const out: SipTarget[] = []
    if (port === null) {
      const service = `${transport === 'tls' ? '_sips' : '_sip'}._${transport === 'udp' ? 'udp' : 'tcp'}.${h}`
      const srv = await this.lookup(() => this.dns.resolveSrv(service))
      // RFC 2782: a single record with target "." means "service decidedly not available here".
      if (srv.length === 1 && (srv[0].name === '.' || srv[0].name === '')) throw new ResolveError(`${service}: service not available (SRV ".")`)
      for (const r of this.orderSrv(srv)) {
        if (out.length >= max) break
        for (const t of await this.addresses(r.name, r.port, transport, `srv ${service} → ${r.name}`)) {
          if (out.length < max) out.push(t)
        }
      }
      if (srv.length > 0) {
        if (out.length === 0) throw new ResolveError(`${service}: no SRV target has an address`)
        return out
      }
    }
    const targets = await this.addresses(h, port ?? DEFAULT_SIP_PORT[transport], transport, `a ${h}`)
    if (targets.length === 0) throw new ResolveError(`${h}: no A/AAAA records`)
    return targets.slice(0, max)
  }

  private async addresses (name: string, port: number, transport: 'udp' | 'tcp' | 'tls', via: string): Promise<SipTarget[]> {
    if (isIP(name) !== 0) return [{ transport, host: name, port, via }]
    let [v4, v6] = await Promise.all([this.lookup(() => this.dns.resolve4(name)), this.lookup(() => this.dns.resolve6(name))])
    if (v4.length === 0 && v6.length === 0 && this.dns.lookup) {
      const local = this.dns.lookup
      const found = await this.lookup(() => local(name))
      v4 = found.filter(a => isIP(a) === 4)
      v6 = found.filter(a => isIP(a) === 6)
    }
    if (v4.length === 0 && v6.length === 0) return []
    if (transport === 'tls') return [{ transport, host: name.replace(/\.$/, ''), port, via }]
    return [...v4, ...v6].map(a => ({ transport, host: a, port, via }))
  }

  /** "No such record" is an empty answer; other DNS failures too (the next step or target may work). */
  private async lookup<T> (fn: () => Promise<T[]>): Promise<T[]> {
    try {
      return await fn()
    } catch (err) {
      if (NO_DATA.has((err as NodeJS.ErrnoException).code ?? '')) return []
      throw new ResolveError(String((err as Error).message))
    }
  }

  /** RFC 2782: ascending priority; within one priority, weighted random order (zero weights last-ish). */
  orderSrv (records: SrvRecord[]): SrvRecord[] {
    const byPriority = new Map<number, SrvRecord[]>()
    for (const r of records) {
      if (r.name === '.' || r.name === '') continue
      const list = byPriority.get(r.priority) ?? []
      list.push(r)
      byPriority.set(r.priority, list)
    }
    const out: SrvRecord[] = []
    for (const p of [...byPriority.keys()].sort((a, b) => a - b)) {
      // RFC 2782: zero-weight records first in the list so they get a small chance of being picked.
      const pool = (byPriority.get(p) as SrvRecord[]).slice().sort((a, b) => a.weight - b.weight)
      while (pool.length > 0) {
        const total = pool.reduce((s, r) => s + r.weight, 0)
        const pick = this.random() * (total + 1e-9)
        let sum = 0
        let idx = pool.length - 1
        for (let i = 0; i < pool.length; i++) {
          sum += pool[i].weight
          if (sum >= pick && (total > 0 || i === 0)) { idx = i; break }
        }
        if (total === 0) idx = 0
        out.push(pool[idx])
        pool.splice(idx, 1)
      }
    }
    return out
  }
}
