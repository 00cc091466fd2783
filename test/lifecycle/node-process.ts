// One trunkgate node as operators run it: the `trunkgate` command (package.json bin: dist/src/cli.js,
// built by `npm test`'s tsc step) in a child process, its JSON log collected and searchable, signals
// sent to node itself. Compiled JS, not the TypeScript source: several nodes start in the cluster test,
// and compiling the source in each one took tens of seconds on a loaded host. Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(__dirname, '..', '..')
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js')

export interface LogLine { msg?: string, [k: string]: unknown }

export class NodeProcess {
  readonly lines: LogLine[] = []
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  private text = ''
  private readonly waiters = new Set<() => void>()

  private constructor (readonly child: ChildProcess) {
    this.exited = new Promise(resolve => child.once('exit', (code, signal) => { this.wake(); resolve({ code, signal }) }))
    const take = (d: Buffer): void => {
      this.text += d.toString()
      let nl: number
      while ((nl = this.text.indexOf('\n')) !== -1) {
        const line = this.text.slice(0, nl)
        this.text = this.text.slice(nl + 1)
        try { this.lines.push(JSON.parse(line) as LogLine) } catch { this.lines.push({ msg: line }) }
      }
      this.wake()
    }
    child.stdout?.on('data', take)
    child.stderr?.on('data', take)
  }

  /** Starts `trunkgate --config file` as the bin does (node --initial-old-space-size=128 dist/src/cli.js). */
  static start (configFile: string, env: NodeJS.ProcessEnv = {}): NodeProcess {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} missing: build first (npx tsc -p tsconfig.json; npm test does it)`)
    const e: NodeJS.ProcessEnv = { ...process.env, ...env }
    delete e.TRUNKGATE_LOG_LEVEL
    const child = spawn(process.execPath, ['--initial-old-space-size=128', CLI, '--config', configFile],
      { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] })
    return new NodeProcess(child)
  }

  get running (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  count (pred: (l: LogLine) => boolean): number { return this.lines.filter(pred).length }

  /** Resolves with the n-th log line matching pred (1-based), or rejects after timeoutMs or on exit. */
  async waitFor (pred: (l: LogLine) => boolean, timeoutMs = 20000, n = 1): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.lines.filter(pred)
      if (found.length >= n) return found[n - 1]
      if (!this.running) throw new Error(`node exited before the expected log line:\n${this.tail()}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`expected log line not seen within ${timeoutMs} ms:\n${this.tail()}`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(done, left)
        function done (): void { clearTimeout(timer); resolve() }
        this.waiters.add(done)
      })
    }
  }

  /** SIP TCP port and API port from the startup log. */
  async ready (): Promise<{ sipPort: number, apiPort: number | null }> {
    await this.waitFor(l => l.msg === 'trunkgate ready', 60000)
    const sip = this.lines.find(l => typeof l.msg === 'string' && l.msg.startsWith('listening on sip TCP'))
    const api = this.lines.find(l => l.msg === 'control API listening')
    return { sipPort: Number(sip?.port), apiPort: api ? Number(api.port) : null }
  }

  tail (n = 40): string {
    return this.lines.slice(-n).map(l => JSON.stringify(l)).join('\n')
  }

  async kill (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child.kill(signal)
    await this.exited
  }

  private wake (): void {
    for (const w of [...this.waiters]) { this.waiters.delete(w); w() }
  }
}
