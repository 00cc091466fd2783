import t from 'tap'
import type { SipRequest } from '../../../src/sip/message/types'
import { getHeader } from '../../../src/sip/message/headers'
import type { Dialog } from '../../../src/sip/dialog/dialog'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import type { IncomingRequest } from '../../../src/sip/ua/incoming-request'
import { UacError } from '../../../src/sip/ua/uac-error'
import { sdpDirection, withDirection } from '../../../src/sip/dialog/sdp-direction'
import { agentPair, settle, SDP_A, SDP_B, type Pair } from '../../fixtures/sip/agent-pair'

const BOB_URI = 'sip:bob@127.0.0.1:5062;transport=tcp'
const TARGET = { transport: 'tcp' as const, host: '127.0.0.1', port: 5062 }

async function call (p: Pair): Promise<{ uac: Dialog, uas: Dialog }> {
  let uasP: Promise<Dialog> | null = null
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => { uasP = p.bob.createUAS(req, res, { localSdp: SDP_B }) })
  const [uac] = await Promise.all([p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET }), settle()])
  await settle()
  return { uac, uas: await (uasP as unknown as Promise<Dialog>) }
}

t.test("out-of-dialog methods become agent events ('register', 'message') with the source attached", async (t) => {
  const p = agentPair()
  const seen: string[] = []
  p.bob.on('register', (req: IncomingRequest, res: ServerResponse) => {
    seen.push(`${req.method} from ${req.source.remoteAddress} in-dialog=${req.dialog !== null}`)
    res.send(200, 'OK', { headers: { Contact: getHeader(req, 'Contact') ?? '', Expires: '60' } })
  })
  p.bob.on('message', (req: IncomingRequest, res: ServerResponse) => { seen.push(`MESSAGE ${req.body.toString()}`); res.send(202) })
  const [reg, msg, sub] = await Promise.all([
    p.alice.request('sip:registrar@127.0.0.1:5062', { method: 'REGISTER', target: TARGET, headers: { Contact: '<sip:alice@127.0.0.1:5061>', Expires: '60' } }),
    p.alice.request(BOB_URI, { method: 'MESSAGE', target: TARGET, body: 'hi' }),
    p.alice.request(BOB_URI, { method: 'SUBSCRIBE', target: TARGET, headers: { Event: 'presence' } }),
    settle()
  ])
  t.equal(reg.status, 200)
  t.equal(getHeader(reg, 'Expires'), '60')
  t.equal(msg.status, 202)
  t.equal(sub.status, 405, 'no listener for SUBSCRIBE → 405 with Allow')
  t.same(seen, ['REGISTER from 127.0.0.1 in-dialog=false', 'MESSAGE hi'])
})

t.test('a listener that throws gets the request answered 500, not left pending', async (t) => {
  const p = agentPair()
  p.bob.on('invite', () => { throw new Error('handler bug') })
  const [err] = await Promise.all([p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET }).catch((e: unknown) => e), settle()])
  t.ok(err instanceof UacError)
  t.equal((err as UacError).status, 500)
})

t.test('createUAC with an unparsable Request-URI rejects instead of throwing', async (t) => {
  const p = agentPair()
  let threw = false
  let rejected: unknown = null
  try {
    await p.alice.createUAC('sip:', { localSdp: SDP_A }).catch((e: unknown) => { rejected = e })
  } catch { threw = true }
  t.notOk(threw)
  t.ok(rejected)
  t.equal((rejected as { status: number }).status, 400)
})

t.test('UPDATE with an offer and no listener is answered like a hold re-INVITE (RFC 3311 + RFC 3264 §8.4)', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  const [res] = await Promise.all([uac.request('UPDATE', { body: withDirection(SDP_A, 'sendonly') }), settle()])
  t.equal(res.status, 200)
  t.equal(sdpDirection(res.body.toString()), 'recvonly')
  t.equal(uas.remoteSdp && sdpDirection(uas.remoteSdp), 'sendonly')
  t.equal(p.aliceWire.requests('ACK').length, 1, 'UPDATE needs no ACK')
})

t.test("an 'update' listener answers UPDATE itself", async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  uas.on('update', (req: SipRequest, res: ServerResponse) => { res.send(488, 'Not Acceptable Here') })
  const [res] = await Promise.all([uac.request('UPDATE', { body: SDP_A.replace('4000', '4010') }), settle()])
  t.equal(res.status, 488)
  t.equal(uas.remoteSdp, SDP_A, 'a rejected offer does not change the session')
})
