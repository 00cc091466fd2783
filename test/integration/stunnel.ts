// SIPp 3.6.1 as packaged speaks no TLS we can rely on: wrap its TCP in stunnel (client mode) so the
// server's TLS listener sees a real TLS connection. Foreground process, killed by stop().
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { freePort } from './sipp-runner'

export interface StunnelClient {
  /** Plain TCP address SIPp connects to. */
  acceptPort: number
  log: () => string
  stop: () => Promise<void>
}

export async function startStunnelClient (tlsTarget: { host: string; port: number }, clientCert?: { cert: string; key: string }): Promise<StunnelClient> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-stunnel-'))
  const acceptPort = await freePort()
  const conf = path.join(dir, 'stunnel.conf')
  fs.writeFileSync(conf, [
    'foreground = yes',
    'pid =',
    'debug = 5',
    'syslog = no',
    '[sip-tls]',
    'client = yes',
    `accept = 127.0.0.1:${acceptPort}`,
    `connect = ${tlsTarget.host}:${tlsTarget.port}`,
    // The test server uses its self-signed development certificate: no chain to verify.
    'verifyChain = no',
    'sslVersionMin = TLSv1.2',
    ...(clientCert ? [`cert = ${clientCert.cert}`, `key = ${clientCert.key}`] : []),
    ''
  ].join('\n'))
  const child: ChildProcess = spawn('stunnel', [conf], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-20000) })
  child.stderr?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-20000) })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(t)
    fs.rmSync(dir, { recursive: true, force: true })
  }
  // Ready when the accept port takes connections (bounded: 5 s).
  const deadline = Date.now() + 5000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`stunnel exited early: ${log}`)
    }
    if (await canConnect(acceptPort)) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`stunnel did not start listening: ${log}`)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return { acceptPort, log: () => log, stop }
}

function canConnect (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}
