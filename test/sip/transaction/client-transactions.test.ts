import t from 'tap'
import { createResponse } from '../../../src/sip/message/factory'
import type { SipResponse } from '../../../src/sip/message/types'
import { getCSeq, getHeader, getHeaders } from '../../../src/sip/message/headers'
import { TransactionLayer } from '../../../src/sip/transaction/transaction-layer'
import { InviteClientTransaction, InviteClientState } from '../../../src/sip/transaction/invite-client-transaction'
import { NonInviteClientTransaction, NonInviteClientState } from '../../../src/sip/transaction/non-invite-client-transaction'
import { IllegalTransitionError } from '../../../src/sip/transaction/transaction'
import { TIMERS, timerTable } from '../../../src/sip/transaction/timers'
import { FakeClock } from '../../fixtures/sip/fake-clock'
import { FakeSender, SOURCE, flush, makeRequest, silentLogger } from '../../fixtures/sip/fake-sender'

const TARGET = { transport: 'tcp' as const, host: '127.0.0.1', port: 5070 }

function setup (timers = TIMERS) {
  const clock = new FakeClock()
  const sender = new FakeSender()
  const layer = new TransactionLayer({ sender, clock, timers, logger: silentLogger })
  return { clock, sender, layer }
}

function respond (req: ReturnType<typeof makeRequest>, status: number, toTag = 'rt1'): SipResponse {
  return createResponse(req, status, undefined, { toTag })
}

t.test('timer table: RFC 3261 Table 4 values for reliable transports', async (t) => {
  t.equal(TIMERS.T1, 500)
  t.equal(TIMERS.T2, 4000)
  t.equal(TIMERS.T4, 5000)
  t.equal(TIMERS.B, 32000)
  t.equal(TIMERS.F, 32000)
  t.equal(TIMERS.H, 32000)
  t.same([TIMERS.A, TIMERS.E, TIMERS.G], [null, null, null])
  t.same([TIMERS.D, TIMERS.I, TIMERS.J, TIMERS.K], [0, 0, 0, 0])
})

t.test('§17.1.1.2 Timer B: no response in Calling → 408 to the TU and Terminated', async (t) => {
  const { clock, sender, layer } = setup()
  const req = makeRequest({ method: 'INVITE', branch: 'z9hG4bKict1' })
  const tx = layer.sendRequest(req, [TARGET]) as InviteClientTransaction
  const seen: number[] = []
  let timedOut = false
  tx.on('response', (r: SipResponse) => seen.push(r.status))
  tx.on('timeout', () => { timedOut = true })
  await flush()
  t.equal(sender.requests('INVITE').length, 1, 'INVITE sent once (no Timer A on TCP)')
  t.equal(tx.state, InviteClientState.Calling)
  clock.tick(TIMERS.B - 1)
  t.equal(tx.state, InviteClientState.Calling, 'still calling just before 64*T1')
  clock.tick(1)
  t.ok(timedOut)
  t.same(seen, [408])
  t.equal(tx.state, InviteClientState.Terminated)
  t.equal(layer.clientCount, 0, 'disposed transaction removed from the layer')
  t.equal(sender.requests('INVITE').length, 1, 'never retransmitted over a reliable transport')
})

t.test('§17.1.1.2 a provisional response moves to Proceeding and stops Timer B', async (t) => {
  const { clock, layer } = setup()
  const req = makeRequest({ method: 'INVITE', branch: 'z9hG4bKict2' })
  const tx = layer.sendRequest(req, [TARGET]) as InviteClientTransaction
  const seen: number[] = []
  tx.on('response', (r: SipResponse) => seen.push(r.status))
  layer.receive(respond(req, 180), SOURCE)
  t.equal(tx.state, InviteClientState.Proceeding)
  t.notOk(tx.activeTimers().includes('B'))
  clock.tick(TIMERS.B * 3)
  t.equal(tx.state, InviteClientState.Proceeding, 'ringing may last longer than Timer B')
  t.same(seen, [180])
})

