// A throwaway PostgreSQL 15 (Debian `postgresql`) for tests: initdb in a temp dir and the server on a
// loopback port, both as the `postgres` user (initdb refuses root), trust auth on loopback only.
// stop() ends the server and removes the directory. Every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

export interface PostgresServer {
  port: number
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string
  stop: () => Promise<void>
}

async function freeTcpPort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(p))
    })
  })
}

/** Runs as the postgres user when we are root (CI containers), as ourselves otherwise. */
function asPostgres (cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
}

export async function startPostgres (): Promise<PostgresServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-pg-'))
  const data = path.join(dir, 'data')
  if (process.getuid?.() === 0) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gw = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    fs.chownSync(dir, Number(pw.stdout.trim()), Number(gw.stdout.trim()))
  }
  const [initCmd, initArgs] = asPostgres(path.join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-instructions', '-E', 'UTF8', '--locale=C'])
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8', timeout: 60000 })
  if (init.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`)
  }
  const port = await freeTcpPort()
  const [cmd, args] = asPostgres(path.join(BIN, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'max_connections=50', '-c', 'shared_buffers=16MB'])
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout?.on('data', (d: Buffer) => { log += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { log += d.toString() })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGINT: PostgreSQL's "fast" shutdown (ends sessions, checkpoints, exits).
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000)
      await exited
      clearTimeout(timer)
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 30000
  for (;;) {
    if (/ready to accept connections/.test(log)) break
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`PostgreSQL did not start:\n${log.slice(-2000)}`)
    }
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))
      const done = (): void => { clearTimeout(timer); resolve() }
      child.stderr?.once('data', done)
      child.stdout?.once('data', done)
      void exited.then(done)
    })
  }
  return { port, url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop }
}
