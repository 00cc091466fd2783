import t from 'tap'
import { createResponse } from '../../../src/sip/message/factory'
import type { SipRequest } from '../../../src/sip/message/types'
import { getHeader } from '../../../src/sip/message/headers'
import { TransactionLayer, type ServerTransaction } from '../../../src/sip/transaction/transaction-layer'
import { InviteServerTransaction, InviteServerState } from '../../../src/sip/transaction/invite-server-transaction'
import { NonInviteServerTransaction, NonInviteServerState } from '../../../src/sip/transaction/non-invite-server-transaction'
import { IllegalTransitionError } from '../../../src/sip/transaction/transaction'
import { TIMERS } from '../../../src/sip/transaction/timers'
import { FakeClock } from '../../fixtures/sip/fake-clock'
import { FakeSender, SOURCE, flush, makeRequest, silentLogger } from '../../fixtures/sip/fake-sender'

function setup () {
  const clock = new FakeClock()
  const sender = new FakeSender()
  const layer = new TransactionLayer({ sender, clock, logger: silentLogger })
  const requests: Array<{ req: SipRequest, tx: ServerTransaction }> = []
  const acks: SipRequest[] = []
  layer.on('request', (req: SipRequest, tx: ServerTransaction) => requests.push({ req, tx }))
  layer.on('ack', (req: SipRequest) => acks.push(req))
  return { clock, sender, layer, requests, acks }
}

t.test('§17.2.1 INVITE: 100 Trying at once, retransmissions answered with the latest provisional', async (t) => {
  const { sender, layer, requests } = setup()
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKist1' })
  layer.receive(inv, SOURCE)
  await flush()
  t.equal(requests.length, 1)
  t.same(sender.responses().map((r) => r.status), [100], '100 Trying without waiting 200 ms')
  t.same(sender.sent[0].target, { connectionId: 'c1' }, 'response goes back on the same connection (§18.2.2)')
  layer.receive(inv, SOURCE)
  await flush()
  t.same(sender.responses().map((r) => r.status), [100, 100], 'TCP retransmission of the INVITE gets the 100 again')
  const tx = requests[0].tx as InviteServerTransaction
  tx.respond(createResponse(inv, 180, 'Ringing', { toTag: 'uas1' }))
  layer.receive(inv, SOURCE)
  await flush()
  t.same(sender.responses().map((r) => r.status), [100, 100, 180, 180])
  t.equal(requests.length, 1, 'the TU saw the INVITE once')
})

t.test('§17.2.1 non-2xx: Completed resends the final, the ACK is absorbed (Confirmed → Terminated with Timer I = 0)', async (t) => {
  const { sender, layer, requests, acks } = setup()
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKist2' })
  layer.receive(inv, SOURCE)
  const tx = requests[0].tx as InviteServerTransaction
  const states: string[] = []
  tx.on('stateChanged', (s: string) => states.push(s))
  tx.respond(createResponse(inv, 486, 'Busy Here', { toTag: 'uas2' }))
  t.equal(tx.state, InviteServerState.Completed)
  t.ok(tx.activeTimers().includes('H'))
  layer.receive(inv, SOURCE)
  await flush()
  t.same(sender.responses().map((r) => r.status), [100, 486, 486], 'retransmitted INVITE gets the 486 again')
  const ack = makeRequest({ method: 'ACK', branch: 'z9hG4bKist2', toTag: 'uas2', cseqMethod: 'ACK' })
  layer.receive(ack, SOURCE)
  t.same(states, ['Completed', 'Confirmed', 'Terminated'])
  t.equal(acks.length, 0, 'ACK for a non-2xx never reaches the TU')
  t.equal(layer.serverCount, 0)
})

t.test('§17.2.1 Timer H: no ACK for the non-2xx within 64*T1 → timeout to the TU', async (t) => {
  const { clock, layer, requests } = setup()
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKist3' })
  layer.receive(inv, SOURCE)
  const tx = requests[0].tx as InviteServerTransaction
  let timeout = false
  tx.on('timeout', () => { timeout = true })
  tx.respond(createResponse(inv, 404, 'Not Found', { toTag: 'x' }))
  clock.tick(TIMERS.H - 1)
  t.notOk(timeout)
  clock.tick(1)
  t.ok(timeout)
  t.equal(tx.state, InviteServerState.Terminated)
})

t.test('RFC 6026 Accepted: 2xx ends in Accepted, ACK for 2xx goes to the TU, Timer L terminates', async (t) => {
  const { clock, sender, layer, requests, acks } = setup()
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKist4' })
  layer.receive(inv, SOURCE)
  const tx = requests[0].tx as InviteServerTransaction
  tx.respond(createResponse(inv, 200, 'OK', { toTag: 'uas4' }))
  t.equal(tx.state, InviteServerState.Accepted)
  layer.receive(inv, SOURCE)
  await flush()
  t.same(sender.responses().map((r) => r.status), [100, 200, 200], 'retransmitted INVITE gets the 2xx again')
  t.equal(requests.length, 1)
  tx.respond(createResponse(inv, 200, 'OK', { toTag: 'uas4' }))
  await flush()
  t.equal(sender.responses(200).length, 3, 'TU 2xx retransmissions pass through (§13.3.1.4)')
  const ack = makeRequest({ method: 'ACK', branch: 'z9hG4bKnewbranch', toTag: 'uas4', cseqMethod: 'ACK' })
  layer.receive(ack, SOURCE)
  t.equal(acks.length, 1, 'ACK for 2xx (own branch) is handed to the TU')
  t.throws(() => tx.respond(createResponse(inv, 486, 'Busy', { toTag: 'uas4' })), 'no non-2xx after a 2xx')
  clock.tick(TIMERS.L)
  t.equal(tx.state, InviteServerState.Terminated)
})

