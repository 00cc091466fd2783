// One hang-up side vocabulary for inbound and outbound records.
import t from 'tap'
import { engineEndSide, recordedHangupSide } from '../../src/records/hangup-side'

t.test('who ended the call, as the record says it', async t => {
  t.equal(recordedHangupSide('caller', 'normal_clearing'), 'remote', 'the far end\'s BYE')
  t.equal(recordedHangupSide('engine', 'engine_hangup'), 'local', 'the agent hung up')
  t.equal(recordedHangupSide('gateway', 'api_hangup'), 'local', 'an API hang-up is ours (outbound calls record it so too)')
  t.equal(recordedHangupSide('gateway', 'end_call'), 'local', 'end_call is the agent\'s decision')
  t.equal(recordedHangupSide('gateway', 'engine_error'), 'system', 'a broken engine is a failure')
  t.equal(recordedHangupSide('gateway', 'shutdown'), 'system')
  t.equal(recordedHangupSide(null, null), 'system')
  t.equal(engineEndSide('end_call'), 'local')
  t.equal(engineEndSide('engine_failed'), 'system', 'an outbound engine failure is not "local" (it was)')
})
