// `npm run bench -- soak --minutes M [--calls N] [--capacity C] [--hold S] [--no-srtp]`
// Soak (issue 17 item 10): one gateway process (gateway-server.ts) and one echo engine run for M
// minutes while calls come and go at about N concurrent calls (default 50 % of --capacity, the
// max_calls of `npm run bench -- load calls`). Calls are placed in overlapping waves: every hold/2
// seconds a new SIPp run places N/2 calls held for `hold` seconds, with its own load-peer sending and
// checking their RTP, so media flows on every call and calls end and begin all the time.
// Reported: RSS and fd slope after warm-up (the first wave), failed calls, lost frames.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runSipp, telephoneEventOffer } from '../../integration/sipp-runner'
import { buildTool, LineReader, spawnTracked, stopChild } from '../load/children'
import { rssBytes } from '../load/proc-stat'
import type { PeerResult } from '../load/side-by-side'
import { option } from '../bench-args'
import { GATEWAY_NODE_FLAGS } from '../../../src/node-flags'

const LOAD_DIR = path.join(__dirname, '..', 'load')
const SCENARIO = path.join(__dirname, '..', '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []),
  'test', 'bench', 'load', 'sipp', 'uac-hold.xml')

interface GatewayStats { activeCalls: number }
interface Sample { atS: number, rssKb: number, fds: number, activeCalls: number }
interface WaveResult { calls: number, answered: number, failed: number, framesLost: number }

const delay = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

function fdCount (pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length
}

/** Least-squares slope of y over x (per unit of x). */
export function slope (xs: number[], ys: number[]): number {
  const n = xs.length
  if (n < 2) return 0
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2 }
  return den === 0 ? 0 : num / den
}

