// `npm run fuzz -- <target> [seconds] [--seconds N]`: runs one fuzz target for a bounded time.
// Targets are found by name:
//   native: test/fuzz/native/<target>.cc, a libFuzzer target (clang-14, -fsanitize=fuzzer,address,undefined;
//           built by test/fuzz/native/build.sh); seeds in test/fuzz/native/<target>/ (read-only: new inputs go
//           to a temporary corpus, crashes to the artifacts directory printed at the end);
//   sip:    the TypeScript parser targets of test/fuzz/targets.ts (SIP message, URI, name-addr, Via, digest,
//           SDP, SDES, sipfrag; `all` runs each), run by sip-fuzz.ts with fast-check (`--seed S` to replay);
//   ts:     test/fuzz/ts/<target>.ts exporting `fuzz(seconds: number): Promise<void>`.
// `npm run fuzz -- --list` prints every target. Exit status: 0 clean, 1 a failure was found, 2 usage.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runSipFuzz } from './sip-fuzz'
import { TARGETS } from './targets'

const repoRoot = path.resolve(__dirname, '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []))
const nativeDir = path.join(repoRoot, 'test', 'fuzz', 'native')
const tsDir = path.join(__dirname, 'ts')

export function nativeTargets (): string[] {
  return fs.readdirSync(nativeDir).filter(f => f.endsWith('.cc')).map(f => f.slice(0, -3)).sort()
}
function tsTargets (): string[] {
  if (!fs.existsSync(tsDir)) return []
  return fs.readdirSync(tsDir).filter(f => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')).map(f => f.replace(/\.(js|ts)$/, '')).sort()
}

/** Where the sanitized fuzz binaries are cached between runs (per user, outside the repo). */
export function fuzzBuildDir (): string {
  return path.join(os.tmpdir(), `trunkgate-fuzz-${process.getuid?.() ?? 0}`)
}

/** Builds the named native targets (all when none); throws with the compiler output on failure. */
export function buildNative (targets: string[] = []): string {
  const out = fuzzBuildDir()
  const r = spawnSync('bash', [path.join(nativeDir, 'build.sh'), out, ...targets], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`fuzz build failed (${String(r.status)}):\n${r.stdout}\n${r.stderr}`)
  return out
}

export interface NativeRun { status: number | null, log: string, artifacts: string }

/** Runs a built native target for `seconds` over a scratch copy of its seeds. */
export function runNative (target: string, seconds: number): NativeRun {
  const bin = path.join(fuzzBuildDir(), target)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `tg-fuzz-${target}-`))
  const corpus = path.join(work, 'corpus')
  fs.mkdirSync(corpus)
  const artifacts = path.join(work, 'artifacts') + path.sep
  fs.mkdirSync(artifacts)
  const seeds = path.join(nativeDir, target)
  const r = spawnSync(bin, [`-max_total_time=${seconds}`, '-timeout=10', '-rss_limit_mb=1024', '-print_final_stats=1',
    `-artifact_prefix=${artifacts}`, corpus, ...(fs.existsSync(seeds) ? [seeds] : [])], {
    encoding: 'utf8',
    // The suppressions file covers third-party code only (spandsp's PLC copies overlapping ranges).
    env: { ...process.env, ASAN_OPTIONS: `detect_leaks=1:abort_on_error=0:suppressions=${path.join(repoRoot, 'test', 'media', 'dsp', 'asan.supp')}`, UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' },
    timeout: (seconds + 120) * 1000
  })
  return { status: r.status, log: `${r.stdout}\n${r.stderr}`, artifacts }
}

async function main (): Promise<number> {
  const args = process.argv.slice(2)
  const sipTargets = ['all', ...TARGETS.map(t => t.name)]
  const all = [...nativeTargets(), ...sipTargets, ...tsTargets()]
  if (args[0] === '--list') { console.log(all.join('\n')); return 0 }
  const target = args[0]
  const flag = args.indexOf('--seconds')
  const seconds = Number(flag >= 0 ? args[flag + 1] : (args[1] ?? '60'))
  if (target === undefined || !all.includes(target) || !(seconds > 0)) {
    console.error(`usage: npm run fuzz -- <${all.join('|')}> [seconds | --seconds N]`)
    return 2
  }
  if (sipTargets.includes(target)) {
    const seedFlag = args.indexOf('--seed')
    const seed = seedFlag >= 0 ? Number(args[seedFlag + 1]) : Date.now() % 0x7fffffff
    return runSipFuzz(target, seconds, seed)
  }
  if (nativeTargets().includes(target)) {
    buildNative([target])
    const r = runNative(target, seconds)
    process.stderr.write(r.log)
    console.log(`fuzz ${target}: ${r.status === 0 ? 'clean' : `FAILED (exit ${String(r.status)}), inputs in ${r.artifacts}`}`)
    return r.status === 0 ? 0 : 1
  }
  const mod = require(path.join(tsDir, target)) as { fuzz: (seconds: number) => Promise<void> }
  await mod.fuzz(seconds)
  console.log(`fuzz ${target}: clean`)
  return 0
}

if (require.main === module) main().then(code => { process.exitCode = code }, err => { console.error(err); process.exitCode = 1 })
