// `npm run bench -- sip-cps [--transport tcp|udp|udp,tcp] [--max-calls N] [--max-rate R] [--budget-s S]`
// (also run by `npm run bench -- sip`). With several transports each is measured in turn in the same run
// (sip.cps_<transport>, and sip.cps_udp_tcp_ratio when both): --budget-s applies per transport.
//   sip.cps   the highest SIPp call rate over TCP that completes with ZERO failed calls, each call
//             INVITE -> 100 -> 180 -> 200 (static PCMU SDP) -> ACK -> BYE -> 200 with no hold time,
//             against the server started in this process on loopback.
// Method: SIPp (uac-basic.xml, -t t1, -d 0) at rate R for a bounded number of calls per step
// (min(max(5 R, 300), --max-calls)). A step passes when SIPp exits 0, every call succeeded, no message
// waited longer than 2 s (-recv_timeout), and the achieved rate (calls / wall time) is at least 90 % of
// R — SIPp throttles itself at its concurrency limit (-l 2 R) when the server falls behind, so a slow
// server shows as a rate shortfall instead of failures. Rates double until a step fails, then a binary
// search narrows [last pass, first fail] to 5 %. Bounded by --max-rate and --budget-s; stops by itself.
import os from 'node:os'
import pino from 'pino'
import { parseConfigText } from '../../src/config'
import { StaticAnswerCallHandler } from '../../src/call/static-answer-handler'
import { startServer } from '../../src/server'
import { runSipp } from '../integration/sipp-runner'
import { option } from './bench-args'

interface StepResult { rate: number; calls: number; ok: boolean; achieved: number; failed: number | null; exitCode: number | null; why: string }

export async function run (args: string[]): Promise<void> {
  await runCps(args)
}

export async function runCps (args: string[]): Promise<void> {
  const i = args.indexOf('--transport')
  const list = (i === -1 ? 'tcp' : (args[i + 1] ?? '')).split(',')
  if (list.some(t => t !== 'udp' && t !== 'tcp')) throw new Error('--transport takes udp, tcp or udp,tcp')
  const results: Record<string, number> = {}
  for (const t of list as Array<'udp' | 'tcp'>) results[t] = await runCpsOver(t, args, list.length > 1)
  if (results.udp !== undefined && results.tcp !== undefined && results.tcp > 0) {
    console.log(`sip.cps_udp_tcp_ratio ${(results.udp / results.tcp).toFixed(2)}`)
  }
}

async function runCpsOver (transport: 'udp' | 'tcp', args: string[], several: boolean): Promise<number> {
  const maxCalls = option(args, '--max-calls', 2000)
  const maxRate = option(args, '--max-rate', 25600)
  const budgetMs = option(args, '--budget-s', 240) * 1000
  const config = parseConfigText(`
sip:
  listen: {${transport}: {host: 127.0.0.1, port: 0}}
  maxConcurrentCalls: 100000
  sessionTimer: {enabled: false}
trunks:
  - name: bench
    inbound: {acl: [127.0.0.0/8]}
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
log: {level: silent}
`)
  const server = await startServer(config, { callHandler: new StaticAnswerCallHandler(), logger: pino({ level: 'silent' }) })
  const target = { host: '127.0.0.1', port: server.ports[transport]! }
  const started = Date.now()
  const steps: StepResult[] = []

  const step = async (rate: number): Promise<StepResult> => {
    const calls = Math.min(maxCalls, Math.max(300, rate * 5))
    const t0 = process.hrtime.bigint()
    const r = await runSipp({
      scenario: 'uac-basic.xml', target, transport: transport === 'udp' ? 'u1' : 't1', service: '+15550100', calls, rate, limit: rate * 2, pauseMs: 0,
      timeoutSec: Math.ceil(calls / rate * 3) + 10, extraArgs: ['-recv_timeout', '2000']
    })
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9
    const achieved = (r.successfulCalls ?? 0) / wallS
    let why = 'pass'
    if (r.exitCode !== 0) why = `sipp exit ${r.exitCode}`
    else if (r.failedCalls !== 0 || r.successfulCalls !== calls) why = `failed ${r.failedCalls}, ok ${r.successfulCalls}/${calls}`
    else if (achieved < rate * 0.9) why = `achieved ${achieved.toFixed(1)} cps < 90 % of ${rate}`
    const result = { rate, calls, ok: why === 'pass', achieved, failed: r.failedCalls, exitCode: r.exitCode, why }
    steps.push(result)
    console.error(`# sip.cps ${transport} step: rate ${rate} calls ${calls} -> ${why} (achieved ${achieved.toFixed(1)} cps)`)
    // Let the server settle: every dialog of the step must be gone before the next one starts.
    const settle = Date.now() + 5000
    while (server.activeCalls() > 0 && Date.now() < settle) await new Promise(resolve => setTimeout(resolve, 50))
    return result
  }

  let best = 0
  let failAt: number | null = null
  try {
    // Exponential phase.
    for (let rate = 50; rate <= maxRate && Date.now() - started < budgetMs; rate *= 2) {
      const r = await step(rate)
      if (!r.ok) { failAt = rate; break }
      best = rate
    }
    // Binary search between the last pass and the first failure, to 5 %.
    if (failAt !== null) {
      let lo = best
      let hi = failAt
      while (hi - lo > Math.max(5, lo * 0.05) && Date.now() - started < budgetMs) {
        const mid = Math.round((lo + hi) / 2)
        const r = await step(mid)
        if (r.ok) lo = mid
        else hi = mid
      }
      best = lo
    }
  } finally {
    await server.close()
  }
  if (!several || transport === 'tcp') console.log(`sip.cps ${best}`)
  console.log(`sip.cps_${transport} ${best}`)
  console.log(`sip.cps_steps ${steps.length}`)
  console.log(`sip.cps_max_calls_per_step ${maxCalls}`)
  console.log(`sip.cps_cpus ${os.cpus().length}`)
  if (failAt === null) console.log(`sip.cps_note reached --max-rate ${maxRate} or the time budget without a failing step`)
  return best
}
