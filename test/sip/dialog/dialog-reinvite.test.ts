import t from 'tap'
import type { SipRequest } from '../../../src/sip/message/types'
import { getCSeq } from '../../../src/sip/message/headers'
import type { Dialog } from '../../../src/sip/dialog/dialog'
import { DialogState } from '../../../src/sip/dialog/dialog-state'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import { sdpDirection, withDirection, answerDirection } from '../../../src/sip/dialog/sdp-direction'
import { TIMERS } from '../../../src/sip/transaction/timers'
import { agentPair, settle, SDP_A, SDP_B, type Pair } from '../../fixtures/sip/agent-pair'

const BOB_URI = 'sip:bob@127.0.0.1:5062;transport=tcp'

async function call (p: Pair): Promise<{ uac: Dialog, uas: Dialog }> {
  let uasP: Promise<Dialog> | null = null
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => { uasP = p.bob.createUAS(req, res, { localSdp: SDP_B }) })
  const uacP = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: { transport: 'tcp', host: '127.0.0.1', port: 5062 } })
  await settle()
  const uac = await uacP
  await settle()
  return { uac, uas: await (uasP as unknown as Promise<Dialog>) }
}

t.test('sdp-direction helper: RFC 3264 §6.1 answers and o= version bump', async (t) => {
  t.equal(sdpDirection(SDP_A), 'sendrecv')
  t.equal(sdpDirection(SDP_A.replace('a=sendrecv', 'a=sendonly')), 'sendonly')
  t.equal(sdpDirection(SDP_A.replace('a=sendrecv\r\n', '')), 'sendrecv', 'absent means sendrecv')
  t.equal(sdpDirection(SDP_A.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0')), 'sendonly', 'RFC 2543 hold with 0.0.0.0')
  t.same(['sendonly', 'recvonly', 'inactive', 'sendrecv'].map((d) => answerDirection(d as never)), ['recvonly', 'sendonly', 'inactive', 'sendrecv'])
  const held = withDirection(SDP_B, 'recvonly')
  t.match(held, /^o=bob 200 8 /m, 'version incremented on change')
  t.match(held, /a=recvonly\r\n$/)
  t.notMatch(held, /a=sendrecv/)
  t.equal(withDirection(SDP_B, 'sendrecv'), SDP_B, 'unchanged description keeps its version')
})

t.test('hold re-INVITE with no listener: sendonly → recvonly, inactive → inactive, sendrecv → sendrecv; hold/unhold events', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  const events: string[] = []
  uas.on('hold', () => events.push('hold'))
  uas.on('unhold', () => events.push('unhold'))
  const [ans1] = await Promise.all([uac.modify(withDirection(SDP_A, 'sendonly')), settle()])
  t.equal(sdpDirection(ans1), 'recvonly')
  t.match(ans1, /^o=bob 200 8 /m, 'answer version bumped')
  t.equal(uas.remoteSdp && sdpDirection(uas.remoteSdp), 'sendonly')
  t.equal(p.aliceWire.requests('ACK').length, 2, 're-INVITE 2xx ACKed')
  const [ans2] = await Promise.all([uac.modify(withDirection(SDP_A, 'inactive')), settle()])
  t.equal(sdpDirection(ans2), 'inactive')
  const [ans3] = await Promise.all([uac.modify(SDP_A), settle()])
  t.equal(sdpDirection(ans3), 'sendrecv')
  t.match(ans3, /^o=bob 200 10 /m)
  t.same(events, ['hold', 'unhold'])
  t.equal(uas.state, DialogState.Confirmed)
})

t.test("'modify' listener decides the answer to a re-INVITE", async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  uas.on('modify', (req: SipRequest, res: ServerResponse) => {
    t.match(req.body.toString(), /m=audio 4002/)
    res.send(200, { body: SDP_B.replace('5000', '5002') })
  })
  const [answer] = await Promise.all([uac.modify(SDP_A.replace('4000', '4002')), settle()])
  t.match(answer, /m=audio 5002/)
  t.equal(uas.localSdp, SDP_B.replace('5000', '5002'))
  t.equal(uac.remoteSdp, answer)
})

t.test('re-INVITE without SDP: our 2xx carries the offer, the ACK the answer', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  const res = await Promise.all([uac.request('INVITE'), settle()])
  t.equal(res[0].status, 200)
  t.equal(res[0].body.toString(), SDP_B, 'UAS put its SDP as the offer in the 2xx')
  const ack = p.aliceWire.requests('ACK').at(-1) as SipRequest
  t.equal(getCSeq(ack).seq, getCSeq(res[0]).seq)
  t.equal(sdpDirection(ack.body.toString()), 'sendrecv', 'UAC answered in the ACK')
  t.match(ack.body.toString(), /m=audio 4000/)
  t.equal(uas.remoteSdp, ack.body.toString(), 'UAS took the answer from the ACK')
  t.equal(uas.awaitingAck, false, 'the ACK stopped the 2xx retransmissions')
})

