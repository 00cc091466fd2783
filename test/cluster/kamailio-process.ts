// The shipped docker/kamailio.cfg run by a real Kamailio (Debian `kamailio`) in the foreground, on
// loopback. The cfg is used as shipped except its three deployment lines (listen address, port,
// dispatcher list file), which are rewritten for the test. stop() ends exactly the process it started.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const KAMAILIO = process.env.KAMAILIO ?? '/usr/sbin/kamailio'
export const KAMAILIO_MODULES = process.env.KAMAILIO_MODULES ?? '/usr/lib/x86_64-linux-gnu/kamailio/modules'
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-kamailio-'))
  const list = path.join(dir, 'dispatcher.list')
  fs.writeFileSync(list, nodes.map(n => `1 sip:${n.host}:${n.port};transport=tcp\n`).join(''))
  const cfg = path.join(dir, 'kamailio.cfg')
  fs.writeFileSync(cfg, templatedCfg('127.0.0.1', port, list))
  const child = spawn(KAMAILIO, ['-DD', '-E', '-f', cfg, '-L', KAMAILIO_MODULES, '-Y', dir, '-m', '64', '-M', '16'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const waiters = new Set<() => void>()
  const take = (d: Buffer): void => { log = (log + d.toString('latin1')).slice(-200000); for (const w of [...waiters]) w() }
  child.stdout.on('data', take)
  child.stderr.on('data', take)
  let exited = false
  const exit = new Promise<void>(resolve => child.once('exit', () => { exited = true; for (const w of [...waiters]) w(); resolve() }))
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM')
      const guard = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exit
      clearTimeout(guard)
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`kamailio not ready:\n${log.slice(-3000)}`)) }, 20000)
      function check (): void {
        if (/TG-KAMAILIO-READY/.test(log)) { clearTimeout(timer); waiters.delete(check); resolve() } else if (exited) { clearTimeout(timer); waiters.delete(check); reject(new Error(`kamailio exited:\n${log.slice(-3000)}`)) }
      }
      waiters.add(check)
      check()
    })
  } catch (err) {
    await stop()
    throw err
  }
  return { log: () => log, stop }
}
