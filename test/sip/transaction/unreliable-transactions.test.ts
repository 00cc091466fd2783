// RFC 3261 §17 over an unreliable transport: the transport says it is unreliable, the transaction takes the
// unreliable row of the one timer table and retransmits (A, E, G) and lingers (D, I, J, K) by it.
import t from 'tap'
import { createResponse } from '../../../src/sip/message/factory'
import type { SipRequest, SipResponse } from '../../../src/sip/message/types'
import { TransactionLayer, type ServerTransaction } from '../../../src/sip/transaction/transaction-layer'
import { InviteClientState, type InviteClientTransaction } from '../../../src/sip/transaction/invite-client-transaction'
import { NonInviteClientState, type NonInviteClientTransaction } from '../../../src/sip/transaction/non-invite-client-transaction'
import { InviteServerState, type InviteServerTransaction } from '../../../src/sip/transaction/invite-server-transaction'
import { NonInviteServerState, type NonInviteServerTransaction } from '../../../src/sip/transaction/non-invite-server-transaction'
import { TIMERS, UNRELIABLE_TIMERS, timerTable } from '../../../src/sip/transaction/timers'
import { isReliable, parseTransportName, TRANSPORT_KINDS } from '../../../src/sip/transport/transport-kind'
import { targetForUri } from '../../../src/sip/dialog/request-targets'
import { responseTargets } from '../../../src/sip/transaction/response-targets'
import { FakeClock } from '../../fixtures/sip/fake-clock'
import { FakeSender, UDP_SOURCE, flush, makeRequest, silentLogger } from '../../fixtures/sip/fake-sender'

const UDP_TARGET = { transport: 'udp' as const, host: '127.0.0.1', port: 5070 }

function setup () {
  const clock = new FakeClock()
  const sender = new FakeSender()
  const layer = new TransactionLayer({ sender, clock, logger: silentLogger })
  return { clock, sender, layer }
}

/** Times (fake ms) at which `count()` grew while the clock advanced `total` ms in 50 ms steps. */
function sendTimes (clock: FakeClock, count: () => number, total: number): number[] {
  const times: number[] = []
  let seen = count()
  for (let ms = 0; ms < total; ms += 50) {
    clock.tick(50)
    while (count() > seen) { seen++; times.push(clock.now()) }
  }
  return times
}

t.test('transport kinds: the transport says whether it is reliable; names parse from Via and URI', async (t) => {
  t.equal(isReliable('udp'), false)
  t.equal(isReliable('tcp'), true)
  t.equal(isReliable('tls'), true)
  t.same(Object.values(TRANSPORT_KINDS).map((k) => `${k.viaToken}:${k.defaultPort}`), ['UDP:5060', 'TCP:5060', 'TLS:5061'])
  t.equal(parseTransportName('UDP'), 'udp')
  t.equal(parseTransportName('ws'), null, 'a transport we do not speak is not mistaken for another')
  t.same(targetForUri('sip:pbx.example.com;transport=udp', 'tcp'), { transport: 'udp', host: 'pbx.example.com', port: 5060 })
  t.same(targetForUri('sips:pbx.example.com', 'udp'), { transport: 'tls', host: 'pbx.example.com', port: 5061 })
  t.same(targetForUri('sip:pbx.example.com:5080', 'udp'), { transport: 'udp', host: 'pbx.example.com', port: 5080 }, 'no parameter: the fallback')
})

t.test('Table 4 unreliable row: A=E=G=T1, D>32 s, I=K=T4, J=64*T1; reliable row unchanged', async (t) => {
  const u = UNRELIABLE_TIMERS
  t.same([u.A, u.E, u.G], [500, 500, 500])
  t.same([u.B, u.F, u.H, u.J], [32000, 32000, 32000, 32000])
  t.ok(u.D >= 32000, 'Timer D > 32 s for UDP')
  t.same([u.I, u.K], [5000, 5000])
  t.same([TIMERS.A, TIMERS.E, TIMERS.G, TIMERS.D, TIMERS.I, TIMERS.J, TIMERS.K], [null, null, null, 0, 0, 0, 0])
  const fast = timerTable(100, 400, 500, false)
  t.same([fast.A, fast.B, fast.J], [100, 6400, 6400], 'derived from T1 like the reliable table')
})

t.test('§17.1.1.2 Timer A: INVITE over UDP retransmitted at T1, 2T1, 4T1 … until Timer B', async (t) => {
  const { clock, sender, layer } = setup()
  const req = makeRequest({ method: 'INVITE', branch: 'z9hG4bKua1', viaTransport: 'UDP' })
  const tx = layer.sendRequest(req, [UDP_TARGET]) as InviteClientTransaction
  t.equal(tx.transport, 'udp', 'the transaction runs over the Via transport')
  const seen: number[] = []
  tx.on('response', (r: SipResponse) => seen.push(r.status))
  await flush()
  const times = sendTimes(clock, () => sender.requests('INVITE').length, TIMERS.B + 1000)
  t.same(times, [500, 1500, 3500, 7500, 15500, 31500], 'intervals 500, 1000, 2000, 4000, 8000, 16000 ms (no T2 cap)')
  t.same(seen, [408], 'Timer B at 64*T1 ends it with 408')
  t.equal(tx.state, InviteClientState.Terminated)
})

