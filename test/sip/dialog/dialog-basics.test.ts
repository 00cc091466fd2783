import t from 'tap'
import type { SipRequest, SipResponse } from '../../../src/sip/message/types'
import { getCSeq, getHeader, getHeaders } from '../../../src/sip/message/headers'
import type { Dialog } from '../../../src/sip/dialog/dialog'
import { DialogState } from '../../../src/sip/dialog/dialog-state'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import { IllegalTransitionError } from '../../../src/sip/transaction/illegal-transition-error'
import { agentPair, settle, SDP_A, SDP_B } from '../../fixtures/sip/agent-pair'

const BOB_URI = 'sip:bob@127.0.0.1:5062;transport=tcp'

async function call (p: ReturnType<typeof agentPair>, inviteHeaders?: Record<string, string | string[]>): Promise<{ uac: Dialog, uas: Dialog }> {
  let uasP: Promise<Dialog> | null = null
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => { uasP = p.bob.createUAS(req, res, { localSdp: SDP_B }) })
  const uacP = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, headers: inviteHeaders, target: { transport: 'tcp', host: '127.0.0.1', port: 5062 } })
  await settle()
  const uac = await uacP
  await settle()
  const uas = await (uasP as unknown as Promise<Dialog>)
  return { uac, uas }
}

t.test('§12.1: UAC and UAS dialogs share Call-ID with swapped tags; SDP exchanged; BYE ends both', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  t.equal(uac.callId, uas.callId)
  t.equal(uac.localTag, uas.remoteTag)
  t.equal(uac.remoteTag, uas.localTag)
  t.equal(uac.state, DialogState.Confirmed)
  t.equal(uac.remoteSdp, SDP_B)
  t.equal(uas.remoteSdp, SDP_A)
  t.equal(uas.remoteSeq, 1, '§12.1.1: UAS remote CSeq from the INVITE')
  t.equal(uac.remoteSeq, null, '§12.1.2: UAC remote CSeq empty')
  t.equal(p.aliceWire.requests('ACK').length, 1)
  t.equal(uac.remoteTarget, 'sip:bob@127.0.0.1:5062;transport=tcp', 'remote target from the 2xx Contact')
  t.equal(uas.remoteTarget, 'sip:alice@127.0.0.1:5061;transport=tcp', 'remote target from the INVITE Contact')
  const destroyed: Array<{ reason: string }> = []
  uas.on('destroy', (info: { reason: string }) => destroyed.push(info))
  const byeRes = await Promise.all([uac.destroy(), settle()])
  t.equal((byeRes[0] as SipResponse).status, 200)
  t.same(destroyed.map((d) => d.reason), ['BYE'])
  t.equal(uas.state, DialogState.Terminated)
  t.equal(p.alice.dialogs.size + p.bob.dialogs.size, 0, 'both registries emptied')
})

t.test('§12.2.1.1 in-dialog request: CSeq increments, tags and Call-ID kept, Route from the route set', async (t) => {
  const p = agentPair()
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => { void p.bob.createUAS(req, res, { localSdp: SDP_B, headers: {} }) })
  // Record-Route added by "proxies" on the path: the INVITE carries them to the UAS and the 2xx back to the UAC.
  p.aliceWire.drop = (m) => {
    if (m.kind === 'request' && m.method === 'INVITE' && !getHeader(m, 'Record-Route')) {
      m.headers.push({ name: 'Record-Route', value: '<sip:p1.example.com;lr>' }, { name: 'Record-Route', value: '<sip:p2.example.com;lr>' })
    }
    return false
  }
  p.bobWire.drop = (m) => {
    if (m.kind === 'response' && m.status === 200 && getCSeq(m).method === 'INVITE' && !getHeader(m, 'Record-Route')) {
      m.headers.push({ name: 'Record-Route', value: '<sip:p1.example.com;lr>' }, { name: 'Record-Route', value: '<sip:p2.example.com;lr>' })
    }
    return false
  }
  const uac = await p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: { transport: 'tcp', host: '127.0.0.1', port: 5062 } })
  await settle()
  const uas = p.bob.dialogs.all()[0]
  t.same(uas.routeSet, ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'], 'UAS route set in Record-Route order')
  t.same(uac.routeSet, ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>'], 'UAC route set reversed (§12.1.2)')
  const { request, targets } = uac.buildRequest('INFO', { body: 'x', contentType: 'text/plain' })
  t.equal(request.uri, uac.remoteTarget, 'loose routing: Request-URI is the remote target')
  t.same(getHeaders(request, 'Route'), ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>'])
  t.same(targets, [{ transport: 'tcp', host: 'p2.example.com', port: 5060 }], 'sent to the first route')
  t.same(getCSeq(request), { seq: 2, method: 'INFO' }, 'local CSeq = INVITE CSeq + 1')
  t.match(getHeader(request, 'From'), new RegExp(`tag=${uac.localTag}`))
  t.match(getHeader(request, 'To'), new RegExp(`tag=${uac.remoteTag}`))
  t.equal(getHeader(request, 'Call-ID'), uac.callId)
  t.equal(getHeader(request, 'Contact'), undefined, 'INFO is no target refresh: no Contact')
  const ack = uac.buildRequest('ACK', {}, 1).request
  t.same(getCSeq(ack), { seq: 1, method: 'ACK' }, 'ACK keeps the INVITE CSeq')
  t.equal(uac.localSeq, 2, 'ACK did not consume a sequence number')

  uac.routeSet.splice(0, uac.routeSet.length, '<sip:strict.example.com>', '<sip:p1.example.com;lr>')
  const strict = uac.buildRequest('BYE').request
  t.equal(strict.uri, 'sip:strict.example.com', 'strict router: first route becomes the Request-URI')
  t.same(getHeaders(strict, 'Route'), ['<sip:p1.example.com;lr>', `<${uac.remoteTarget}>`], 'remote target appended last')
})

t.test('§12.2.2 a request with a lower CSeq than the remote sequence number → 500', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  const res1 = await Promise.all([uac.request('INFO', { body: 'a', contentType: 'text/plain' }), settle()])
  t.equal(res1[0].status, 200)
  t.equal(uas.remoteSeq, 2)
  // A request built with a stale (lower) CSeq, as from a confused peer.
  const { request, targets } = uac.buildRequest('INFO', { body: 'b', contentType: 'text/plain' }, 1)
  const tx = p.alice.transactions.sendRequest(request, targets)
  const status = await new Promise<number>((resolve) => tx.on('response', (r: SipResponse) => { if (r.status >= 200) resolve(r.status) }))
  t.equal(status, 500)
  t.equal(uas.remoteSeq, 2, 'remote sequence number not lowered')
})

