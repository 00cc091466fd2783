// Concurrent AI calls: the gateway (gateway-server.ts, real SIP/TCP + media + engine link) in its
// own process, the echo engine (echo-engine.ts) in another, SIPp placing N held calls over TCP and
// load-peer.cc sending each call's G.711 RTP (20 ms) to the port the gateway answered with (SIPp
// does the signalling, our generator the media: SIPp has no SRTP, and one SIPp process playing 1,000+
// pcaps would be the bottleneck). Over a fixed window we read the gateway's utime+stime and RSS from
// /proc and count every way a frame can be lost (see README.md).
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runSipp, telephoneEventOffer, type SippRun } from '../../integration/sipp-runner'
import { buildTool, LineReader, spawnTracked, stopChild } from './children'
import { CpuWindow, rssBytes } from './proc-stat'
import type { PeerResult } from './side-by-side'
import { GATEWAY_NODE_FLAGS } from '../../../src/node-flags'

// rtPriority: the gateway's media.realtime_priority (SCHED_FIFO where permitted, 0 = normal).
// telephoneEvent: the offer carries RFC 4733 telephone-event (PT 101) as carrier trunks' offers do, so
// the gateway's in-band DTMF detector stays off (trunk dtmf_inband: auto); false: a trunk without it,
// the detector runs on every call (--inband-dtmf).
export interface CallsOptions { warmupS: number, measureS: number, setupRate: number, threads: number, rtPriority: number, telephoneEvent: boolean }

interface WorkerStats { legs: number, ticks: number, skippedTicks: number, busyMs: number, maxLateMs: number, realtime: boolean }
interface GatewayStats { activeCalls: number, legs: number, rss: number, jbLost: number, framesDropped: number, framesToJs: number, packetsLost: number, srtpFailures: number, workers: WorkerStats[], gc?: { minor: number, major: number, minorMs: number, majorMs: number, incremental: number, weak: number } }
interface EngineStats { conversations: number, active: number, frames: number, seqGaps: number, atMs: number }

export interface CallsResult {
  // cores: the whole gateway process; jsCores: its JS (main) thread; engineCores: the echo engine;
  // hostCores: every process on the machine (gateway, engine, load-peer, SIPp, anything else).
  calls: number, srtp: boolean, telephoneEvent: boolean, established: number, cores: number, jsCores: number, engineCores: number, hostCores: number, cpuPctPerCall: number, rssKbPerCall: number
  framesLost: number, engineFrameRatio: number, toJsRatio: number, peer: PeerResult, gw: GatewayStats, sippOk: boolean, pass: boolean
  why: string
  gw0: GatewayStats
}

const SCENARIO = path.join(__dirname, '..', '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []),
  'test', 'bench', 'load', 'sipp', 'uac-hold.xml')

async function delay (ms: number): Promise<void> { await new Promise(resolve => setTimeout(resolve, ms)) }

