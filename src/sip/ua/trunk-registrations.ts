// One Registration per trunk with a `register` section, started once the listeners are up and removed
// (Expires: 0) on shutdown. The registrar address is host[:port] (default port per transport, §19.1.2).
import type { TrunkgateConfig } from '../../config'
import type { Logger } from '../../log'
import { systemClock } from '../transaction/clock'
import { TRANSPORT_KINDS } from '../transport/transport-kind'
import { Registration, type RegistrationStatus } from './registration'
import type { SipAgent } from './sip-agent'

export interface TrunkRegistrations {
  all: () => RegistrationStatus[]
  stop: () => Promise<void>
}

function hostPort (text: string): { host: string, port: number | null } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : null }
  const [host, port] = text.split(':')
  return { host, port: port ? Number(port) : null }
}

export function startTrunkRegistrations (config: TrunkgateConfig, agent: SipAgent, env: NodeJS.ProcessEnv, logger: Logger): TrunkRegistrations {
  const regs: Registration[] = []
  for (const trunk of config.trunks) {
    const r = trunk.register
    if (!r) continue
    const password = env[r.password_env]
    const log = logger.child({ trunk: trunk.name, component: 'registration' })
    if (password === undefined || password === '') {
      log.error({ env: r.password_env }, 'registration not started: the password environment variable is not set')
      continue
    }
    const registrar = hostPort(r.registrar ?? r.domain!)
    const domain = r.domain ?? registrar.host
    const contactUser = r.contact_user ?? r.username
    const reg = new Registration({
      trunk: trunk.name,
      username: r.username,
      password,
      domain,
      target: { transport: r.transport, host: registrar.host, port: registrar.port ?? TRANSPORT_KINDS[r.transport].defaultPort },
      expires: r.expires,
      contactUser,
      contact: (t) => agent.contactFor(t).replace(/^<sip:[^@]*@/, `<sip:${contactUser}@`),
      layer: agent.transactions,
      clock: systemClock,
      logger: log
    })
    regs.push(reg)
    reg.start()
  }
  return {
    all: () => regs.map((r) => r.snapshot),
    stop: async () => { await Promise.all(regs.map((r) => r.stop())) }
  }
}