t.test('§14.2 glare: crossing re-INVITEs both get 491, the non-owner retries first (§14.1 0–2 s), then the owner (2.1–4 s)', async (t) => {
  const p = agentPair({ random: () => 0.5 })
  const { uac, uas } = await call(p)
  t.equal(uac.glareDelayMs(), 2100 + 95 * 10, 'Call-ID owner waits 2.1–4 s')
  t.equal(uas.glareDelayMs(), 100 * 10, 'non-owner waits 0–2 s')
  const pa = uac.modify(withDirection(SDP_A, 'sendonly'))
  const pb = uas.modify(withDirection(SDP_B, 'sendonly'))
  await settle()
  t.equal(p.aliceWire.responses(491, 'INVITE').length, 1, 'alice answered bob\'s re-INVITE with 491')
  t.equal(p.bobWire.responses(491, 'INVITE').length, 1, 'bob answered alice\'s re-INVITE with 491')
  p.clock.tick(1000)
  await settle()
  const bobAnswer = await pb
  t.equal(sdpDirection(bobAnswer), 'recvonly', 'bob (non-owner) retried after 1 s and got its answer')
  p.clock.tick(2050)
  await settle()
  const aliceAnswer = await pa
  t.equal(sdpDirection(aliceAnswer), 'recvonly', 'alice (owner) retried after 3.05 s')
  t.equal(p.aliceWire.requests('INVITE').length, 3, 'initial + first try + retry')
})

t.test('§14.2 a re-INVITE while we still wait for the ACK of our 2xx → 500 with Retry-After', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  // Drop alice's next ACK so bob's 2xx stays unacknowledged.
  let dropAck = true
  p.aliceWire.drop = (m) => m.kind === 'request' && m.method === 'ACK' && dropAck
  const first = uac.modify(SDP_A)
  await settle()
  await first
  t.ok(uas.awaitingAck)
  const second = await Promise.all([uac.request('INVITE', { body: SDP_A }), settle()])
  t.equal(second[0].status, 500)
  t.ok(second[0].headers.some((h) => h.name === 'Retry-After'))
  dropAck = false
})

t.test('§13.3.1.4 the UAS retransmits its 2xx T1, 2T1 … T2 until the ACK; none within 64*T1 → BYE and createUAS rejects', async (t) => {
  const p = agentPair()
  p.aliceWire.drop = (m) => m.kind === 'request' && m.method === 'ACK'
  let uasErr: Error | null = null
  let destroyed = ''
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => {
    p.bob.createUAS(req, res, { localSdp: SDP_B }).catch((e: Error) => { uasErr = e })
  })
  const uacP = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: { transport: 'tcp', host: '127.0.0.1', port: 5062 } })
  await settle()
  await uacP
  const uas = p.bob.dialogs.all()[0]
  uas.on('destroy', (i: { reason: string }) => { destroyed = i.reason })
  const count = (): number => p.bobWire.responses(200, 'INVITE').length
  t.equal(count(), 1)
  const times: number[] = []
  let last = count()
  for (let ms = 0; ms < 64 * TIMERS.T1; ms += 250) {
    p.clock.tick(250)
    await settle(3)
    if (count() !== last) { times.push(p.clock.now()); last = count() }
  }
  t.same(times, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500], 'intervals 0.5, 1, 2, 4, 4 … s')
  await settle()
  t.ok(uasErr, 'createUAS rejected')
  t.equal((uasErr as unknown as { status: number }).status, 408)
  t.equal(destroyed, 'ack-timeout')
  t.equal(p.bobWire.requests('BYE').length, 1, 'session ended with BYE')
  t.equal(p.aliceWire.requests('ACK').length, 11, 'the UAC re-ACKed every retransmitted 2xx (§13.2.2.4)')
})

t.test('UAC re-ACKs a retransmitted 2xx and the UAS stops retransmitting once an ACK arrives', async (t) => {
  const p = agentPair()
  let drops = 1
  p.aliceWire.drop = (m) => m.kind === 'request' && m.method === 'ACK' && drops-- > 0
  let uasP: Promise<Dialog> | null = null
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => { uasP = p.bob.createUAS(req, res, { localSdp: SDP_B }) })
  await Promise.all([p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: { transport: 'tcp', host: '127.0.0.1', port: 5062 } }), settle()])
  p.clock.tick(500)
  await settle()
  const uas = await (uasP as unknown as Promise<Dialog>)
  t.equal(uas.state, DialogState.Confirmed)
  p.clock.tick(10000)
  await settle()
  t.equal(p.bobWire.responses(200, 'INVITE').length, 2, 'no retransmission after the ACK')
})

t.test('§12.2 target refresh: a re-INVITE and its 2xx carry new Contacts that become the remote targets', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  const moved = 'sip:bob@127.0.0.1:5999;transport=tcp'
  p.bobWire.drop = (m) => {
    if (m.kind === 'response' && m.status === 200 && getCSeq(m).method === 'INVITE') {
      m.headers = m.headers.map((h) => h.name === 'Contact' ? { name: 'Contact', value: `<${moved}>` } : h)
    }
    return false
  }
  p.aliceWire.drop = (m) => {
    if (m.kind === 'request' && m.method === 'INVITE') {
      m.headers = m.headers.map((h) => h.name === 'Contact' ? { name: 'Contact', value: '<sip:alice@127.0.0.1:5888;transport=tcp>' } : h)
    }
    return false
  }
  await Promise.all([uac.modify(SDP_A), settle()])
  t.equal(uac.remoteTarget, moved, 'UAC took the Contact of the re-INVITE 2xx')
  t.equal(p.aliceWire.requests('ACK').at(-1)?.kind === 'request' && (p.aliceWire.requests('ACK').at(-1) as SipRequest).uri, moved, 'the ACK already goes to the new target')
  t.equal(uas.remoteTarget, 'sip:alice@127.0.0.1:5888;transport=tcp', 'UAS took the Contact of the re-INVITE')
})
