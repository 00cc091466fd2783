// Bounded property/mutation fuzzing of every parser that reads peer input (issue 17 item 9). Fixed
// seed so a failure reproduces; FUZZ_SEED / FUZZ_RUNS explore further, `npm run fuzz -- <target>
// --seconds N` runs one target for a long time.
import t from 'tap'
import { TARGETS, runTarget } from './targets'

const seed = Number(process.env.FUZZ_SEED ?? 0x17f022)
const numRuns = Number(process.env.FUZZ_RUNS ?? 1500)

for (const target of TARGETS) {
  t.test(`${target.name}: typed errors only, accepted input round-trips (seed ${seed}, ${numRuns} runs)`, async t => {
    const { runs } = runTarget(target, { seed, numRuns })
    t.equal(runs, numRuns, `${runs} inputs checked after ${target.regressions.length} regression inputs`)
  })
}
