// Every native libFuzzer target (test/fuzz/native/*.cc: RTP, RTCP compound, SRTP unprotect, RFC 4733
// telephone-event + DTMF receiver, jitter buffer, SDES key) built once with
// -fsanitize=fuzzer,address,undefined and run for a few seconds from its seeds. Longer runs:
// `npm run fuzz -- <target> <seconds>`.
import t from 'tap'
import { buildNative, nativeTargets, runNative } from './run'

t.setTimeout(600_000)  // the first sanitized build of the native sources on a shared 2-core host

const SECONDS = 3

t.test('native fuzz targets run clean from their seeds', async t => {
  const targets = nativeTargets()
  t.ok(targets.length >= 6, `targets: ${targets.join(', ')}`)
  buildNative()
  for (const target of targets) {
    const r = runNative(target, SECONDS)
    const runs = /stat::number_of_executed_units:\s*(\d+)/.exec(r.log)
    t.equal(r.status, 0, `${target}: exit 0${r.status === 0 ? '' : `\n${r.log.slice(-4000)}`}`)
    t.ok(runs !== null && Number(runs[1]) > 10, `${target}: ${runs?.[1] ?? 0} inputs executed`)
    t.notMatch(r.log, /ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:/, `${target}: no sanitizer or fuzzer report`)
  }
})
