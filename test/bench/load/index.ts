// `npm run bench -- load [rtpengine] [calls] [cps] [options]` (no section: all three, in that order)
// System load benchmark (issue 7). See test/bench/load/README.md for what each figure means.
//   rtpengine  side by side with rtpengine-daemon: CPU per transcoded PCMU<->G.722 call (and per
//              plain PCMU relay call), same M, same load generator, same run.
//              --calls M (200) --repeats R (2) --warmup S (3) --seconds S (10) --threads T (2) --no-relay
//   calls      concurrent AI calls through the whole gateway: CPU/RSS per call at N = 200, then the
//              largest N with zero lost frames and gateway CPU <= 75 % of the machine; plain RTP and SRTP.
//              --n N (200) --runs R (3, median at N) --max-n N (3200) --setup-rate R (200) --warmup S (3) --seconds S (10) --no-srtp --no-search
//              --no-rt (gateway media threads at normal priority instead of media.realtime_priority 30)
//              --inband-dtmf (offer without telephone-event: the in-band DTMF detector runs on every call)
//   cps        SIPp call-rate ramp over TCP, short AI calls with media set up, zero failures.
//              --max-calls N (2000 per step) --max-rate R (3200) --budget-s S (240)
import os from 'node:os'
import { describeCalls, runCalls, type CallsOptions, type CallsResult } from './ai-calls'
import { runCps } from './cps'
import { sideBySide } from './side-by-side'
import { option } from '../bench-args'

async function rtpengineSection (args: string[]): Promise<void> {
  const calls = option(args, '--calls', 200)
  const repeats = Math.min(5, option(args, '--repeats', 2))
  const opts = { warmupS: option(args, '--warmup', 3), measureS: option(args, '--seconds', 10), threads: option(args, '--threads', 2) }
  const t = await sideBySide('transcode', calls, repeats, opts)
  console.log(`load.rtpengine_transcode_cpu_pct_per_call ${t.rtpengine.cpuPctPerCall.toFixed(4)}`)
  console.log(`load.trunkgate_transcode_cpu_pct_per_call ${t.trunkgate.cpuPctPerCall.toFixed(4)}`)
  console.log(`load.rtpengine_ratio ${(t.trunkgate.cpuPctPerCall / t.rtpengine.cpuPctPerCall).toFixed(3)}`)
  console.log(`load.rtpengine_transcode_clean ${t.rtpengine.clean ? 1 : 0}`)
  console.log(`load.trunkgate_transcode_clean ${t.trunkgate.clean ? 1 : 0}`)
  if (!args.includes('--no-relay')) {
    const r = await sideBySide('relay', calls, repeats, opts)
    console.log(`load.rtpengine_relay_cpu_pct_per_call ${r.rtpengine.cpuPctPerCall.toFixed(4)}`)
    console.log(`load.trunkgate_relay_cpu_pct_per_call ${r.trunkgate.cpuPctPerCall.toFixed(4)}`)
    console.log(`load.rtpengine_relay_ratio ${(r.trunkgate.cpuPctPerCall / r.rtpengine.cpuPctPerCall).toFixed(3)}`)
  }
  console.log(`load.side_by_side_calls ${calls}`)
}

