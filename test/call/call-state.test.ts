// The call state machine's table: the order of a call's life, and what may end it early.
import t from 'tap'
import { CALL_TRANSITIONS, CallState, isPreAnswer } from '../../src/call/call-state'

t.test('the happy path is a chain, and every state can be left except Ended', async t => {
  const chain = [CallState.Routing, CallState.Personalizing, CallState.Ringing, CallState.Answering, CallState.Active, CallState.Ending, CallState.Ended]
  for (let i = 0; i + 1 < chain.length; i++) t.ok(CALL_TRANSITIONS[chain[i]].includes(chain[i + 1]), `${chain[i]} → ${chain[i + 1]}`)
  t.same(CALL_TRANSITIONS[CallState.Ended], [])
  for (const s of chain.slice(0, -1)) t.ok(CALL_TRANSITIONS[s].includes(CallState.Ended), `${s} may end at once (CANCEL, BYE, failure)`)
})

t.test('no way back, and no answering without ringing', async t => {
  t.notOk(CALL_TRANSITIONS[CallState.Active].includes(CallState.Ringing))
  t.notOk(CALL_TRANSITIONS[CallState.Ending].includes(CallState.Active))
  t.notOk(CALL_TRANSITIONS[CallState.Routing].includes(CallState.Answering), 'the engine must be ready before the 200 OK')
  t.notOk(CALL_TRANSITIONS[CallState.Personalizing].includes(CallState.Answering))
})

t.test('pre-answer states are those a SIP final response can still end', async t => {
  t.ok(isPreAnswer(CallState.Routing) && isPreAnswer(CallState.Personalizing) && isPreAnswer(CallState.Ringing))
  t.notOk(isPreAnswer(CallState.Answering) || isPreAnswer(CallState.Active) || isPreAnswer(CallState.Ending))
})