t.test('§17.1.1.3 non-2xx final: ACK built by the transaction, response to the TU once, retransmissions absorbed', async (t) => {
  // A Timer D above zero lets the test observe the Completed state (on TCP it is zero).
  const { sender, layer } = setup({ ...timerTable(), D: 32000 })
  const req = makeRequest({ method: 'INVITE', branch: 'z9hG4bKict3', extra: [{ name: 'Route', value: '<sip:proxy.example.com;lr>' }] })
  const tx = layer.sendRequest(req, [TARGET]) as InviteClientTransaction
  const seen: number[] = []
  tx.on('response', (r: SipResponse) => seen.push(r.status))
  layer.receive(respond(req, 100), SOURCE)
  const busy = respond(req, 486, 'busytag')
  layer.receive(busy, SOURCE)
  await flush()
  t.equal(tx.state, InviteClientState.Completed)
  const acks = sender.requests('ACK')
  t.equal(acks.length, 1)
  const ack = acks[0]
  t.equal(ack.uri, req.uri, 'Request-URI equals the INVITE one')
  t.equal(getHeaders(ack, 'Via').length, 1)
  t.match(getHeaders(ack, 'Via')[0], /branch=z9hG4bKict3/, 'same branch as the INVITE')
  t.match(getHeader(ack, 'To'), /tag=busytag/, 'To taken from the response')
  t.same(getCSeq(ack), { seq: 1, method: 'ACK' })
  t.same(getHeaders(ack, 'Route'), ['<sip:proxy.example.com;lr>'], 'Route copied from the INVITE')
  layer.receive(busy, SOURCE)
  await flush()
  t.equal(sender.requests('ACK').length, 2, 'retransmitted 486 gets the ACK again')
  t.same(seen, [100, 486], 'retransmission not passed to the TU')
})

t.test('§17.1.1.2 Timer D is zero on TCP: Completed falls straight to Terminated', async (t) => {
  const { layer, sender } = setup()
  const req = makeRequest({ method: 'INVITE', branch: 'z9hG4bKict4' })
  const tx = layer.sendRequest(req, [TARGET]) as InviteClientTransaction
  const states: string[] = []
  tx.on('stateChanged', (s: string) => states.push(s))
  layer.receive(respond(req, 503), SOURCE)
  await flush()
  t.same(states, ['Completed', 'Terminated'])
  t.equal(sender.requests('ACK').length, 1)
})

t.test('RFC 6026 Accepted: 2xx and its retransmissions go to the TU, Timer M ends the transaction', async (t) => {
  const { clock, layer, sender } = setup()
  const req = makeRequest({ method: 'INVITE', branch: 'z9hG4bKict5' })
  const tx = layer.sendRequest(req, [TARGET]) as InviteClientTransaction
  const seen: number[] = []
  tx.on('response', (r: SipResponse) => seen.push(r.status))
  const ok = respond(req, 200)
  layer.receive(ok, SOURCE)
  t.equal(tx.state, InviteClientState.Accepted)
  layer.receive(ok, SOURCE)
  t.same(seen, [200, 200], 'the TU sees the retransmission (it must re-ACK, §13.2.2.4)')
  await flush()
  t.equal(sender.requests('ACK').length, 0, 'ACK for 2xx is not the transaction\'s job')
  clock.tick(TIMERS.M)
  t.equal(tx.state, InviteClientState.Terminated)
  let stray = 0
  layer.on('stray-response', () => stray++)
  layer.receive(ok, SOURCE)
  t.equal(stray, 1, 'after Timer M a 2xx is a stray response for the UA core')
})

t.test('§17.1.4 transport error: the TU gets a 503 and the transaction ends', async (t) => {
  const { sender, layer } = setup()
  sender.failing = true
  const req = makeRequest({ method: 'INVITE', branch: 'z9hG4bKict6' })
  const tx = layer.sendRequest(req, [TARGET])
  const seen: number[] = []
  let errored = false
  tx.on('response', (r: SipResponse) => seen.push(r.status))
  tx.on('transportError', () => { errored = true })
  await flush()
  t.ok(errored)
  t.same(seen, [503])
  t.ok(tx.terminated)
})

