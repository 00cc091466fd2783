// DTMF by SIP INFO in an answered call (SIPp as the trunk): application/dtmf-relay and
// application/dtmf reach the engine as Dtmf with source INFO; other bodies get 415/400.
import path from 'node:path'
import t from 'tap'
import { describeRun, runSipp } from '../integration/sipp-runner'
import { TestEngine } from './test-engine'
import { E2E_SIPP, nextRecord, startGateway } from './helpers'

t.test('SIP INFO DTMF: dtmf-relay and dtmf digits reach the engine, unreadable bodies get 415/400', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-info-dtmf.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: 20
  })
  t.equal(run.successfulCalls, 1, `every INFO got the expected status: ${describeRun(run)}`)
  const conv = await engine.conversation(0)
  t.same(conv.digits.map(d => [d.digit, d.duration_ms, d.source]), [
    ['5', 160, 'DTMF_SOURCE_INFO'],
    ['#', 100, 'DTMF_SOURCE_INFO'],
    ['#', 250, 'DTMF_SOURCE_INFO']
  ])
  t.match(await ended, { outcome: 'completed', endedBy: 'caller', dtmfReceived: 3 })
})
