// `npm run fuzz -- <target> [--seconds N] [--seed S]`: dispatches to a fuzz runner by target name.
// TS parser targets live in sip-fuzz.ts; other runners (e.g. native libFuzzer targets) add a line here.
import { runSipFuzz } from './sip-fuzz'
import { TARGETS } from './targets'

function option (args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : fallback
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`)
  return v
}

const args = process.argv.slice(2)
const target = args.find(a => !a.startsWith('--') && !/^\d/.test(a)) ?? 'all'
const seconds = option(args, 'seconds', 60)
const seed = option(args, 'seed', Date.now() % 0x7fffffff)
const tsTargets = new Set(['all', ...TARGETS.map(t => t.name)])
if (tsTargets.has(target)) {
  process.exitCode = runSipFuzz(target, seconds, seed)
} else {
  process.stderr.write(`unknown fuzz target "${target}"; available: ${[...tsTargets].join(', ')}\n`)
  process.exitCode = 2
}