async function callsSection (args: string[]): Promise<void> {
  const fixedN = option(args, '--n', 200)
  const maxN = option(args, '--max-n', 3200)
  const opts: CallsOptions = {
    warmupS: option(args, '--warmup', 3),
    measureS: option(args, '--seconds', 10),
    setupRate: option(args, '--setup-rate', 200),
    threads: option(args, '--threads', 2),
    rtPriority: args.includes('--no-rt') ? 0 : 30,
    telephoneEvent: !args.includes('--inband-dtmf')
  }
  for (const srtp of args.includes('--no-srtp') ? [false] : [false, true]) {
    const prefix = srtp ? 'load.srtp_' : 'load.'
    const attempt = async (n: number): Promise<CallsResult> => {
      const r = await runCalls(n, srtp, opts)
      console.error(describeCalls(r))
      return r
    }
    // The fixed-N figure is the median of --runs runs (default 3): a single 10 s window on a
    // 2-core machine moves by +-15 % with whatever else runs. Lost frames: the worst run's; pass: all.
    const repeats = Math.max(1, option(args, '--runs', 3))
    const runs: CallsResult[] = []
    for (let i = 0; i < repeats; i++) runs.push(await attempt(fixedN))
    const byCpu = [...runs].sort((a, b) => a.cpuPctPerCall - b.cpuPctPerCall)
    const fixed: CallsResult = {
      ...byCpu[Math.floor((byCpu.length - 1) / 2)],
      framesLost: Math.max(...runs.map(r => r.framesLost)),
      pass: runs.every(r => r.pass)
    }
    const at = fixedN === 200 ? '200' : String(fixedN)
    console.log(`${prefix}cpu_pct_per_call_at_${at} ${fixed.cpuPctPerCall.toFixed(4)}`)
    console.log(`${prefix}cpu_pct_per_call_at_${at}_runs ${runs.map(r => r.cpuPctPerCall.toFixed(4)).join(',')}`)
    console.log(`${prefix}rss_kb_per_call_at_${at} ${fixed.rssKbPerCall.toFixed(0)}`)
    console.log(`${prefix}frames_lost_at_${at} ${fixed.framesLost}`)
    console.log(`${prefix}engine_frames_pct_at_${at} ${(fixed.engineFrameRatio * 100).toFixed(2)}`)
    console.log(`${prefix}p99_send_interval_error_ms_at_${at} ${fixed.peer.p99ErrMs}`)
    console.log(`${prefix}pass_at_${at} ${fixed.pass ? 1 : 0}`)
    if (args.includes('--no-search')) continue
    // Bounded search: double from the fixed N while runs pass (up to --max-n), then bisect at most
    // three times between the last pass and the first failure.
    let pass: CallsResult | null = fixed.pass ? fixed : null
    let fail = fixed.pass ? 0 : fixedN
    for (let n = fixedN * 2; fixed.pass && n <= maxN; n *= 2) {
      const r = await attempt(n)
      if (!r.pass) { fail = n; break }
      pass = r
    }
    for (let i = 0; i < 3 && fail > 0 && pass && fail - pass.calls > Math.max(50, pass.calls * 0.1); i++) {
      const mid = Math.round((pass.calls + fail) / 2 / 10) * 10
      const r = await attempt(mid)
      if (r.pass) pass = r; else fail = mid
    }
    console.log(`${prefix}max_calls ${pass ? pass.calls : 0}`)
    if (pass) console.log(`${prefix}cpu_pct_per_call_at_max ${pass.cpuPctPerCall.toFixed(4)}`)
    if (fail === 0) console.log(`${prefix}max_calls_note every run up to --max-n ${maxN} passed`)
  }
}

async function cpsSection (args: string[]): Promise<void> {
  const r = await runCps({
    maxCalls: option(args, '--max-calls', 2000),
    maxRate: option(args, '--max-rate', 3200),
    budgetS: option(args, '--budget-s', 240),
    threads: option(args, '--threads', 2),
    rtPriority: args.includes('--no-rt') ? 0 : 30
  })
  console.log(`load.cps ${r.best}`)
  if (r.bestStep) {
    console.log(`load.cps_invite_200_p50_ms ${r.bestStep.p50Ms}`)
    console.log(`load.cps_invite_200_p99_ms ${r.bestStep.p99Ms}`)
    console.log(`load.cps_calls_per_step ${r.bestStep.calls}`)
  }
  console.log(`load.cps_steps ${r.steps.length}`)
  if (r.reachedCeiling) console.log('load.cps_note reached --max-rate or the time budget without a failing step')
}

export async function run (args: string[]): Promise<void> {
  const sections = args.filter(a => !a.startsWith('--') && !/^[0-9.]+$/.test(a))
  const all = sections.length === 0 || sections.includes('all')
  console.log(`load.cpus ${os.cpus().length}`)
  if (all || sections.includes('rtpengine')) await rtpengineSection(args)
  if (all || sections.includes('calls')) await callsSection(args)
  if (all || sections.includes('cps')) await cpsSection(args)
}
