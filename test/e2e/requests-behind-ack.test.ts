// Requests right behind the ACK, in the same TCP read (RFC 3261 §18.3: a stream may carry several
// messages in one segment). The call must already listen on its dialog when the ACK is processed,
// or INFO gets the dialog's default 200 and the digit is lost, a re-INVITE/UPDATE hold is answered
// without the engine hearing of it, and a BYE leaves the call up. Each test writes ACK and the
// request with ONE socket write.
import t, { type Test } from 'tap'
import { getHeader } from '../../src/sip/message/headers'
import type { RunningServer } from '../../src/server'
import { TestEngine, type TestConversation } from './test-engine'
import { gatewayConfig, nextRecord, startGateway } from './helpers'
import { startServer } from '../../src/server'
import { RawSipCaller } from './raw-sip-caller'

async function answeredCall (t: Test): Promise<{ caller: RawSipCaller, conv: TestConversation, server: RunningServer }> {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const caller = await RawSipCaller.connect(server.ports.tcp!)
  t.teardown(() => caller.close())
  await caller.invite('+15550100')
  const conv = await engine.conversation(0)
  return { caller, conv, server }
}

async function hangUp (t: Test, caller: RawSipCaller): Promise<void> {
  caller.sendTogether(caller.inDialog('BYE'))
  t.equal((await caller.final(caller.lastCSeq, 'BYE')).status, 200, 'BYE answered 200')
}

t.test('ACK + INFO in one write: the INFO digit reaches the engine', async t => {
  const { caller, conv, server } = await answeredCall(t)
  const ended = nextRecord(server)
  caller.sendTogether(caller.inDialog('ACK'), caller.inDialog('INFO', { contentType: 'application/dtmf-relay', body: 'Signal=7\r\nDuration=160\r\n' }))
  t.equal((await caller.final(2, 'INFO')).status, 200, 'INFO answered 200')
  await conv.until(c => c.digits.length > 0, 5000, 'the INFO digit at the engine')
  t.same(conv.digits.map(d => [d.digit, d.duration_ms, d.source]), [['7', 160, 'DTMF_SOURCE_INFO']])
  await hangUp(t, caller)
  t.match(await ended, { outcome: 'completed', endedBy: 'caller', cause: 'normal_clearing', dtmfReceived: 1 })
})

t.test('ACK + re-INVITE a=sendonly in one write: answered recvonly, the engine hears hold', async t => {
  const { caller, conv, server } = await answeredCall(t)
  const ended = nextRecord(server)
  caller.sendTogether(caller.inDialog('ACK'), caller.inDialog('INVITE', { contentType: 'application/sdp', body: caller.sdp('sendonly', 2) }))
  const ok = await caller.final(2, 'INVITE')
  t.equal(ok.status, 200, 're-INVITE answered 200')
  t.match(ok.body.toString(), /a=recvonly/, 'a=sendonly answered a=recvonly (RFC 3264 §8.4)')
  t.equal(getHeader(ok, 'Content-Type'), 'application/sdp')
  caller.sendTogether(caller.inDialog('ACK', { cseq: 2 }))
  await conv.until(c => c.events.some(e => e.event === 'hold'), 5000, 'hold at the engine')
  await hangUp(t, caller)
  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'caller', cause: 'normal_clearing' })
  await conv.until(c => c.events.some(e => e.event === 'hangup'), 5000, 'hang-up at the engine')
  t.same(conv.events.map(e => e.event), ['hold', 'hangup'], 'one hold, then the hang-up')
})

t.test('ACK + UPDATE a=inactive in one write: answered inactive, the engine hears hold', async t => {
  const { caller, conv, server } = await answeredCall(t)
  const ended = nextRecord(server)
  caller.sendTogether(caller.inDialog('ACK'), caller.inDialog('UPDATE', { contentType: 'application/sdp', body: caller.sdp('inactive', 2) }))
  const ok = await caller.final(2, 'UPDATE')
  t.equal(ok.status, 200, 'UPDATE answered 200')
  t.match(ok.body.toString(), /a=inactive/, 'a=inactive answered a=inactive')
  await conv.until(c => c.events.some(e => e.event === 'hold'), 5000, 'hold at the engine')
  await hangUp(t, caller)
  t.match(await ended, { outcome: 'completed', endedBy: 'caller' })
})

t.test('ACK + BYE in one write: the call ends at once as a caller hang-up', async t => {
  const { caller, conv, server } = await answeredCall(t)
  const ended = nextRecord(server, 5000)
  caller.sendTogether(caller.inDialog('ACK'), caller.inDialog('BYE'))
  t.equal((await caller.final(2, 'BYE')).status, 200, 'BYE answered 200')
  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'caller', cause: 'normal_clearing' })
  t.type(record.answeredAtMs, 'number', 'the call counts as answered')
  await conv.until(c => c.events.some(e => e.event === 'hangup'), 5000, 'hang-up at the engine')
  t.match(conv.events.find(e => e.event === 'hangup'), { hangup: { side: 'HANGUP_SIDE_CALLER', cause: 'normal_clearing' } })
})

t.test('ACK + BYE in one write frees the call\'s capacity slot: with maxConcurrentCalls 1 the next call is answered', async t => {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const config = gatewayConfig({ engineAddress: engine.address })
  config.sip.maxConcurrentCalls = 1
  const server = await startServer(config, { aiCalls: true })
  t.teardown(() => server.close())
  const first = await RawSipCaller.connect(server.ports.tcp!)
  t.teardown(() => first.close())
  const ended = nextRecord(server, 5000)
  await first.invite('+15550100')
  first.sendTogether(first.inDialog('ACK'), first.inDialog('BYE'))
  t.equal((await first.final(2, 'BYE')).status, 200, 'BYE answered 200')
  await ended
  const second = await RawSipCaller.connect(server.ports.tcp!)
  t.teardown(() => second.close())
  const ok = await second.invite('+15550100')
  t.equal(ok.status, 200, 'the second call is answered, not refused for capacity')
  second.sendTogether(second.inDialog('ACK'), second.inDialog('BYE'))
  t.equal((await second.final(2, 'BYE')).status, 200)
})
