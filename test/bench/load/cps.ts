// Calls per second through the AI call path (issue 7 §2), in the RFC 7502 spirit: SIPp over TCP
// places short calls (INVITE -> 200 with the gateway's media leg and engine stream set up -> ACK ->
// BYE, no hold) at a fixed rate R for a bounded number of calls per step; a step passes with zero
// failed calls (-trace_stat), SIPp exit 0, and an achieved rate >= 90 % of R (SIPp throttles at its
// concurrency limit when the gateway falls behind, so a slow gateway shows as a shortfall). Rates
// double until a step fails, then a binary search narrows to 5 %. INVITE -> 200 times come from
// SIPp's per-call response-time trace (-trace_rtt, rtd on the 200). Same method as the SIP server's
// sip.cps bench (test/bench/sip-cps.ts), but against the real gateway in its own process instead of
// a static answer in the bench process.
import dgram from 'node:dgram'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SIPP, telephoneEventOffer } from '../../integration/sipp-runner'
import { LineReader, spawnTracked, stopChild } from './children'
import { percentile } from './proc-stat'
import { GATEWAY_NODE_FLAGS } from '../../../src/node-flags'

export interface CpsStep { rate: number, calls: number, ok: boolean, achieved: number, failed: number | null, p50Ms: number, p99Ms: number, why: string }
export interface CpsResult { best: number, bestStep: CpsStep | null, steps: CpsStep[], reachedCeiling: boolean }

const SCENARIO = path.join(__dirname, '..', '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []),
  'test', 'bench', 'load', 'sipp', 'uac-hold.xml')

function readCsv (file: string): { head: string[], rows: string[][] } {
  if (!fs.existsSync(file)) return { head: [], rows: [] }
  const lines = fs.readFileSync(file, 'latin1').trim().split('\n').filter(l => l.length > 0)
  return { head: (lines[0] ?? '').split(';'), rows: lines.slice(1).map(l => l.split(';')) }
}

