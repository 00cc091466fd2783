// The product SRTP transform (native/srtp over OpenSSL EVP) against libsrtp2 as the oracle, in C++
// (native/test/srtp_diff_test.cc, built by srtp-diff.sh with ASan/UBSan): every suite, with and without
// MKI, several replay windows; random sizes, sequence wrap, ROC change, several SSRCs, reordering,
// replays, tampered bits, truncation and garbage. Identical bytes and verdicts are required, and the
// transform must not allocate inside OpenSSL per packet.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'

t.setTimeout(300_000) // one sanitized compile on a loaded 2-core host

t.test('OpenSSL SRTP/SRTCP gives libsrtp2\'s bytes and verdicts, without per-packet allocation', async t => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-srtp-diff-'))
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }))
  const r = spawnSync('sh', [path.resolve(__dirname, 'srtp-diff.sh'), out], { encoding: 'utf8', timeout: 280_000 })
  t.equal(r.error, undefined, 'srtp-diff.sh ran')
  t.equal(r.status, 0, `exit status ${String(r.status)}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`)
  const m = /cases=(\d+) mismatches=(\d+) opensslAllocsInTransform=(\d+)/.exec(r.stdout)
  t.ok(m, 'summary line printed')
  if (m !== null) {
    t.ok(Number(m[1]) > 100_000, `${m[1]} packets compared`)
    t.equal(Number(m[2]), 0, 'no packet differs in bytes or verdict')
    t.equal(Number(m[3]), 0, 'no OpenSSL allocation inside protect/unprotect')
  }
  t.match(r.stdout, /SRTP DIFF OK/)
  t.notMatch(r.stderr, /runtime error|AddressSanitizer|LeakSanitizer/, 'no sanitizer report')
})