t.test('§17.2.2 non-INVITE: retransmission absorbed in Trying, answered in Proceeding and after the final', async (t) => {
  const { sender, layer, requests, clock } = setup()
  const opt = makeRequest({ method: 'OPTIONS', branch: 'z9hG4bKnist1' })
  layer.receive(opt, SOURCE)
  const tx = requests[0].tx as NonInviteServerTransaction
  t.equal(tx.state, NonInviteServerState.Trying)
  layer.receive(opt, SOURCE)
  await flush()
  t.equal(sender.sent.length, 0, 'nothing to repeat in Trying')
  tx.respond(createResponse(opt, 183, 'Session Progress', { toTag: 'n1' }))
  t.equal(tx.state, NonInviteServerState.Proceeding)
  layer.receive(opt, SOURCE)
  await flush()
  t.same(sender.responses().map((r) => r.status), [183, 183])
  tx.respond(createResponse(opt, 200, 'OK', { toTag: 'n1' }))
  t.equal(tx.state, NonInviteServerState.Terminated, 'Timer J = 0 on TCP')
  t.throws(() => tx.stateTransition(NonInviteServerState.Trying), IllegalTransitionError)
  layer.receive(opt, SOURCE)
  await flush()
  t.same(sender.responses().map((r) => r.status), [183, 183, 200, 200], 'a TCP peer retransmitting after the final gets the same 200')
  t.equal(requests.length, 1, 'the request did not run twice')
  clock.tick(64 * TIMERS.T1)
  layer.receive(opt, SOURCE)
  t.equal(requests.length, 2, 'after 64*T1 the memory of the final is gone')
})

t.test('§9.2 CANCEL: 200 to the CANCEL, 487 to the pending INVITE with the same To tag, ACK absorbed', async (t) => {
  const { sender, layer, requests, acks } = setup()
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKcan1' })
  layer.receive(inv, SOURCE)
  const tx = requests[0].tx as InviteServerTransaction
  tx.respond(createResponse(inv, 180, 'Ringing', { toTag: 'ring1' }))
  const canceled: SipRequest[] = []
  layer.on('cancel', (c: SipRequest) => canceled.push(c))
  let txCancel = false
  tx.on('cancel', () => { txCancel = true })
  const can = makeRequest({ method: 'CANCEL', branch: 'z9hG4bKcan1' })
  layer.receive(can, SOURCE)
  await flush()
  t.ok(txCancel)
  t.equal(canceled.length, 1)
  const byStatus = sender.responses().map((r) => `${r.status} ${getHeader(r, 'CSeq')}`)
  t.same(byStatus, ['100 1 INVITE', '180 1 INVITE', '200 1 CANCEL', '487 1 INVITE'])
  const r487 = sender.responses(487)[0]
  const r200 = sender.responses(200)[0]
  t.match(getHeader(r487, 'To'), /tag=ring1/, '487 keeps the provisional To tag')
  t.match(getHeader(r200, 'To'), /tag=ring1/, 'CANCEL 200 uses the same To tag (§9.2 SHOULD)')
  t.equal(tx.state, InviteServerState.Completed)
  t.equal(requests.length, 1, 'CANCEL is not handed to the TU as a new request')
  layer.receive(makeRequest({ method: 'ACK', branch: 'z9hG4bKcan1', toTag: 'ring1', cseqMethod: 'ACK' }), SOURCE)
  t.equal(acks.length, 0)
  t.equal(tx.state, InviteServerState.Terminated)
})

t.test('§9.2 CANCEL for an INVITE already answered: 200 to the CANCEL, no 487', async (t) => {
  const { sender, layer, requests } = setup()
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKcan2' })
  layer.receive(inv, SOURCE)
  const tx = requests[0].tx as InviteServerTransaction
  tx.respond(createResponse(inv, 200, 'OK', { toTag: 'ok2' }))
  layer.receive(makeRequest({ method: 'CANCEL', branch: 'z9hG4bKcan2' }), SOURCE)
  await flush()
  t.same(sender.responses().map((r) => `${r.status} ${getHeader(r, 'CSeq')}`), ['100 1 INVITE', '200 1 INVITE', '200 1 CANCEL'])
})

t.test('§9.2 CANCEL matching no transaction → 481', async (t) => {
  const { sender, layer, requests } = setup()
  layer.receive(makeRequest({ method: 'CANCEL', branch: 'z9hG4bKnothing' }), SOURCE)
  await flush()
  t.same(sender.responses().map((r) => r.status), [481])
  t.equal(requests.length, 0)
})

