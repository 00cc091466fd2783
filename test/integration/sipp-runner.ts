// Drives SIPp (sip-tester 3.6.1) as a child process against the in-process server: a scenario from
// test/sipp/, TCP single socket (-t t1), bounded by -m and -timeout, errors traced to a temp dir.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import dgram from 'node:dgram'
import os from 'node:os'
import path from 'node:path'

export const SIPP = process.env.SIPP ?? '/usr/bin/sipp'
/** test/sipp/ in the source tree, also when this file runs compiled from dist/ (benchmarks). */
export const SCENARIOS = path.join(repoRoot(__dirname), 'test', 'sipp')

function repoRoot (from: string): string {
  let dir = from
  while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${from}`)
    dir = up
  }
  return dir
}

export interface SippRun {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Contents of <scenario>_<pid>_errors.log (-trace_err), empty when SIPp saw nothing unexpected. */
  errors: string
  /** Final counters from the -trace_stat CSV: successful and failed calls. */
  successfulCalls: number | null
  failedCalls: number | null
  /** SIPp's own retransmissions (UDP, -t u1): requests it resent because no answer came in time. */
  retransmissions: number | null
}

export interface SippOptions {
  /** File in test/sipp/ or an absolute path. */
  scenario: string
  target: { host: string; port: number }
  /** -s: the Request-URI user part. */
  service?: string
  calls?: number
  /** -r calls per second (default 10) and -l concurrent call limit. */
  rate?: number
  limit?: number
  /** -d: pause length in ms for <pause/>. */
  pauseMs?: number
  /** Global -timeout in seconds: SIPp stops by itself. */
  timeoutSec?: number
  extraArgs?: string[]
  /** SIPp -t: 't1' TCP single socket (default), 'u1' UDP single socket. */
  transport?: 't1' | 'u1'
  /** Replace __NAME__ placeholders in the scenario (e.g. __STATUS__). */
  substitutions?: Record<string, string>
}

/**
 * SDP substitutions for scenarios whose offer has `m=audio ... <pt>__TE_FORMAT__` and
 * `a=rtpmap:<pt> ...__TE_ATTRS__`: RFC 4733 telephone-event as PT 101 (as carrier trunks offer it), or none.
 */
export function telephoneEventOffer (on = true): Record<'TE_FORMAT' | 'TE_ATTRS', string> {
  return on
    ? { TE_FORMAT: ' 101', TE_ATTRS: '\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15' }
    : { TE_FORMAT: '', TE_ATTRS: '' }
}

/** A UDP+TCP free port pair base for -mp (SIPp binds media port and media port + 2). */
export async function freePort (): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer()
      srv.once('error', reject)
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port
        srv.close(() => resolve(p))
      })
    })
    if (port > 65000) continue
    if (await udpFree(port) && await udpFree(port + 2)) return port
  }
  throw new Error('no free port found')
}

function udpFree (port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = dgram.createSocket('udp4')
    s.once('error', () => resolve(false))
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

export async function runSipp (opts: SippOptions): Promise<SippRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-sipp-'))
  try {
    let scenario = path.isAbsolute(opts.scenario) ? opts.scenario : path.join(SCENARIOS, opts.scenario)
    if (opts.substitutions) {
      let xml = fs.readFileSync(scenario, 'latin1')
      for (const [k, v] of Object.entries(opts.substitutions)) xml = xml.split(`__${k}__`).join(v)
      scenario = path.join(dir, path.basename(scenario))
      fs.writeFileSync(scenario, xml, 'latin1')
    }
    const mediaPort = await freePort()
    const sipPort = await freePort()
    const args = [
      '-sf', scenario,
      '-t', opts.transport ?? 't1',
      '-i', '127.0.0.1',
      '-p', String(sipPort),
      '-mi', '127.0.0.1',
      '-mp', String(mediaPort),
      '-m', String(opts.calls ?? 1),
      '-r', String(opts.rate ?? 10),
      '-l', String(opts.limit ?? 100),
      '-d', String(opts.pauseMs ?? 100),
      '-timeout', `${opts.timeoutSec ?? 20}s`,
      '-timeout_error',
      '-max_recv_loops', '1000',
      '-nostdin',
      '-trace_err',
      '-trace_stat', '-stf', path.join(dir, 'stat.csv'),
      ...(opts.service !== undefined ? ['-s', opts.service] : []),
      ...(opts.extraArgs ?? []),
      `${opts.target.host}:${opts.target.port}`
    ]
    const child = spawn(SIPP, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout = (stdout + d.toString('latin1')).slice(-20000) })
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString('latin1')).slice(-20000) })
    // A hard stop above SIPp's own -timeout so a wedged SIPp never hangs the suite.
    const killer = setTimeout(() => child.kill('SIGKILL'), ((opts.timeoutSec ?? 20) + 15) * 1000)
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (code, sig) => resolve([code, sig]))
    })
    clearTimeout(killer)
    const errFile = fs.readdirSync(dir).find(f => f.endsWith('_errors.log'))
    const errors = errFile ? fs.readFileSync(path.join(dir, errFile), 'latin1') : ''
    const { successful, failed, retransmissions } = readStats(path.join(dir, 'stat.csv'))
    return { exitCode, signal, stdout, stderr, errors, successfulCalls: successful, failedCalls: failed, retransmissions }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Last line of SIPp's -trace_stat CSV: cumulative SuccessfulCall(C) / FailedCall(C). */
function readStats (file: string): { successful: number | null; failed: number | null; retransmissions: number | null } {
  if (!fs.existsSync(file)) return { successful: null, failed: null, retransmissions: null }
  const lines = fs.readFileSync(file, 'latin1').trim().split('\n')
  if (lines.length < 2) return { successful: null, failed: null, retransmissions: null }
  const head = lines[0].split(';')
  const last = lines[lines.length - 1].split(';')
  const col = (name: string): number | null => {
    const i = head.indexOf(name)
    return i === -1 ? null : Number(last[i])
  }
  return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)'), retransmissions: col('Retransmissions(C)') }
}

/** One line for assertion messages: exit code, counters and the start of the error log. */
export function describeRun (r: SippRun): string {
  return `sipp exit=${r.exitCode} signal=${r.signal} ok=${r.successfulCalls} failed=${r.failedCalls}` +
    (r.errors ? `\n--- errors.log ---\n${r.errors.slice(0, 3000)}` : '') +
    (r.exitCode !== 0 && r.stderr ? `\n--- stderr ---\n${r.stderr.slice(-2000)}` : '')
}
