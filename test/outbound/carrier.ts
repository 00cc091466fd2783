// SIPp as the carrier behind an outbound trunk: a UAS scenario from test/outbound/sipp/ listening on TCP
// (or behind stunnel in server mode for TLS), bounded by -m and -timeout. Messages SIPp received are
// kept (-message_file) so a test can check what arrived, e.g. recompute a digest response.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { freePort, SIPP } from '../integration/sipp-runner'

export interface Carrier {
  /** Where the gateway's trunk points: SIPp's TCP port, or stunnel's TLS port. */
  port: number
  /** Resolves when SIPp exits by itself (after -m calls or -timeout). */
  done: Promise<CarrierRun>
  stop: () => Promise<void>
}

export interface CarrierRun {
  exitCode: number | null
  errors: string
  /** Every message SIPp received and sent (-trace_msg). */
  messages: string
  stderr: string
}

export interface CarrierOptions {
  scenario: string
  substitutions?: Record<string, string>
  calls?: number
  timeoutSec?: number
  /** TLS in front: stunnel server with this certificate/key (PEM paths). */
  tls?: { cert: string, key: string }
  /** SIPp over UDP (-t u1) instead of TCP: a UDP trunk. */
  udp?: boolean
}

export async function startCarrier (opts: CarrierOptions): Promise<Carrier> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-carrier-'))
  const sipPort = await freePort()
  const tlsPort = opts.tls ? await freePort() : null
  const contact = tlsPort ? `127.0.0.1:${tlsPort};transport=tls` : `127.0.0.1:${sipPort};transport=${opts.udp ? 'udp' : 'tcp'}`
  let xml = fs.readFileSync(path.join(__dirname, 'sipp', opts.scenario), 'latin1')
  const subs: Record<string, string> = { CONTACT: contact, RTP_PORT: '40000', RTP_PROTO: 'RTP/AVP', CRYPTO_LINE: '', HOLD_MS: '500', ...opts.substitutions }
  for (const [k, v] of Object.entries(subs)) xml = xml.split(`__${k}__`).join(v)
  if (/__[A-Z_]+__/.test(xml)) throw new Error(`unsubstituted placeholder in ${opts.scenario}: ${/__[A-Z_]+__/.exec(xml)?.[0]}`)
  const scenario = path.join(dir, opts.scenario)
  fs.writeFileSync(scenario, xml, 'latin1')
  const mediaPort = await freePort()
  const args = [
    '-sf', scenario, '-t', opts.udp ? 'u1' : 't1', '-i', '127.0.0.1', '-p', String(sipPort), '-mi', '127.0.0.1', '-mp', String(mediaPort),
    '-m', String(opts.calls ?? 1), '-timeout', `${opts.timeoutSec ?? 20}s`, '-timeout_error', '-nostdin',
    '-trace_err', '-trace_msg', '-message_file', path.join(dir, 'messages.log'), '-max_recv_loops', '1000'
  ]
  const child = spawn(SIPP, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString('latin1')).slice(-20000) })
  child.stdout.resume()
  const killer = setTimeout(() => child.kill('SIGKILL'), ((opts.timeoutSec ?? 20) + 15) * 1000)
  let stunnel: ReturnType<typeof spawn> | null = null
  const exited = new Promise<number | null>(resolve => child.once('close', code => resolve(code)))
  const done = exited.then(async code => {
    clearTimeout(killer)
    const errFile = fs.readdirSync(dir).find(f => f.endsWith('_errors.log'))
    const read = (f: string): string => fs.existsSync(f) ? fs.readFileSync(f, 'latin1') : ''
    return { exitCode: code, errors: errFile ? read(path.join(dir, errFile)) : '', messages: read(path.join(dir, 'messages.log')), stderr }
  })
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
    if (stunnel && stunnel.exitCode === null) {
      const s = stunnel
      const gone = new Promise(resolve => s.once('exit', resolve))
      s.kill('SIGTERM')
      await gone
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitListening(sipPort, child, opts.udp ? 'udp' : 'tcp')
  } catch (err) {
    await new Promise(resolve => setTimeout(resolve, 100))
    throw new Error(`SIPp carrier did not start: ${(err as Error).message}\n${stderr.slice(-2000)}`)
  }
  if (opts.tls && tlsPort) {
    const conf = path.join(dir, 'stunnel.conf')
    fs.writeFileSync(conf, ['foreground = yes', 'pid =', 'syslog = no', 'debug = 4', '[carrier-tls]',
      `accept = 127.0.0.1:${tlsPort}`, `connect = 127.0.0.1:${sipPort}`, `cert = ${opts.tls.cert}`, `key = ${opts.tls.key}`,
      'sslVersionMin = TLSv1.2', ''].join('\n'))
    stunnel = spawn('stunnel', [conf], { stdio: ['ignore', 'ignore', 'ignore'] })
    await waitListening(tlsPort, stunnel)
  }
  return { port: tlsPort ?? sipPort, done, stop }
}

/** Listening per /proc/net/tcp (state 0A) or bound per /proc/net/udp: no probe that SIPp would see as a peer. */
async function waitListening (port: number, child: ReturnType<typeof spawn>, proto: 'tcp' | 'udp' = 'tcp'): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  const deadline = Date.now() + 5000
  for (;;) {
    const table = fs.readFileSync(`/proc/net/${proto}`, 'latin1')
    if (table.split('\n').some(l => { const f = l.trim().split(/\s+/); return f[1]?.endsWith(`:${hex}`) && (proto === 'udp' || f[3] === '0A') })) return
    if (child.exitCode !== null) throw new Error(`process exited before listening on ${port}`)
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port} after 5 s`)
    await new Promise(resolve => setTimeout(resolve, 30))
  }
}

/** A self-signed certificate for 127.0.0.1 (IP SAN), for the carrier's TLS side. */
export function makeCarrierCert (dir: string): { cert: string, key: string } {
  const cert = path.join(dir, 'carrier.crt')
  const key = path.join(dir, 'carrier.key')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=carrier.test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:carrier.test'], { stdio: 'ignore' })
  return { cert, key }
}
