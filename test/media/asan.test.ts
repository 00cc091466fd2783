// Builds native/io and the DSP blocks it drives with ASan + UBSan + LSan (asan.sh, into a separate
// directory, cached between runs) and runs a deterministic scenario: legs of every codec, SRTP with
// a tampered packet, DTMF, marks/clear, bridges that move legs between workers, a conference with
// an engine port, 1,200 legs created and closed, engine shutdown with commands still queued.
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'

t.setTimeout(600_000)  // first build of ~25 sanitized files on a shared 2-core host

t.test('native media core is clean under AddressSanitizer, UBSan and LeakSanitizer', async t => {
  const script = path.join(__dirname, 'asan.sh')
  const out = path.join(os.tmpdir(), `trunkgate-asan-${process.getuid?.() ?? 0}`)
  const r = spawnSync('bash', [script, out], { encoding: 'utf8', timeout: 580_000 })
  const log = `${r.stdout}\n${r.stderr}`
  t.notMatch(log, /ERROR: (AddressSanitizer|LeakSanitizer)/, 'no memory errors or leaks')
  t.notMatch(log, /runtime error:/, 'no undefined behaviour')
  t.match(r.stdout, /WAKE RETRY OK/, 'a wake that could not be queued is retried, not lost')
  t.match(r.stdout, /SCENARIO OK/, 'the scenario ran to the end with media flowing')
  t.match(r.stdout, /portsInUse=0/, 'every RTP port returned to the allocator')
  t.equal(r.status, 0, r.status === 0 ? 'exit 0' : log.slice(-4000))
})
