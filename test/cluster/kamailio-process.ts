// The shipped docker/kamailio.cfg run by a real Kamailio (Debian `kamailio`) in the foreground, on
// loopback (through the one Kamailio fixture, test/fixtures/kamailio). The cfg is used as shipped except
// its three deployment lines (listen address, port, dispatcher list file), which are rewritten for the test.
import fs from 'node:fs'
import path from 'node:path'

import { KAMAILIO, KAMAILIO_MODULES, startKamailio } from '../fixtures/kamailio/kamailio'

export { KAMAILIO, KAMAILIO_MODULES }
export const SHIPPED_CFG = path.resolve(__dirname, '..', '..', 'docker', 'kamailio.cfg')

export interface Dispatcher {
  log: () => string
  stop: () => Promise<void>
}

/** The shipped cfg with only the deployment values changed. */
export function templatedCfg (listenIp: string, port: number, listFile: string): string {
  let cfg = fs.readFileSync(SHIPPED_CFG, 'utf8')
  const lines: Array<[string, string]> = [
    ['#!substdef "!TG_LISTEN_IP!0.0.0.0!g"', `#!substdef "!TG_LISTEN_IP!${listenIp}!g"`],
    ['#!substdef "!TG_LISTEN_PORT!5060!g"', `#!substdef "!TG_LISTEN_PORT!${port}!g"`],
    ['#!substdef "!TG_DISPATCHER_LIST!/etc/kamailio/dispatcher.list!g"', `#!substdef "!TG_DISPATCHER_LIST!${listFile}!g"`]
  ]
  for (const [shipped, local] of lines) {
    if (!cfg.includes(shipped)) throw new Error(`docker/kamailio.cfg: deployment line ${shipped} changed; update the test template`)
    cfg = cfg.replace(shipped, local)
  }
  return cfg
}

export async function startDispatcher (port: number, nodes: Array<{ host: string, port: number }>): Promise<Dispatcher> {
  return await startKamailio(dir => templatedCfg('127.0.0.1', port, path.join(dir, 'dispatcher.list')), {
    timeoutMs: 20_000,
    files: { 'dispatcher.list': nodes.map(n => `1 sip:${n.host}:${n.port};transport=tcp\n`).join('') },
    memoryMb: { shared: 64, private: 16 },
    // The shipped cfg names its modules without a path (Debian's default module dir).
    args: ['-L', KAMAILIO_MODULES]
  })
}
