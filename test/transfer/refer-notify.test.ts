// The REFER subscription's NOTIFY handling (RFC 3515 §2.4.4–2.4.7, RFC 6665, RFC 3420) on a scripted
// dialog and an injected clock: answers to bad NOTIFYs, NOTIFY before the 202, the timeout re-armed by
// progress, and the trunk hanging up before the outcome.
import t from 'tap'
import { EventEmitter } from 'node:events'
import type { SipRequest, SipResponse } from '../../src/sip/message/types'
import { DialogState } from '../../src/sip/dialog/dialog-state'
import type { ServerResponse } from '../../src/sip/transaction/server-response'
import { ReferTransfer, ReferState, type ReferOutcome } from '../../src/transfer/refer-transfer'
import { parseSipfrag, formatSipfrag } from '../../src/transfer/sipfrag'
import { FakeClock } from '../fixtures/sip/fake-clock'

class ScriptedDialog extends EventEmitter {
  state = DialogState.Confirmed
  localSeq = 4
  sent: string[] = []
  private answerRefer: ((r: SipResponse) => void) | null = null
  request (method: string): Promise<SipResponse> {
    this.localSeq++
    this.sent.push(method)
    return new Promise(resolve => { if (method === 'REFER') this.answerRefer = resolve; else resolve(resp(200)) })
  }

  respondRefer (status: number): void { this.answerRefer?.(resp(status)) }
  destroy (): Promise<SipResponse | null> { this.state = DialogState.Terminated; this.sent.push('BYE'); return Promise.resolve(null) }
}

function resp (status: number): SipResponse {
  return { kind: 'response', version: 'SIP/2.0', status, reason: String(status), headers: [], body: Buffer.alloc(0) }
}

function notify (headers: Record<string, string>, body = '', cseq = 20): SipRequest {
  return {
    kind: 'request', method: 'NOTIFY', uri: 'sip:agent@127.0.0.1', version: 'SIP/2.0',
    headers: [{ name: 'CSeq', value: `${cseq} NOTIFY` }, ...Object.entries(headers).map(([name, value]) => ({ name, value }))],
    body: Buffer.from(body)
  }
}

const FRAG = 'message/sipfrag;version=2.0'

function answerOf (d: ScriptedDialog, req: SipRequest): { status: number, headers?: unknown } {
  let out: { status: number, headers?: unknown } = { status: 0 }
  const res = { send: (status: number, _r?: string, o?: { headers?: unknown }) => { out = { status, headers: o?.headers } } } as unknown as ServerResponse
  d.emit('notify', req, res)
  return out
}

function setup (timeoutMs = 1000): { d: ScriptedDialog, clock: FakeClock, transfer: ReferTransfer, outcome: Promise<ReferOutcome> } {
  const d = new ScriptedDialog()
  const clock = new FakeClock()
  const transfer = new ReferTransfer({ dialog: d as never, referTo: 'sip:+15551234567@trunk', referredBy: 'sip:agent@gw', clock, notifyTimeoutMs: timeoutMs })
  return { d, clock, transfer, outcome: transfer.start() }
}

t.test('NOTIFYs that are not ours: 489 for another event package, 481 for another REFER id, 415 for a non-sipfrag body, 400 for a bad sipfrag', async t => {
  const { d, transfer } = setup()
  d.respondRefer(202)
  await new Promise(resolve => setImmediate(resolve))
  t.match(answerOf(d, notify({ Event: 'dialog' }, 'x')), { status: 489, headers: { 'Allow-Events': 'refer' } })
  t.equal(answerOf(d, notify({ Event: 'refer;id=99', 'Content-Type': FRAG }, 'SIP/2.0 200 OK\r\n')).status, 481)
  t.match(answerOf(d, notify({ Event: 'refer;id=5', 'Content-Type': 'text/plain' }, 'SIP/2.0 200 OK\r\n')), { status: 415, headers: { Accept: 'message/sipfrag' } })
  t.equal(answerOf(d, notify({ Event: 'refer;id=5', 'Content-Type': FRAG }, 'INVITE sip:x SIP/2.0\r\n')).status, 400)
  t.equal(transfer.state, ReferState.Accepted, 'none of them settled the transfer')
  t.equal(answerOf(d, notify({ Event: 'Refer;id=5', 'Content-Type': 'Message/Sipfrag', 'Subscription-State': 'terminated' }, 'SIP/2.0 200 OK\r\n')).status, 200, 'package and type compare case-insensitively')
})