t.test('§17.2.3 branch matching includes sent-by and method; CANCEL is its own transaction', async (t) => {
  const { layer, requests } = setup()
  layer.receive(makeRequest({ method: 'INVITE', branch: 'z9hG4bKk1', viaHost: '10.0.0.1:5060' }), SOURCE)
  layer.receive(makeRequest({ method: 'INVITE', branch: 'z9hG4bKk1', viaHost: '10.0.0.2:5060' }), SOURCE)
  layer.receive(makeRequest({ method: 'OPTIONS', branch: 'z9hG4bKk1', viaHost: '10.0.0.1:5060' }), SOURCE)
  t.equal(requests.length, 3, 'same branch from another sent-by, or another method, is another transaction')
})

t.test('§17.2.3 RFC 2543 fallback: no magic cookie → Request-URI, tags, Call-ID, CSeq and top Via', async (t) => {
  const { sender, layer, requests, acks } = setup()
  const inv = makeRequest({ method: 'INVITE', branch: 'old2543branch' })
  layer.receive(inv, SOURCE)
  layer.receive(makeRequest({ method: 'INVITE', branch: 'old2543branch' }), SOURCE)
  t.equal(requests.length, 1, 'retransmission matched without a cookie')
  layer.receive(makeRequest({ method: 'INVITE', branch: 'old2543branch', cseq: 2 }), SOURCE)
  layer.receive(makeRequest({ method: 'INVITE', branch: 'old2543branch', uri: 'sip:carol@example.com' }), SOURCE)
  layer.receive(makeRequest({ method: 'INVITE', branch: '', fromTag: 'other' }), SOURCE)
  t.equal(requests.length, 4, 'another CSeq, Request-URI or From tag is a new transaction')
  const tx = requests[0].tx as InviteServerTransaction
  tx.respond(createResponse(inv, 603, 'Decline', { toTag: 'dec1' }))
  layer.receive(makeRequest({ method: 'ACK', branch: 'old2543branch', toTag: 'wrongtag', cseqMethod: 'ACK' }), SOURCE)
  t.equal(tx.state, InviteServerState.Completed, 'ACK whose To tag differs from our response does not match')
  t.equal(acks.length, 1)
  layer.receive(makeRequest({ method: 'ACK', branch: 'old2543branch', toTag: 'dec1', cseqMethod: 'ACK' }), SOURCE)
  t.equal(tx.state, InviteServerState.Terminated, 'ACK with our To tag matched and absorbed')
  t.equal(acks.length, 1)

  const inv2 = makeRequest({ method: 'INVITE', branch: '', callId: 'c2543' })
  layer.receive(inv2, SOURCE)
  layer.receive(makeRequest({ method: 'CANCEL', branch: '', callId: 'c2543' }), SOURCE)
  await flush()
  const last = sender.responses().slice(-2).map((r) => `${r.status} ${getHeader(r, 'CSeq')}`)
  t.same(last, ['200 1 CANCEL', '487 1 INVITE'], 'CANCEL matched to the INVITE without a branch')
})

t.test('transport error on a response: the TU is told and the transaction ends', async (t) => {
  const { sender, layer, requests } = setup()
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKterr' })
  layer.receive(inv, SOURCE)
  await flush()
  const tx = requests[0].tx as InviteServerTransaction
  let err = false
  tx.on('transportError', () => { err = true })
  sender.failing = true
  tx.respond(createResponse(inv, 180, 'Ringing', { toTag: 'r' }))
  await flush()
  t.ok(err)
  t.ok(tx.terminated)
})

t.test('a response that cannot go back on its connection is sent to the Via received/rport address (§18.2.2)', async (t) => {
  const { sender, layer } = setup()
  const orig = sender.send.bind(sender)
  sender.send = async (msg, target) => {
    if ('connectionId' in target) throw new Error('closed')
    return await orig(msg, target)
  }
  layer.receive(makeRequest({ method: 'OPTIONS', branch: 'z9hG4bKvia', viaHost: '10.9.9.9:5099;rport=6000;received=192.0.2.7' }), SOURCE)
  const req = layer.serverCount
  t.equal(req, 1)
  const tx = [...(layer as unknown as { servers: Map<string, NonInviteServerTransaction> }).servers.values()][0]
  tx.respond(createResponse(tx.request, 200, 'OK', { toTag: 'v' }))
  await flush()
  t.same(sender.sent[0].target, { transport: 'tcp', host: '192.0.2.7', port: 6000 })
})

t.test('a request without a usable Via is answered 400 statelessly, never thrown', async (t) => {
  const { sender, layer, requests } = setup()
  const bad = makeRequest({ method: 'OPTIONS' })
  bad.headers = bad.headers.filter((h) => h.name !== 'Via')
  t.doesNotThrow(() => layer.receive(bad, SOURCE))
  await flush()
  t.equal(requests.length, 0)
  t.ok(sender.sent.length <= 1)
})