t.test('§12.2.2 requests for unknown dialogs → 481; out-of-dialog defaults', async (t) => {
  const p = agentPair()
  const { uac } = await call(p)
  // A BYE with a To tag that matches nothing at bob.
  const { request, targets } = uac.buildRequest('BYE')
  request.headers = request.headers.map((h) => h.name === 'To' ? { name: 'To', value: h.value.replace(/tag=[^;]+/, 'tag=nosuchdialog') } : h)
  const tx = p.alice.transactions.sendRequest(request, targets)
  const status = await new Promise<number>((resolve) => tx.on('response', (r: SipResponse) => { if (r.status >= 200) resolve(r.status) }))
  t.equal(status, 481)
  const target = { transport: 'tcp' as const, host: '127.0.0.1', port: 5062 }
  const results = await Promise.all([
    p.alice.request(BOB_URI, { method: 'OPTIONS', target }),
    p.alice.request(BOB_URI, { method: 'BYE', target }),
    p.alice.request(BOB_URI, { method: 'FOO', target }),
    p.alice.request(BOB_URI, { method: 'OPTIONS', target, headers: { Require: 'foo, timer' } }),
    settle()
  ])
  t.equal(results[0].status, 200)
  t.match(getHeader(results[0], 'Allow'), /INVITE/)
  t.equal(results[1].status, 481, 'out-of-dialog BYE (§15.1.2)')
  t.equal(results[2].status, 501, 'unknown method (§8.2.1)')
  t.equal(results[3].status, 420, 'unsupported Require (§8.2.2.3)')
  t.equal(getHeader(results[3], 'Unsupported'), 'foo')
})

t.test('in-dialog requests with no listener: INFO/OPTIONS/NOTIFY 200, REFER 603, UPDATE without SDP 200, MESSAGE to listener', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  const got: string[] = []
  uas.on('message', (req: SipRequest, res: ServerResponse) => { got.push(req.body.toString()); res.send(202) })
  const [info, options, notify, refer, update, message, subscribe] = await Promise.all([
    uac.request('INFO', { body: 'Signal=5', contentType: 'application/dtmf-relay' }),
    uac.request('OPTIONS'),
    uac.request('NOTIFY', { headers: { Event: 'refer', 'Subscription-State': 'terminated' }, body: 'SIP/2.0 200 OK', contentType: 'message/sipfrag' }),
    uac.request('REFER', { headers: { 'Refer-To': '<sip:carol@example.com>' } }),
    uac.request('UPDATE'),
    uac.request('MESSAGE', { body: 'hello', contentType: 'text/plain' }),
    uac.request('SUBSCRIBE', { headers: { Event: 'dialog' } }),
    settle()
  ])
  t.same([info.status, options.status, notify.status, refer.status, update.status, message.status, subscribe.status],
    [200, 200, 200, 603, 200, 202, 405])
  t.same(got, ['hello'])
  t.ok(getHeaders(subscribe, 'Allow').includes('UPDATE'), '405 lists what we allow')
})

t.test('listeners receive in-dialog events: info, refer, notify, options', async (t) => {
  const p = agentPair()
  const { uac, uas } = await call(p)
  const events: string[] = []
  for (const ev of ['info', 'refer', 'notify', 'options']) {
    uas.on(ev, (req: SipRequest, res: ServerResponse) => { events.push(`${ev}:${req.method}`); res.send(ev === 'refer' ? 202 : 200) })
  }
  const rs = await Promise.all([
    uac.request('INFO'), uac.request('REFER', { headers: { 'Refer-To': '<sip:c@x>' } }), uac.request('NOTIFY', { headers: { Event: 'x' } }), uac.request('OPTIONS'), settle()
  ])
  t.same(rs.slice(0, 4).map((r) => (r as SipResponse).status), [200, 202, 200, 200])
  t.same(events.sort(), ['info:INFO', 'notify:NOTIFY', 'options:OPTIONS', 'refer:REFER'])
})

t.test('the dialog state machine refuses illegal transitions (§12: early → confirmed → terminated only)', async (t) => {
  const p = agentPair()
  const { uac } = await call(p)
  t.throws(() => uac.stateTransition(DialogState.Early), IllegalTransitionError, 'confirmed never goes back to early')
  await Promise.all([uac.destroy(), settle()])
  t.throws(() => uac.stateTransition(DialogState.Confirmed), IllegalTransitionError, 'nothing leaves terminated')
  t.equal(uac.state, DialogState.Terminated)
  await t.rejects(uac.request('INFO'), /terminated/, 'no requests on a terminated dialog')
})
