// The human of a transfer as a SIPp UAS (test/sipp/transfer/human-*.xml) on its own port, with
// __NAME__ substitutions, bounded by -timeout and a kill guard; ready once its TCP port accepts.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { freePort, SIPP, SCENARIOS } from '../integration/sipp-runner'

export interface HumanSipp { port: number, done: Promise<{ code: number | null, errors: string }> }

export async function startHumanSipp (scenario: string, substitutions: Record<string, string> = {}, timeoutSec = 20): Promise<HumanSipp> {
  const port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-human-'))
  let xml = fs.readFileSync(path.join(SCENARIOS, 'transfer', scenario), 'latin1')
  for (const [k, v] of Object.entries(substitutions)) xml = xml.split(`__${k}__`).join(v)
  const file = path.join(dir, scenario)
  fs.writeFileSync(file, xml, 'latin1')
  const args = ['-sf', file, '-t', 't1', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-timeout', `${timeoutSec}s`, '-timeout_error', '-nostdin', '-trace_err']
  const child = spawn(SIPP, args, { stdio: 'ignore', cwd: dir })
  const guard = setTimeout(() => child.kill('SIGKILL'), (timeoutSec + 10) * 1000)
  const done = new Promise<{ code: number | null, errors: string }>(resolve => child.once('close', (code) => {
    clearTimeout(guard)
    const errors = fs.readdirSync(dir).filter(f => f.endsWith('_errors.log')).map(f => fs.readFileSync(path.join(dir, f), 'latin1')).join('')
    fs.rmSync(dir, { recursive: true, force: true })
    resolve({ code, errors })
  }))
  for (let i = 0; i < 250; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) break
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return { port, done }
}