export async function runCalls (calls: number, srtp: boolean, opts: CallsOptions): Promise<CallsResult> {
  const peerBin = buildTool('load-peer', ['-lsrtp2', '-lspandsp', '-lopus'])
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-load-'))
  const engine = spawnTracked(process.execPath, [path.join(__dirname, 'echo-engine.js')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const engineOut = new LineReader(engine.stdout!)
  let gateway: ReturnType<typeof spawnTracked> | null = null
  let peer: ReturnType<typeof spawnTracked> | null = null
  try {
    const enginePort = Number(await engineOut.next(10000, 'echo engine start'))
    // LOAD_GATEWAY_NODE_ARGS: extra node flags for the gateway (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
    // The gateway runs with the flags the trunkgate command uses (src/node-flags.ts), then any extra ones.
    const nodeArgs = [...GATEWAY_NODE_FLAGS, ...(process.env.LOAD_GATEWAY_NODE_ARGS ?? '').split(' ').filter(a => a.length > 0)]
    gateway = spawnTracked(process.execPath, [...nodeArgs, path.join(__dirname, 'gateway-server.js'), `127.0.0.1:${enginePort}`, String(opts.threads), String(opts.rtPriority)],
      { stdio: ['pipe', 'pipe', 'inherit'] })
    const gwOut = new LineReader(gateway.stdout!, line => line.startsWith('['))
    const sipPort = Number(await gwOut.next(15000, 'gateway start'))
    const gwStats = async (): Promise<GatewayStats> => { gateway!.stdin!.write('stats\n'); return JSON.parse(await gwOut.next(10000, 'gateway stats')) }
    const engStats = async (): Promise<EngineStats> => { engine.stdin!.write('stats\n'); return JSON.parse(await engineOut.next(10000, 'engine stats')) }
    await delay(500)
    const rssIdle = rssBytes(gateway.pid!)

    const key = crypto.randomBytes(30)
    peer = spawnTracked(peerBin, [String(opts.warmupS), String(opts.measureS), srtp ? key.toString('hex') : '-'], { stdio: ['pipe', 'pipe', 'inherit'] })
    const peerOut = new LineReader(peer.stdout!)
    const [portA] = (await peerOut.next(5000, 'load-peer start')).split(' ').map(Number)

    const setupS = calls / opts.setupRate
    const holdMs = Math.ceil((setupS + opts.warmupS + opts.measureS + 4) * 1000)
    const logFile = path.join(dir, 'answers.log')
    const sipp: Promise<SippRun> = runSipp({
      scenario: SCENARIO,
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      calls,
      rate: opts.setupRate,
      limit: calls + 10,
      timeoutSec: Math.ceil(holdMs / 1000 + setupS + 30),
      extraArgs: ['-trace_logs', '-log_file', logFile, '-recv_timeout', '10000'],
      substitutions: {
        RTP_PORT: String(portA),
        PROTO: srtp ? 'RTP/SAVP' : 'RTP/AVP',
        CRYPTO: srtp ? `\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key.toString('base64')}` : '',
        ...telephoneEventOffer(opts.telephoneEvent),
        HOLD_MS: String(holdMs)
      }
    })
    // Every answer: "call <n> port <p> key <base64>" in SIPp's log (bounded wait).
    const answers = new Map<number, { port: number, key: string }>()
    const deadline = Date.now() + (setupS + 20) * 1000
    let sippDone = false
    void sipp.finally(() => { sippDone = true })
    while (answers.size < calls && Date.now() < deadline && !sippDone) {
      await delay(200)
      if (!fs.existsSync(logFile)) continue
      for (const m of fs.readFileSync(logFile, 'latin1').matchAll(/call (\d+) port (\d+) key ([A-Za-z0-9+/=]*)/g)) {
        answers.set(Number(m[1]), { port: Number(m[2]), key: m[3] })
      }
    }
    const lines = [...answers.values()].map(a => {
      const rxKey = a.key ? Buffer.from(a.key, 'base64').toString('hex') : ''
      return `${a.port} a ${rxKey}`.trim()
    })
    peer.stdin!.write(lines.join('\n') + '\ngo\n')
    await delay(opts.warmupS * 1000 + 300)
    if (process.env.LOAD_GATEWAY_FORCE_GC) {
      gateway.stdin!.write('gc\n')
      await gwOut.next(10000, 'gateway gc')
      await delay(2000)
    }
    const gw0 = await gwStats()
    const eng0 = await engStats()
    const win = new CpuWindow(gateway.pid!)
    const jsWin = new CpuWindow(gateway.pid!, gateway.pid!)
    const engWin = new CpuWindow(engine.pid!)
    const hostWin = new CpuWindow('host')
    hostWin.start()
    win.start()
    jsWin.start()
    engWin.start()
    const peerLine = await peerOut.next((opts.measureS + 30) * 1000, 'load-peer result')
    const cpu = win.stop()
    const jsCores = jsWin.stop().cores
    const engineCores = engWin.stop().cores
    const hostCores = hostWin.stop().cores
    const eng1 = await engStats()
    const gw1 = await gwStats()
    const rssLoaded = rssBytes(gateway.pid!)
    const result = JSON.parse(peerLine) as PeerResult & { srtpFailures: number }
    const run = await sipp
    const sippOk = run.exitCode === 0 && run.failedCalls === 0 && run.successfulCalls === calls
    const established = answers.size
    const engineFrames = eng1.frames - eng0.frames
    const engineExpected = established * ((eng1.atMs - eng0.atMs) / 1000) * 50
    const engineFrameRatio = engineExpected > 0 ? engineFrames / engineExpected : 0
    // Frames the native core handed to JS in the window, against the same expectation: tells a slow
    // engine link (to-JS ~100 %, engine less) from a slow media-to-JS path.
    const toJsRatio = engineExpected > 0 ? (gw1.framesToJs - gw0.framesToJs) / engineExpected : 0
    const framesLost = result.lost + Math.max(0, result.expected - result.received) +
      (gw1.jbLost - gw0.jbLost) + (gw1.framesDropped - gw0.framesDropped) + (eng1.seqGaps - eng0.seqGaps) + (gw1.srtpFailures - gw0.srtpFailures)
    let why = 'pass'
    if (established < calls) why = `only ${established}/${calls} calls answered; sipp: ${run.errors.slice(0, 400)}`
    else if (!sippOk) why = `sipp: exit ${run.exitCode} ok ${run.successfulCalls} failed ${run.failedCalls} ${run.errors.slice(0, 300)}`
    else if (framesLost > 0 || result.silentStreams > 0) why = `${framesLost} frames lost, ${result.silentStreams} silent streams`
    else if (engineFrameRatio < 0.98) why = `engine saw ${(engineFrameRatio * 100).toFixed(1)} % of the frames`
    else if (result.loud < result.received * 0.98) why = `only ${(result.loud / Math.max(1, result.received) * 100).toFixed(1)} % of the returned RTP carried the echo`
    else if (cpu.cores > 0.75 * os.cpus().length) why = `gateway CPU ${(cpu.cores * 100).toFixed(0)} % > 75 % of ${os.cpus().length} cores`
    return {
      calls, srtp, telephoneEvent: opts.telephoneEvent, established, cores: cpu.cores, jsCores, engineCores, hostCores, cpuPctPerCall: cpu.cores * 100 / calls,
      rssKbPerCall: (rssLoaded - rssIdle) / 1024 / calls, framesLost, engineFrameRatio, toJsRatio, peer: result, gw: gw1, sippOk,
      pass: why === 'pass', why, gw0
    }
  } finally {
    if (peer) await stopChild(peer, 1000)
    if (gateway) {
      if (gateway.exitCode === null) gateway.stdin!.write('close\n')
      await stopChild(gateway, 5000, 'SIGCONT')
    }
    engine.stdin!.end()
    await stopChild(engine, 2000, 'SIGCONT')
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function gcDelta (r: CallsResult): string {
  const a = r.gw0.gc
  const b = r.gw.gc
  if (!a || !b) return '?'
  return `${b.minor - a.minor}minor/${(b.minorMs - a.minorMs).toFixed(0)}ms,${b.major - a.major}major/${(b.majorMs - a.majorMs).toFixed(0)}ms,${b.incremental - a.incremental}incr,${b.weak - a.weak}weak`
}

export function describeCalls (r: CallsResult): string {
  const p = r.peer
  return `# calls ${r.srtp ? 'srtp ' : 'plain'}${r.telephoneEvent ? '' : ' inband-dtmf'} n=${r.calls} answered=${r.established} cpu=${(r.cores * 100).toFixed(1)}% ` +
    `(${r.cpuPctPerCall.toFixed(3)}%/call, JS thread ${(r.jsCores * 100).toFixed(1)}%, engine ${(r.engineCores * 100).toFixed(1)}%, host ${(r.hostCores * 100).toFixed(0)}% of ${os.cpus().length} cores) rss=${r.rssKbPerCall.toFixed(0)}kB/call lost=${r.framesLost} ` +
    `echo=${(p.loud / Math.max(1, p.received) * 100).toFixed(1)}% engineFrames=${(r.engineFrameRatio * 100).toFixed(1)}% toJs=${(r.toJsRatio * 100).toFixed(1)}% rtp=${p.received}/${p.expected} p99=${p.p99ErrMs}ms ` +
    `max=${p.maxErrMs}ms gc=${gcDelta(r)} ticks=${r.gw.workers.map((w, i) => `${w.ticks - (r.gw0.workers[i]?.ticks ?? 0)}/skip${w.skippedTicks - (r.gw0.workers[i]?.skippedTicks ?? 0)}/late${w.maxLateMs}`).join(',')} -> ${r.why}`
}