/** One wave: N calls held holdS seconds through SIPp, their RTP from a load-peer of their own. */
async function wave (sipPort: number, calls: number, holdS: number, srtp: boolean, setupRate: number, peerBin: string): Promise<WaveResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-soak-'))
  const key = crypto.randomBytes(30)
  const setupS = calls / setupRate
  // load-peer measures from "go" + warm-up: a short warm-up, then (almost) the whole hold.
  const measureS = Math.max(1, Math.floor(holdS - setupS - 3))
  const peer = spawnTracked(peerBin, ['1', String(measureS), srtp ? key.toString('hex') : '-'], { stdio: ['pipe', 'pipe', 'inherit'] })
  try {
    const peerOut = new LineReader(peer.stdout!)
    const [portA] = (await peerOut.next(5000, 'load-peer start')).split(' ').map(Number)
    const logFile = path.join(dir, 'answers.log')
    const sipp = runSipp({
      scenario: SCENARIO,
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      calls,
      rate: setupRate,
      limit: calls + 10,
      timeoutSec: Math.ceil(holdS + setupS + 30),
      extraArgs: ['-trace_logs', '-log_file', logFile, '-recv_timeout', '10000'],
      substitutions: {
        RTP_PORT: String(portA),
        PROTO: srtp ? 'RTP/SAVP' : 'RTP/AVP',
        CRYPTO: srtp ? `\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key.toString('base64')}` : '',
        ...telephoneEventOffer(true),
        HOLD_MS: String(holdS * 1000)
      }
    })
    const answers = new Map<number, string>()
    let sippDone = false
    void sipp.finally(() => { sippDone = true })
    const deadline = Date.now() + (setupS + 20) * 1000
    while (answers.size < calls && Date.now() < deadline && !sippDone) {
      await delay(200)
      if (!fs.existsSync(logFile)) continue
      for (const m of fs.readFileSync(logFile, 'latin1').matchAll(/call (\d+) port (\d+) key ([A-Za-z0-9+/=]*)/g)) {
        answers.set(Number(m[1]), `${m[2]} a ${m[3] ? Buffer.from(m[3], 'base64').toString('hex') : ''}`.trim())
      }
    }
    peer.stdin!.write([...answers.values()].join('\n') + '\ngo\n')
    const result = JSON.parse(await peerOut.next((measureS + 40) * 1000, 'load-peer result')) as PeerResult
    const run = await sipp
    const failed = (run.failedCalls ?? calls) + Math.max(0, calls - (run.successfulCalls ?? 0) - (run.failedCalls ?? 0))
    return { calls, answered: answers.size, failed, framesLost: result.lost + Math.max(0, result.expected - result.received) }
  } finally {
    await stopChild(peer, 1000)
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export async function run (args: string[]): Promise<void> {
  const minutes = option(args, '--minutes', 60)
  const capacity = option(args, '--capacity', 400)
  const target = option(args, '--calls', Math.max(2, Math.round(capacity / 2)))
  const holdS = option(args, '--hold', 30)
  const srtp = !args.includes('--no-srtp')
  const perWave = Math.max(1, Math.round(target / 2))
  const peerBin = buildTool('load-peer', ['-lsrtp2', '-lspandsp'])
  const engine = spawnTracked(process.execPath, [path.join(LOAD_DIR, 'echo-engine.js')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const engineOut = new LineReader(engine.stdout!)
  let gateway: ReturnType<typeof spawnTracked> | null = null
  try {
    const enginePort = Number(await engineOut.next(10000, 'echo engine start'))
    gateway = spawnTracked(process.execPath, [...GATEWAY_NODE_FLAGS, path.join(LOAD_DIR, 'gateway-server.js'), `127.0.0.1:${enginePort}`, '2', '0'],
      { stdio: ['pipe', 'pipe', 'inherit'] })
    const gwOut = new LineReader(gateway.stdout!, line => line.startsWith('['))
    const sipPort = Number(await gwOut.next(15000, 'gateway start'))
    const gwStats = async (): Promise<GatewayStats> => { gateway!.stdin!.write('stats\n'); return JSON.parse(await gwOut.next(10000, 'gateway stats')) }
    const engStats = async (): Promise<{ seqGaps: number }> => { engine.stdin!.write('stats\n'); return JSON.parse(await engineOut.next(10000, 'engine stats')) }
    const pid = gateway.pid!
    const started = Date.now()
    const endAt = started + minutes * 60_000
    const samples: Sample[] = []
    const waves: Array<Promise<WaveResult>> = []
    const eng0 = await engStats()
    let nextWave = Date.now()
    // Sampling every 5 s on the same loop that starts waves: both are bounded by endAt.
    while (Date.now() < endAt) {
      if (Date.now() >= nextWave && Date.now() + holdS * 1000 <= endAt) {
        waves.push(wave(sipPort, perWave, holdS, srtp, 50, peerBin))
        nextWave += holdS * 500
      }
      const s = await gwStats()
      samples.push({ atS: (Date.now() - started) / 1000, rssKb: rssBytes(pid) / 1024, fds: fdCount(pid), activeCalls: s.activeCalls })
      await delay(5000)
    }
    const results = await Promise.all(waves)
    const eng1 = await engStats()
    // Warm-up: the first wave's hold (pools, JIT, buffers); wind-down: the last hold, when no new wave
    // starts and the call count falls. The slopes are taken in between, at steady load.
    const steady = samples.filter(s => s.atS >= holdS && s.atS <= minutes * 60 - holdS)
    const rssSlope = slope(steady.map(s => s.atS / 60), steady.map(s => s.rssKb))
    const fdSlope = slope(steady.map(s => s.atS / 60), steady.map(s => s.fds))
    const rssFirst = steady[0]?.rssKb ?? 0
    const rssLast = steady[steady.length - 1]?.rssKb ?? 0
    const placed = results.reduce((a, r) => a + r.calls, 0)
    const failed = results.reduce((a, r) => a + r.failed + (r.calls - r.answered), 0)
    // The gateway's leg counters are summed over the legs alive at the time, so with calls ending they
    // cannot be differenced; lost frames are what each wave's load-peer missed plus the engine's gaps.
    const framesLost = results.reduce((a, r) => a + r.framesLost, 0) + (eng1.seqGaps - eng0.seqGaps)
    console.log(`soak.minutes ${minutes}`)
    console.log(`soak.target_concurrent_calls ${target}`)
    console.log(`soak.max_concurrent_calls ${Math.max(...samples.map(s => s.activeCalls))}`)
    console.log(`soak.calls_placed ${placed}`)
    console.log(`soak.failed_calls ${failed}`)
    console.log(`soak.frames_lost ${framesLost}`)
    console.log(`soak.rss_kb_after_warmup ${rssFirst.toFixed(0)}`)
    console.log(`soak.rss_kb_end ${rssLast.toFixed(0)}`)
    console.log(`soak.rss_change_pct ${rssFirst > 0 ? ((rssLast - rssFirst) / rssFirst * 100).toFixed(2) : '0'}`)
    console.log(`soak.rss_slope_kb_per_min ${rssSlope.toFixed(1)}`)
    console.log(`soak.fd_first ${steady[0]?.fds ?? 0}`)
    console.log(`soak.fd_end ${steady[steady.length - 1]?.fds ?? 0}`)
    console.log(`soak.fd_slope_per_min ${fdSlope.toFixed(2)}`)
    console.log(`soak.samples ${samples.length}`)
  } finally {
    if (gateway) {
      if (gateway.exitCode === null) gateway.stdin!.write('close\n')
      await stopChild(gateway, 5000, 'SIGCONT')
    }
    engine.stdin!.end()
    await stopChild(engine, 2000, 'SIGCONT')
  }
}
