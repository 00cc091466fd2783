// `npm run bench -- load [rtpengine] [--calls M] [--repeats R] [--warmup S] [--seconds S] [--threads T]`
// System load benchmark (issue 7). See test/bench/load/README.md for what each figure means.
//   rtpengine  side by side with rtpengine-daemon: CPU per transcoded PCMU<->G.722 call (and per
//              plain PCMU relay call), same M, same load generator, same run.
import os from 'node:os'
import { sideBySide } from './side-by-side'

function option (args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name)
  if (i === -1) return fallback
  const v = Number(args[i + 1])
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`)
  return v
}

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

export async function run (args: string[]): Promise<void> {
  const sections = args.filter(a => !a.startsWith('--') && !/^[0-9.]+$/.test(a))
  const all = sections.length === 0 || sections.includes('all')
  console.log(`load.cpus ${os.cpus().length}`)
  if (all || sections.includes('rtpengine')) await rtpengineSection(args)
}
