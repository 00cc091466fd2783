import t from 'tap'
import type { SipRequest } from '../../../src/sip/message/types'
import { getHeader, getHeaders } from '../../../src/sip/message/headers'
import type { Dialog } from '../../../src/sip/dialog/dialog'
import { DialogState } from '../../../src/sip/dialog/dialog-state'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import { uasSessionTimer } from '../../../src/sip/dialog/session-timer-headers'
import { SessionTimer } from '../../../src/sip/dialog/session-timer'
import { agentPair, settle, SDP_A, SDP_B, type Pair } from '../../fixtures/sip/agent-pair'
import { makeRequest } from '../../fixtures/sip/fake-sender'

const BOB_URI = 'sip:bob@127.0.0.1:5062;transport=tcp'
const TARGET = { transport: 'tcp' as const, host: '127.0.0.1', port: 5062 }

async function call (p: Pair): Promise<{ uac: Dialog, uas: Dialog }> {
  const uasDialogs: Array<Promise<Dialog>> = []
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => {
    const d = p.bob.createUAS(req, res, { localSdp: SDP_B })
    d.catch(() => undefined)
    uasDialogs.push(d)
  })
  const uacP = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET })
  await settle()
  const uac = await uacP
  await settle()
  return { uac, uas: await uasDialogs[uasDialogs.length - 1] }
}

async function advance (p: Pair, seconds: number): Promise<void> {
  // One second at a time so each hop's setImmediate delivery runs between timer firings.
  for (let i = 0; i < seconds; i++) {
    p.clock.tick(1000)
    await settle(2)
  }
}

t.test('RFC 4028 §9 UAS decisions', async (t) => {
  const cfg = { sessionExpires: 1800, minSE: 90 }
  const withSe = (se: string, supported = true) => makeRequest({
    method: 'INVITE', extra: [{ name: 'Session-Expires', value: se }, ...(supported ? [{ name: 'Supported', value: 'timer' }] : [])]
  })
  t.same(uasSessionTimer(withSe('60'), cfg), { kind: 'reject', minSE: 90 }, 'below Min-SE with timer support → 422')
  t.same(uasSessionTimer(withSe('60', false), cfg), { kind: 'use', interval: 90, refresher: 'uas', requireTimer: false }, 'without support: raised, not rejected')
  t.same(uasSessionTimer(withSe('1800'), cfg), { kind: 'use', interval: 1800, refresher: 'uac', requireTimer: true })
  t.same(uasSessionTimer(withSe('600;refresher=uas'), cfg), { kind: 'use', interval: 600, refresher: 'uas', requireTimer: false })
  t.same(uasSessionTimer(makeRequest({ method: 'INVITE' }), cfg), { kind: 'use', interval: 1800, refresher: 'uas', requireTimer: false })
  t.equal(SessionTimer.delayMs(1800, true), 900_000, 'refresher acts at half the interval')
  t.equal(SessionTimer.delayMs(1800, false), 1_768_000, '§10: expiry minus min(32, SE/3)')
  t.equal(SessionTimer.delayMs(90, false), 60_000)
})

t.test('UAC with timer support becomes the refresher; refreshes with UPDATE at half the interval', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  const ok = p.bobWire.responses(200, 'INVITE')[0]
  t.equal(getHeader(ok, 'Session-Expires'), '1800;refresher=uac')
  t.same(getHeaders(ok, 'Require'), ['timer'], '§9: Require: timer when the UAC refreshes')
  t.equal(uac.sessionInterval, 1800)
  t.ok(uac.weRefresh)
  t.notOk(uas.weRefresh)
  await advance(p, 899)
  t.equal(p.aliceWire.requests('UPDATE').length, 0)
  await advance(p, 1)
  t.equal(p.aliceWire.requests('UPDATE').length, 1, 'UPDATE (peer Allow lists it) at 900 s')
  const upd = p.aliceWire.requests('UPDATE')[0]
  t.equal(getHeader(upd, 'Session-Expires'), '1800;refresher=uac', '§7.4: the refresher asks to stay refresher')
  t.equal(p.bobWire.responses(200, 'UPDATE').length, 1)
  // Bob's expiry guard was re-armed by the refresh: well past 1768 s from the start nothing ends.
  await advance(p, 900)
  t.equal(p.aliceWire.requests('UPDATE').length, 2, 'second refresh at 1800 s')
  t.equal(p.bobWire.requests('BYE').length, 0)
  t.equal(uas.state, DialogState.Confirmed)
})

