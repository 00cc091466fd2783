// Builds and runs native/test/dsp_test.cc under AddressSanitizer + UndefinedBehaviorSanitizer (asan.sh).
// Nothing is skipped: a missing compiler or sanitizer runtime is a failure, not a skip.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'

t.setTimeout(300_000) // compiling the DSP sources with sanitizers takes a while on a loaded machine

t.test('the pure C++ DSP core is clean under -fsanitize=address,undefined', async t => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-dsp-asan-'))
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }))
  const script = path.resolve(__dirname, 'asan.sh')
  const r = spawnSync('sh', [script, out], { encoding: 'utf8', timeout: 280_000 })
  t.equal(r.error, undefined, 'asan.sh ran')
  t.equal(r.status, 0, `exit status ${String(r.status)}\n${r.stderr.slice(-4000)}`)
  t.match(r.stdout, /all checks passed/)
  t.notMatch(r.stderr, /runtime error|AddressSanitizer|LeakSanitizer/, 'no sanitizer report')
})
