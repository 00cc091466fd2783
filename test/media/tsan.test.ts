// The media IO scenario of asan.test.ts (media threads, the JS-side command queue, SRTP, bridges,
// conferences, leg moves between workers, shutdown with work queued) built with ThreadSanitizer
// (SANITIZERS=thread asan.sh, its own cached build directory): no data race and no lock-order
// inversion between the media threads and the thread that drives them.
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'

t.setTimeout(600_000)  // first build of ~25 instrumented files on a shared 2-core host

t.test('native media core is clean under ThreadSanitizer', async t => {
  const out = path.join(os.tmpdir(), `trunkgate-tsan-${process.getuid?.() ?? 0}`)
  const r = spawnSync('bash', [path.join(__dirname, 'asan.sh'), out], {
    encoding: 'utf8', timeout: 580_000, env: { ...process.env, SANITIZERS: 'thread' }
  })
  const log = `${r.stdout}\n${r.stderr}`
  t.notMatch(log, /WARNING: ThreadSanitizer/, 'no data race or lock-order inversion')
  t.match(r.stdout, /SCENARIO OK/, 'the scenario ran to the end with media flowing')
  t.equal(r.status, 0, r.status === 0 ? 'exit 0' : log.slice(-4000))
})