t.test('§10: no refresh before expiry → the non-refresher sends BYE at SE - min(32, SE/3) and emits destroy', async (t) => {
  const p = agentPair()
  const { uas } = await call(p)
  // Alice's refreshes (and her BYE after the refresh fails) are lost on the way.
  p.aliceWire.drop = (m) => m.kind === 'request'
  let reason = ''
  uas.on('destroy', (i: { reason: string }) => { reason = i.reason })
  await advance(p, 1767)
  t.equal(p.bobWire.requests('BYE').length, 0)
  await advance(p, 1)
  t.equal(p.bobWire.requests('BYE').length, 1)
  t.equal(reason, 'session-expired')
  t.equal(uas.state, DialogState.Terminated)
})

t.test('refresh by re-INVITE (same SDP) when the peer does not allow UPDATE', async (t) => {
  const p = agentPair()
  p.bobWire.drop = (m) => {
    if (m.kind === 'response' && m.status === 200) m.headers = m.headers.filter((h) => h.name !== 'Allow')
    return false
  }
  const { uac } = await call(p)
  await advance(p, 900)
  const reinvites = p.aliceWire.requests('INVITE')
  t.equal(reinvites.length, 2, 'initial INVITE + refresh re-INVITE')
  t.equal(reinvites[1].body.toString(), SDP_A, 'refresh carries our unchanged SDP (§7.4)')
  t.equal(p.aliceWire.requests('ACK').length, 2)
  t.equal(uac.state, DialogState.Confirmed)
})

t.test('UAC without timer support: the UAS refreshes (refresher=uas) and the UAC only guards expiry', async (t) => {
  const p = agentPair()
  p.aliceWire.drop = (m) => {
    if (m.kind === 'request' && m.method === 'INVITE') {
      m.headers = m.headers.filter((h) => h.name !== 'Supported' && h.name !== 'Session-Expires' && h.name !== 'Min-SE')
    }
    return false
  }
  const { uac, uas } = await call(p)
  t.equal(getHeader(p.bobWire.responses(200, 'INVITE')[0], 'Session-Expires'), '1800;refresher=uas')
  t.equal(getHeader(p.bobWire.responses(200, 'INVITE')[0], 'Require'), undefined)
  t.ok(uas.weRefresh)
  t.notOk(uac.weRefresh)
  await advance(p, 900)
  t.equal(p.bobWire.requests('UPDATE').length, 1, 'the UAS sent the refresh')
  t.equal(p.aliceWire.responses(200, 'UPDATE').length, 1)
})

t.test('RFC 4028 §7.3: 422 carries Min-SE and the UAC retries once with that interval', async (t) => {
  const p = agentPair({ sessionTimer: { sessionExpires: 60, minSE: 60 }, bobSessionTimer: { sessionExpires: 1800, minSE: 90 } })
  const { uac } = await call(p)
  const r422 = p.bobWire.responses(422, 'INVITE')
  t.equal(r422.length, 1)
  t.equal(getHeader(r422[0], 'Min-SE'), '90')
  const invites = p.aliceWire.requests('INVITE')
  t.equal(invites.length, 2)
  t.equal(getHeader(invites[0], 'Session-Expires'), '60')
  t.equal(getHeader(invites[1], 'Session-Expires'), '90')
  t.equal(getHeader(invites[1], 'CSeq'), '2 INVITE', 'the retry is a new transaction with a higher CSeq')
  t.equal(uac.sessionInterval, 90)
})

t.test('a refresh re-INVITE with Session-Expires below our Min-SE is answered 422 in the dialog', async (t) => {
  const p = agentPair()
  const { uac } = await call(p)
  const [res] = await Promise.all([uac.request('INVITE', { body: SDP_A, headers: { Supported: 'timer', 'Session-Expires': '30' } }), settle()])
  t.equal(res.status, 422)
  t.equal(getHeader(res, 'Min-SE'), '90')
})
