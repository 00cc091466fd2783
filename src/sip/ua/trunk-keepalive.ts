// Optional OPTIONS keep-alive per trunk (trunks[].keepalive_s): every keepalive_s seconds an OPTIONS goes to the
// trunk's outbound address (else its registrar). Any answer means the trunk is up (RFC 3261 §11: even 4xx/5xx
// come from a live peer); a transaction timeout (408 after Timer F) or a transport error (503) marks it down. Over
// UDP the same OPTIONS also keeps the NAT binding of the flow open.
import { parseTrunkAddress, type TrunkgateConfig } from '../../config'
import type { Logger } from '../../log'
import { systemClock, type Clock } from '../transaction/clock'
import { TRANSPORT_KINDS, type TransportName } from '../transport/transport-kind'
import type { SipAgent } from './sip-agent'

export interface TrunkHealth { trunk: string, up: boolean | null, lastStatus: number | null, failures: number }

export interface TrunkKeepalives {
  all: () => TrunkHealth[]
  stop: () => void
}

export function startTrunkKeepalives (config: TrunkgateConfig, agent: SipAgent, logger: Logger, clock: Clock = systemClock): TrunkKeepalives {
  const health: TrunkHealth[] = []
  const timers: unknown[] = []
  let stopped = false
  for (const trunk of config.trunks) {
    if (!trunk.keepalive_s) continue
    const out = trunk.outbound
    const reg = trunk.register
    const text = out?.address ?? reg?.registrar ?? reg?.domain
    if (!text) { logger.warn({ trunk: trunk.name }, 'keepalive_s without an outbound address or registrar: no keep-alive'); continue }
    const transport: TransportName = out?.transport ?? reg?.transport ?? 'udp'
    const addr = parseTrunkAddress(text, `trunks.${trunk.name}`)
    const port = addr.port ?? out?.port ?? TRANSPORT_KINDS[transport].defaultPort
    const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host
    const h: TrunkHealth = { trunk: trunk.name, up: null, lastStatus: null, failures: 0 }
    health.push(h)
    const log = logger.child({ trunk: trunk.name, component: 'keepalive' })
    const ping = async (): Promise<void> => {
      if (stopped) return
      try {
        const res = await agent.request(`sip:${host}:${port}`, { method: 'OPTIONS', target: { transport, host: addr.host, port } })
        const down = res.status === 408 || res.status === 503
        if (down !== (h.up === false)) log[down ? 'warn' : 'info']({ status: res.status }, down ? 'trunk down: OPTIONS unanswered' : 'trunk up')
        h.up = !down
        h.lastStatus = res.status
        h.failures = down ? h.failures + 1 : 0
      } catch (err) {
        h.up = false
        h.failures++
        log.warn({ err }, 'trunk down: OPTIONS could not be sent')
      }
      if (!stopped) timers.push(clock.setTimeout(() => { void ping() }, trunk.keepalive_s! * 1000))
    }
    void ping()
  }
  return {
    all: () => health.map((h) => ({ ...h })),
    stop: () => { stopped = true; for (const t of timers) clock.clearTimeout(t) }
  }
}