t.test('a failed first target falls back to the next one before reporting a transport error', async (t) => {
  const { sender, layer } = setup()
  const req = makeRequest({ method: 'OPTIONS', branch: 'z9hG4bKnict0' })
  const orig = sender.send.bind(sender)
  sender.send = async (msg, target) => {
    if ('connectionId' in target) throw new Error('gone')
    return await orig(msg, target)
  }
  const tx = layer.sendRequest(req, [{ connectionId: 'dead' }, TARGET])
  let errored = false
  tx.on('transportError', () => { errored = true })
  await flush()
  t.notOk(errored)
  t.same(sender.sent.map((s) => s.target), [TARGET])
})

t.test('state machines refuse illegal transitions', async (t) => {
  const { layer } = setup()
  const req = makeRequest({ method: 'INVITE', branch: 'z9hG4bKict7' })
  const tx = layer.sendRequest(req, [TARGET]) as InviteClientTransaction
  layer.receive(respond(req, 200), SOURCE)
  t.equal(tx.state, InviteClientState.Accepted)
  t.throws(() => tx.stateTransition(InviteClientState.Completed), IllegalTransitionError, 'Accepted → Completed is not in the diagram')
  t.throws(() => tx.stateTransition(InviteClientState.Calling), IllegalTransitionError)
  t.equal(tx.state, InviteClientState.Accepted, 'state unchanged after a refused move')
  tx.stateTransition(InviteClientState.Terminated)
  t.throws(() => tx.stateTransition(InviteClientState.Proceeding), IllegalTransitionError, 'nothing leaves Terminated')
  const nreq = makeRequest({ method: 'BYE', branch: 'z9hG4bKnict7' })
  const ntx = layer.sendRequest(nreq, [TARGET]) as NonInviteClientTransaction
  t.throws(() => ntx.stateTransition(NonInviteClientState.Trying), IllegalTransitionError, 'no self-loop into Trying')
})

t.test('§17.1.2.2 Timer F runs through Proceeding; a final response completes (Timer K = 0)', async (t) => {
  const { clock, layer } = setup()
  const req = makeRequest({ method: 'BYE', branch: 'z9hG4bKnict1' })
  const tx = layer.sendRequest(req, [TARGET]) as NonInviteClientTransaction
  const seen: number[] = []
  tx.on('response', (r: SipResponse) => seen.push(r.status))
  clock.tick(1000)
  layer.receive(respond(req, 100), SOURCE)
  t.equal(tx.state, NonInviteClientState.Proceeding)
  clock.tick(TIMERS.F - 1001)
  t.equal(tx.state, NonInviteClientState.Proceeding)
  clock.tick(1)
  t.same(seen, [100, 408], 'Timer F counted from the send, not reset by the 1xx')
  t.equal(tx.state, NonInviteClientState.Terminated)

  const req2 = makeRequest({ method: 'OPTIONS', branch: 'z9hG4bKnict2' })
  const tx2 = layer.sendRequest(req2, [TARGET]) as NonInviteClientTransaction
  const states: string[] = []
  tx2.on('stateChanged', (s: string) => states.push(s))
  layer.receive(respond(req2, 200), SOURCE)
  t.same(states, ['Completed', 'Terminated'])
})

t.test('§17.1.3 responses match by branch AND CSeq method: a CANCEL response never reaches the INVITE', async (t) => {
  const { layer } = setup()
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKsame' })
  const can = makeRequest({ method: 'CANCEL', branch: 'z9hG4bKsame' })
  const itx = layer.sendRequest(inv, [TARGET])
  const ctx = layer.sendRequest(can, [TARGET])
  const got: string[] = []
  itx.on('response', (r: SipResponse) => got.push(`invite:${r.status}`))
  ctx.on('response', (r: SipResponse) => got.push(`cancel:${r.status}`))
  layer.receive(respond(can, 200), SOURCE)
  layer.receive(respond(inv, 487), SOURCE)
  t.same(got, ['cancel:200', 'invite:487'])
})
