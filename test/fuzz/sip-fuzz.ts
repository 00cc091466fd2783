// Long-running parser fuzzing: `npm run fuzz -- <target|all> --seconds N [--seed S]`. Targets are the
// TS parsers of test/fuzz/targets.ts; a failure prints the counterexample and fast-check's seed/path.
import { TARGETS, runTarget, targetByName } from './targets'

export function runSipFuzz (name: string, seconds: number, seed: number): number {
  const targets = name === 'all' ? [...TARGETS] : [targetByName(name)].filter(t => t !== undefined)
  if (targets.length === 0) {
    process.stderr.write(`unknown fuzz target "${name}"; TS targets: ${TARGETS.map(t => t.name).join(', ')}, all\n`)
    return 2
  }
  const perTarget = Math.max(1, Math.floor(seconds * 1000 / targets.length))
  for (const target of targets) {
    const started = Date.now()
    try {
      const { runs } = runTarget(target, { seed, timeLimitMs: perTarget })
      process.stdout.write(`${target.name}: ${runs} inputs in ${((Date.now() - started) / 1000).toFixed(1)} s, no invariant broken (seed ${seed})\n`)
    } catch (err) {
      process.stdout.write(`${target.name}: FAILED\n${err instanceof Error ? err.message : String(err)}\n`)
      return 1
    }
  }
  return 0
}
