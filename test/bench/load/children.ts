// Child processes of the load bench: every one is registered here so that an error, SIGINT or
// SIGTERM in the bench kills exactly the processes it started (by pid), never anything else.
import { ChildProcess, execFileSync, spawn, SpawnOptions } from 'node:child_process'
import dgram from 'node:dgram'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'

const live = new Set<ChildProcess>()
let hooked = false

function killAll (): void {
  for (const child of live) { try { child.kill('SIGKILL') } catch { /* already gone */ } }
  live.clear()
}

function hook (): void {
  if (hooked) return
  hooked = true
  process.on('exit', killAll)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { killAll(); process.exit(130) })
  }
}

export function spawnTracked (cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  hook()
  const child = spawn(cmd, args, opts)
  live.add(child)
  child.once('exit', () => live.delete(child))
  child.once('error', () => live.delete(child))
  return child
}

// Stops a child: a polite signal first, SIGKILL after graceMs; resolves when it has exited.
export async function stopChild (child: ChildProcess, graceMs = 2000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

// Reads a child's stdout line by line with a deadline per line.
export class LineReader {
  private readonly queue: string[] = []
  private readonly waiters: Array<(line: string | null) => void> = []
  private ended = false

  // divert: lines that are not answers (e.g. node's --trace-gc output, which goes to stdout) are
  // written to stderr instead of being taken as the next answer.
  constructor (stream: NodeJS.ReadableStream, divert: (line: string) => boolean = () => false) {
    const rl = readline.createInterface({ input: stream })
    rl.on('line', line => { if (divert(line)) { process.stderr.write(line + '\n'); return } const w = this.waiters.shift(); if (w) w(line); else this.queue.push(line) })
    rl.on('close', () => { this.ended = true; for (const w of this.waiters.splice(0)) w(null) })
  }

  async next (timeoutMs: number, what: string): Promise<string> {
    const queued = this.queue.shift()
    if (queued !== undefined) return queued
    if (this.ended) throw new Error(`${what}: process ended`)
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(deliver)
        if (i >= 0) this.waiters.splice(i, 1)
        reject(new Error(`${what}: no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      const deliver = (line: string | null): void => {
        clearTimeout(timer)
        if (line === null) reject(new Error(`${what}: process ended`)); else resolve(line)
      }
      this.waiters.push(deliver)
    })
  }
}

// A free UDP port on loopback (bound then released: a small race, acceptable for a bench).
export async function freeUdpPort (): Promise<number> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>(resolve => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

export const repoRoot = path.resolve(__dirname, '..', '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []))

// Builds a C++ tool from test/bench/load/<name>.cc into a temp dir (rebuilt when the source is newer).
export function buildTool (name: string, libs: string[]): string {
  const dir = path.join(os.tmpdir(), 'trunkgate-bench')
  fs.mkdirSync(dir, { recursive: true })
  const src = path.join(repoRoot, 'test', 'bench', 'load', `${name}.cc`)
  const bin = path.join(dir, name)
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
    execFileSync('g++', ['-O2', '-std=c++17', '-o', bin, src, ...libs], { stdio: 'inherit' })
  }
  return bin
}

// The compiled sibling script of a bench module (benches run from dist/ after `tsc`).
export function siblingScript (name: string): string {
  const js = path.join(__dirname, `${name}.js`)
  if (fs.existsSync(js)) return js
  throw new Error(`${js} not found: run the bench through 'npm run bench -- load' (it compiles first)`)
}