t.test('§17.1.1.2 a provisional stops Timer A; a non-2xx final is ACKed again for each retransmission during Timer D', async (t) => {
  const { clock, sender, layer } = setup()
  const req = makeRequest({ method: 'INVITE', branch: 'z9hG4bKua2', viaTransport: 'UDP' })
  const tx = layer.sendRequest(req, [UDP_TARGET]) as InviteClientTransaction
  await flush()
  clock.tick(600)
  t.equal(sender.requests('INVITE').length, 2, 'retransmitted once before the 180')
  layer.receive(createResponse(req, 180, 'Ringing', { toTag: 'r' }), UDP_SOURCE)
  clock.tick(10_000)
  t.equal(sender.requests('INVITE').length, 2, 'no retransmission in Proceeding')
  const busy = createResponse(req, 486, 'Busy Here', { toTag: 'r' })
  layer.receive(busy, UDP_SOURCE)
  layer.receive(busy, UDP_SOURCE)
  await flush()
  t.equal(sender.requests('ACK').length, 2, 'ACK for the final and for its retransmission')
  t.equal(tx.state, InviteClientState.Completed, 'Completed lingers (Timer D) on UDP')
  clock.tick(UNRELIABLE_TIMERS.D)
  t.equal(tx.state, InviteClientState.Terminated)
})

t.test('§17.1.2.2 Timer E: non-INVITE doubles up to T2, then every T2 in Proceeding; Timer K lingers T4', async (t) => {
  const { clock, sender, layer } = setup()
  const req = makeRequest({ method: 'OPTIONS', branch: 'z9hG4bKue1', viaTransport: 'UDP' })
  const tx = layer.sendRequest(req, [UDP_TARGET]) as NonInviteClientTransaction
  await flush()
  const trying = sendTimes(clock, () => sender.requests('OPTIONS').length, 11_500)
  t.same(trying, [500, 1500, 3500, 7500, 11500], 'intervals 500, 1000, 2000, 4000 (T2), 4000')
  layer.receive(createResponse(req, 100, 'Trying'), UDP_SOURCE)
  t.equal(tx.state, NonInviteClientState.Proceeding)
  const proceeding = sendTimes(clock, () => sender.requests('OPTIONS').length, 8000)
  t.same(proceeding.map((x) => x - 11500), [4000, 8000], 'every T2 while Proceeding')
  layer.receive(createResponse(req, 200, 'OK', { toTag: 'x' }), UDP_SOURCE)
  t.equal(tx.state, NonInviteClientState.Completed)
  clock.tick(UNRELIABLE_TIMERS.K - 1)
  t.equal(tx.state, NonInviteClientState.Completed)
  clock.tick(1)
  t.equal(tx.state, NonInviteClientState.Terminated)
})

t.test('§17.2.1 Timer G: a non-2xx final over UDP is retransmitted (T1 doubling to T2) until the ACK; Timer I', async (t) => {
  const { clock, sender, layer } = setup()
  let tx: InviteServerTransaction | null = null
  layer.on('request', (_r: SipRequest, s: ServerTransaction) => { tx = s as InviteServerTransaction })
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKug1', viaTransport: 'UDP', viaHost: '10.0.0.1:5060;rport=40000;received=127.0.0.1' })
  layer.receive(inv, UDP_SOURCE)
  tx!.respond(createResponse(inv, 404, 'Not Found', { toTag: 'g' }))
  await flush()
  const times = sendTimes(clock, () => sender.responses(404).length - 1, 8000)
  t.same(times, [500, 1500, 3500, 7500], 'G: 500, 1000, 2000, 4000')
  t.same(sender.sent.at(-1)?.target, { connectionId: UDP_SOURCE.connectionId }, 'rport asked → sent to the source flow')
  layer.receive(makeRequest({ method: 'ACK', branch: 'z9hG4bKug1', toTag: 'g', cseqMethod: 'ACK', viaTransport: 'UDP' }), UDP_SOURCE)
  t.equal(tx!.state, InviteServerState.Confirmed, 'Confirmed absorbs ACK retransmissions for Timer I')
  const before = sender.responses(404).length
  clock.tick(UNRELIABLE_TIMERS.I)
  t.equal(sender.responses(404).length, before, 'G stopped by the ACK')
  t.equal(tx!.state, InviteServerState.Terminated)
})

t.test('§17.2.2 Timer J: a UDP non-INVITE server transaction answers retransmissions for 64*T1', async (t) => {
  const { clock, sender, layer } = setup()
  let tx: NonInviteServerTransaction | null = null
  let seen = 0
  layer.on('request', (_r: SipRequest, s: ServerTransaction) => { seen++; tx = s as NonInviteServerTransaction })
  const opt = makeRequest({ method: 'OPTIONS', branch: 'z9hG4bKuj1', viaTransport: 'UDP' })
  layer.receive(opt, UDP_SOURCE)
  tx!.respond(createResponse(opt, 200, 'OK', { toTag: 'j' }))
  t.equal(tx!.state, NonInviteServerState.Completed)
  clock.tick(UNRELIABLE_TIMERS.J - 1)
  layer.receive(opt, UDP_SOURCE)
  await flush()
  t.equal(sender.responses(200).length, 2, 'retransmission answered from Completed')
  t.equal(seen, 1, 'the TU saw the request once')
  clock.tick(1)
  t.equal(tx!.state, NonInviteServerState.Terminated)
})

t.test('§18.2.2 / RFC 3581 response targets over UDP: the flow with rport, sent-by port without', async (t) => {
  const withRport = makeRequest({ method: 'OPTIONS', viaTransport: 'UDP', viaHost: '10.0.0.1:5062;rport=40000;received=127.0.0.1' })
  t.same(responseTargets(withRport, UDP_SOURCE), [{ connectionId: UDP_SOURCE.connectionId }])
  const without = makeRequest({ method: 'OPTIONS', viaTransport: 'UDP', viaHost: '10.0.0.1:5062;received=192.0.2.7' })
  t.same(responseTargets(without, UDP_SOURCE), [{ transport: 'udp', host: '192.0.2.7', port: 5062 }])
})