async function sippStep (sipPort: number, rtpSink: number, rate: number, calls: number): Promise<CpsStep> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-cps-'))
  try {
    let xml = fs.readFileSync(SCENARIO, 'latin1').split('__RTP_PORT__').join(String(rtpSink))
      .split('__PROTO__').join('RTP/AVP').split('__CRYPTO__').join('').split('__HOLD_MS__').join('0')
    // A carrier-style offer: PCMU + RFC 4733 telephone-event, as in the calls section.
    for (const [k, v] of Object.entries(telephoneEventOffer())) xml = xml.split(`__${k}__`).join(v)
    const scenario = path.join(dir, 'uac-short.xml')
    fs.writeFileSync(scenario, xml, 'latin1')
    const timeoutS = Math.ceil(calls / rate * 3) + 15
    const args = ['-sf', scenario, '-t', 't1', '-i', '127.0.0.1', '-p', '0', '-m', String(calls), '-r', String(rate),
      '-l', String(rate * 2), '-timeout', `${timeoutS}s`, '-timeout_error', '-max_recv_loops', '1000', '-nostdin',
      '-recv_timeout', '5000', '-trace_err', '-trace_stat', '-stf', path.join(dir, 'stat.csv'), '-trace_rtt', '-rtt_freq', '1',
      '-s', '+15550100', `127.0.0.1:${sipPort}`]
    const t0 = process.hrtime.bigint()
    const child = spawnTracked(SIPP, args, { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] })
    const killer = setTimeout(() => child.kill('SIGKILL'), (timeoutS + 15) * 1000)
    const exitCode = await new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
    clearTimeout(killer)
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9
    const stat = readCsv(path.join(dir, 'stat.csv'))
    const last = stat.rows[stat.rows.length - 1] ?? []
    const col = (name: string): number | null => { const i = stat.head.indexOf(name); return i < 0 || last[i] === undefined ? null : Number(last[i]) }
    const ok = col('SuccessfulCall(C)') ?? 0
    const failed = col('FailedCall(C)')
    const rttFile = fs.readdirSync(dir).find(f => f.endsWith('_rtt.csv'))
    const rtt = rttFile ? readCsv(path.join(dir, rttFile)) : { head: [], rows: [] }
    const rtIdx = rtt.head.indexOf('response_time_ms')
    const times = rtIdx < 0 ? [] : rtt.rows.map(r => Number(r[rtIdx])).filter(Number.isFinite)
    const achieved = ok / wallS
    let why = 'pass'
    if (exitCode !== 0) why = `sipp exit ${exitCode}`
    else if (failed !== 0 || ok !== calls) why = `failed ${failed}, ok ${ok}/${calls}`
    else if (achieved < rate * 0.9) why = `achieved ${achieved.toFixed(1)} cps < 90 % of ${rate}`
    return { rate, calls, ok: why === 'pass', achieved, failed, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), why }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export async function runCps (opts: { maxCalls: number, maxRate: number, budgetS: number, threads: number, rtPriority: number }): Promise<CpsResult> {
  const engine = spawnTracked(process.execPath, [path.join(__dirname, 'echo-engine.js')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const engineOut = new LineReader(engine.stdout!)
  let gateway: ReturnType<typeof spawnTracked> | null = null
  // The gateway sends each short call's RTP somewhere: a socket that reads and discards it.
  const sink = dgram.createSocket('udp4')
  sink.on('message', () => {})
  await new Promise<void>(resolve => sink.bind(0, '127.0.0.1', resolve))
  const steps: CpsStep[] = []
  const started = Date.now()
  try {
    const enginePort = Number(await engineOut.next(10000, 'echo engine start'))
    // LOAD_GATEWAY_NODE_ARGS: extra node flags for the gateway (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
    // The gateway runs with the flags the trunkgate command uses (src/node-flags.ts), then any extra ones.
    const nodeArgs = [...GATEWAY_NODE_FLAGS, ...(process.env.LOAD_GATEWAY_NODE_ARGS ?? '').split(' ').filter(a => a.length > 0)]
    gateway = spawnTracked(process.execPath, [...nodeArgs, path.join(__dirname, 'gateway-server.js'), `127.0.0.1:${enginePort}`, String(opts.threads), String(opts.rtPriority)],
      { stdio: ['pipe', 'pipe', 'inherit'] })
    const gwOut = new LineReader(gateway.stdout!)
    const sipPort = Number(await gwOut.next(15000, 'gateway start'))
    const settle = async (): Promise<void> => {
      // Every call of the step must be gone before the next step starts (bounded wait).
      for (let i = 0; i < 100; i++) {
        gateway!.stdin!.write('stats\n')
        const s = JSON.parse(await gwOut.next(10000, 'gateway stats')) as { activeCalls: number }
        if (s.activeCalls === 0) return
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
    const step = async (rate: number): Promise<CpsStep> => {
      const r = await sippStep(sipPort, sink.address().port, rate, Math.min(opts.maxCalls, Math.max(300, rate * 5)))
      steps.push(r)
      console.error(`# cps step: rate ${r.rate} calls ${r.calls} -> ${r.why} (achieved ${r.achieved.toFixed(1)} cps, INVITE->200 p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms)`)
      await settle()
      return r
    }
    let best: CpsStep | null = null
    let failAt: number | null = null
    for (let rate = 50; rate <= opts.maxRate && Date.now() - started < opts.budgetS * 1000; rate *= 2) {
      const r = await step(rate)
      if (!r.ok) { failAt = rate; break }
      best = r
    }
    if (failAt !== null) {
      let lo = best?.rate ?? 0
      let hi = failAt
      while (hi - lo > Math.max(5, lo * 0.05) && Date.now() - started < opts.budgetS * 1000) {
        const mid = Math.round((lo + hi) / 2)
        const r = await step(mid)
        if (r.ok) { lo = mid; best = r } else hi = mid
      }
    }
    return { best: best?.rate ?? 0, bestStep: best, steps, reachedCeiling: failAt === null }
  } finally {
    sink.close()
    if (gateway) {
      if (gateway.exitCode === null) gateway.stdin!.write('close\n')
      await stopChild(gateway, 5000, 'SIGCONT')
    }
    engine.stdin!.end()
    await stopChild(engine, 2000, 'SIGCONT')
  }
}
