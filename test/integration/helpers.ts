// Shared setup for integration tests: a loopback-only server on ephemeral ports.
import { parseConfigText, type TrunkgateConfig } from '../../src/config'


/** Loopback only, port 0 everywhere; `trunksYaml` replaces the trunk list when given. */
export function testConfig (opts: { trunksYaml?: string; extraSip?: string; tls?: boolean; tlsCa?: string; numbersYaml?: string; udp?: boolean } = {}): TrunkgateConfig {
  const trunks = opts.trunksYaml ?? `
  - name: loopback
    inbound: {acl: [127.0.0.0/8, '::1']}`
  const numbers = opts.numbersYaml ?? `
  - {number: '+15550100', agent: demo}
  - {number: '+15550199', agent: demo}`
  return parseConfigText(`
sip:
  listen:
    tcp: {host: 127.0.0.1, port: 0}
${opts.udp ? '    udp: {host: 127.0.0.1, port: 0}' : ''}
${opts.tls ? `    tls: {host: 127.0.0.1, port: 0${opts.tlsCa ? `, ca: '${opts.tlsCa}'` : ''}}` : ''}
${opts.extraSip ?? ''}
trunks:${trunks}
phone_numbers:${numbers}
agents:
  - {id: demo, name: Demo}
log: {level: silent}
`)
}

