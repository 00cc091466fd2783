import t from 'tap'
import type { SipRequest } from '../../../src/sip/message/types'
import { getHeaders } from '../../../src/sip/message/headers'
import { TransactionLayer, type ServerTransaction } from '../../../src/sip/transaction/transaction-layer'
import { ServerResponse } from '../../../src/sip/transaction/server-response'
import { FakeClock } from '../../fixtures/sip/fake-clock'
import { FakeSender, SOURCE, flush, makeRequest, silentLogger } from '../../fixtures/sip/fake-sender'

// Two record-routing proxies; the second carries an unknown header parameter that must be copied verbatim.
const RR = [
  { name: 'Record-Route', value: '<sip:p2.example.net;lr;ftag=ab>' },
  { name: 'Record-Route', value: '<sip:p1.example.net:5070;transport=udp;lr>;x-unknown=1' }
]

function respond (req: SipRequest): { res: ServerResponse, sender: FakeSender } {
  const sender = new FakeSender()
  const layer = new TransactionLayer({ sender, clock: new FakeClock(), logger: silentLogger })
  let tx: ServerTransaction | null = null
  layer.on('request', (_r: SipRequest, t: ServerTransaction) => { tx = t })
  layer.receive(req, SOURCE)
  if (tx === null) throw new Error('no transaction')
  return { res: new ServerResponse(tx), sender }
}

t.test('§12.1.1 UAS copies every Record-Route, in order, into 1xx-with-tag and 2xx to an INVITE', async (t) => {
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKrr1', extra: RR })
  const { res, sender } = respond(inv)
  res.send(180)
  res.send(200, { body: 'v=0\r\n' })
  await flush()
  const [trying, ringing, ok] = sender.responses()
  t.equal(trying.status, 100)
  t.same(getHeaders(trying, 'Record-Route'), [], '100 Trying establishes no dialog: no Record-Route')
  t.same(getHeaders(ringing, 'Record-Route'), RR.map((h) => h.value), '180 carries both values in request order')
  t.same(getHeaders(ok, 'Record-Route'), RR.map((h) => h.value), '200 carries both values in request order')
})

t.test('§12.1.1 no Record-Route copied into responses that establish no dialog', async (t) => {
  const inv = makeRequest({ method: 'INVITE', branch: 'z9hG4bKrr2', extra: RR })
  const busy = respond(inv)
  busy.res.send(486)
  await flush()
  t.same(getHeaders(busy.sender.responses(486)[0], 'Record-Route'), [], 'a non-2xx final creates no dialog')

  const opt = makeRequest({ method: 'OPTIONS', branch: 'z9hG4bKrr3', extra: RR })
  const options = respond(opt)
  options.res.send(200)
  await flush()
  t.same(getHeaders(options.sender.responses(200)[0], 'Record-Route'), [], 'OPTIONS creates no dialog')

  const reinvite = makeRequest({ method: 'INVITE', branch: 'z9hG4bKrr4', toTag: 'existing', extra: RR })
  const re = respond(reinvite)
  re.res.send(200)
  await flush()
  t.same(getHeaders(re.sender.responses(200)[0], 'Record-Route'), [],
    'a re-INVITE inside a dialog cannot change the route set (§12.2): nothing copied')
})

t.test('§12.1.1 a request without Record-Route gets a response without one', async (t) => {
  const { res, sender } = respond(makeRequest({ method: 'INVITE', branch: 'z9hG4bKrr5' }))
  res.send(200)
  await flush()
  t.same(getHeaders(sender.responses(200)[0], 'Record-Route'), [])
})