t.test('a final NOTIFY overtaking the 202 settles the transfer (RFC 6665 §4.1.2.4)', async t => {
  const { d, transfer, outcome } = setup()
  t.equal(answerOf(d, notify({ Event: 'refer', 'Content-Type': FRAG, 'Subscription-State': 'terminated;reason=noresource' }, 'SIP/2.0 200 OK\r\n')).status, 200)
  t.same(await outcome, { kind: 'succeeded', sipStatus: 200, detail: '200 OK' })
  d.respondRefer(202)
  await new Promise(resolve => setImmediate(resolve))
  t.equal(transfer.state, ReferState.Succeeded)
  t.same(d.sent, ['REFER', 'BYE'], 'our leg is ended once')
})

t.test('each provisional NOTIFY re-arms the NOTIFY timeout', async t => {
  const { d, clock, transfer, outcome } = setup(1000)
  d.respondRefer(202)
  await new Promise(resolve => setImmediate(resolve))
  clock.tick(900)
  answerOf(d, notify({ Event: 'refer;id=5', 'Content-Type': FRAG, 'Subscription-State': 'active' }, 'SIP/2.0 180 Ringing\r\n'))
  clock.tick(900)
  t.equal(transfer.state, ReferState.Accepted, 'still waiting 1800 ms after the 202')
  clock.tick(100)
  t.same(await outcome, { kind: 'failed', failure: 'notify_timeout', sipStatus: 180, detail: 'no final NOTIFY within 1000 ms' })
  t.equal(d.state, DialogState.Confirmed)
})

t.test('subscription terminated without a final status, and the trunk hanging up first', async t => {
  const a = setup()
  a.d.respondRefer(202)
  await new Promise(resolve => setImmediate(resolve))
  answerOf(a.d, notify({ Event: 'refer', 'Subscription-State': 'terminated;reason=timeout' }))
  t.match(await a.outcome, { kind: 'failed', failure: 'subscription_terminated', detail: /reason=timeout/ })
  const b = setup()
  b.d.respondRefer(202)
  await new Promise(resolve => setImmediate(resolve))
  b.d.state = DialogState.Terminated
  b.d.emit('destroy', { reason: 'BYE' })
  t.match(await b.outcome, { kind: 'peer-ended' })
  t.same(b.d.sent, ['REFER'], 'no BYE of ours on a dialog the trunk ended')
  t.equal(b.clock.pending, 0, 'timer released')
})

t.test('sipfrag status lines (RFC 3420): parsed with or without reason, headers after them ignored', async t => {
  t.same(parseSipfrag('SIP/2.0 100 Trying\r\n'), { status: 100, reason: 'Trying' })
  t.same(parseSipfrag('SIP/2.0 603\r\n'), { status: 603, reason: '' })
  t.same(parseSipfrag('SIP/2.0 486 Busy Here\r\nRetry-After: 60\r\n'), { status: 486, reason: 'Busy Here' })
  for (const bad of ['', 'SIP/2.0 99 x', 'SIP/3.0 200 OK', 'BYE sip:a SIP/2.0', 'SIP/2.0 2000 OK']) t.throws(() => parseSipfrag(bad), { status: 400 } as never)
  t.equal(formatSipfrag(100, 'Trying'), 'SIP/2.0 100 Trying\r\n')
})
