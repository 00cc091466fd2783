// transfer_to_number checks and the REFER path of TransferService, with a scripted dialog (the SIP
// behaviour itself is tested against SIPp in refer-transfer-sipp.test.ts).
import t from 'tap'
import { EventEmitter } from 'node:events'
import { parseConfigText, type TrunkConfig } from '../../src/config'
import type { TransferRuleConfig } from '../../src/config/transfer-schema'
import type { SipResponse } from '../../src/sip/message/types'
import { DialogState } from '../../src/sip/dialog/dialog-state'
import type { RequestOptions } from '../../src/sip/dialog/dialog'
import { rootLogger } from '../../src/log'
import { trunkUri } from '../../src/trunk/trunk-uri'
import { TransferService, agentUri, type TransferCallPort, type TransferProgress } from '../../src/transfer/transfer-service'
import { FakeClock } from '../fixtures/sip/fake-clock'

const config = parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks:
  - {name: carrier, inbound: {acl: [127.0.0.1]}, outbound: {address: sip.carrier.example, port: 5070}}
  - {name: norefer, inbound: {acl: [127.0.0.2]}, allow_refer: false}
agents:
  - id: demo
    name: Demo
    transfer_rules:
      - {transfer_destination: {type: phone, phone_number: '+15551234567'}, condition: billing, transfer_type: sip_refer}
      - {transfer_destination: {type: sip_uri, sip_uri: 'sip:support@pbx.example.com'}, condition: complaint, transfer_type: sip_refer}
      - {transfer_destination: {type: phone, phone_number: '+15559876543'}, condition: sales}
transfer: {refer_notify_timeout_ms: 1000}
`)
const rules = config.agents[0].transfer_rules

/** A confirmed dialog whose REFER is answered by the test script. */
class ScriptedDialog extends EventEmitter {
  state = DialogState.Confirmed
  localSeq = 10
  readonly localHeader = '<sip:+15550100@gw.example.net>;tag=abc'
  readonly remoteTarget = 'sip:trunk@10.0.0.7:5080;transport=tcp'
  readonly sent: Array<{ method: string, opts?: RequestOptions }> = []
  referAnswer: number = 202
  request (method: string, opts?: RequestOptions): Promise<SipResponse> {
    this.localSeq++
    this.sent.push({ method, opts })
    const status = method === 'REFER' ? this.referAnswer : 200
    return Promise.resolve({ kind: 'response', version: 'SIP/2.0', status, reason: status === 202 ? 'Accepted' : 'X', headers: [], body: Buffer.alloc(0) })
  }

  destroy (): Promise<SipResponse | null> { this.state = DialogState.Terminated; this.sent.push({ method: 'BYE' }); return Promise.resolve(null) }
}

function port (trunk: TrunkConfig, dialog: ScriptedDialog | null, ruleList: readonly TransferRuleConfig[] = rules): { port: TransferCallPort, events: TransferProgress[] } {
  const events: TransferProgress[] = []
  return {
    events,
    port: { dialog: () => dialog, trunk, rules: ruleList, sendProgress: (p) => events.push(p), conference: null, logger: rootLogger }
  }
}

const args = (n: string): { transferNumber: string, clientMessage: string, agentMessage: string } => ({ transferNumber: n, clientMessage: 'one moment', agentMessage: 'billing dispute' })

t.test('a number not in the rules is a tool error naming the configured destinations; nothing is sent', async t => {
  const d = new ScriptedDialog()
  const { port: p, events } = port(config.trunks[0], d)
  const svc = new TransferService({ settings: config.transfer, clock: new FakeClock() })
  for (const n of ['+15551234568', '15551234567', '+1 555 123 4567', '']) {
    const r = await svc.transferToNumber('tc1', args(n), p)
    t.equal(r.outcome.ok, false)
    t.equal(r.transferred, false)
    if (!r.outcome.ok) t.match(r.outcome.error, n === '' ? /required/ : /not one of the configured destinations \(\+15551234567, sip:support@pbx\.example\.com, \+15559876543\)/)
  }
  t.same(d.sent, [])
  t.same(events, [])
  const none = await svc.transferToNumber('tc2', args('+15551234567'), port(config.trunks[0], d, []).port)
  t.match(none.outcome, { ok: false, error: /no transfer rules/ })
})

t.test('REFER to a phone rule: Refer-To is the number at the trunk outbound address, Referred-By the agent URI', async t => {
  const d = new ScriptedDialog()
  const clock = new FakeClock()
  const { port: p, events } = port(config.trunks[0], d)
  const svc = new TransferService({ settings: config.transfer, clock })
  const pending = svc.transferToNumber('tc1', args('+15551234567'), p)
  await new Promise(resolve => setImmediate(resolve))
  t.equal(svc.inProgress, true)
  const again = await svc.transferToNumber('tc2', args('+15551234567'), p)
  t.match(again.outcome, { ok: false, error: /already in progress/ }, 'one transfer at a time')
  const refer = d.sent[0]
  t.equal(refer.method, 'REFER')
  t.same(refer.opts?.headers, [
    { name: 'Refer-To', value: '<sip:+15551234567@sip.carrier.example:5070;user=phone;transport=tcp>' },
    { name: 'Referred-By', value: '<sip:+15550100@gw.example.net>' }
  ])
  clock.tick(1000) // no NOTIFY: the configured timeout
  const r = await pending
  t.match(r.outcome, { ok: false, error: /no final NOTIFY within 1000 ms/ })
  t.same(events.map(e => [e.toolCallId, e.state, e.sipStatus]), [['tc1', 'trying', 0], ['tc1', 'failed', 0]])
  t.same(r.record, { type: 'sip-refer', target: 'sip:+15551234567@sip.carrier.example:5070;user=phone;transport=tcp', result: 'failed', sipStatus: 0, detail: 'no final NOTIFY within 1000 ms' })
  t.equal(d.state, DialogState.Confirmed, 'the call goes on')
})

t.test('REFER to a SIP URI rule: Refer-To is the configured URI; a rejected REFER reports FAILED with its status', async t => {
  const d = new ScriptedDialog()
  d.referAnswer = 405
  const { port: p, events } = port(config.trunks[0], d)
  const r = await new TransferService({ settings: config.transfer, clock: new FakeClock() }).transferToNumber('tc9', args('sip:support@pbx.example.com'), p)
  t.same(d.sent[0].opts?.headers?.[0 as never], { name: 'Refer-To', value: '<sip:support@pbx.example.com>' })
  t.match(r.outcome, { ok: false, error: /405/ })
  t.same(events.map(e => [e.state, e.sipStatus]), [['trying', 0], ['failed', 405]])
})

t.test('allow_refer: false fails the tool without sending anything', async t => {
  const d = new ScriptedDialog()
  const { port: p, events } = port(config.trunks[1], d)
  const r = await new TransferService({ settings: config.transfer, clock: new FakeClock() }).transferToNumber('tc1', args('+15551234567'), p)
  t.match(r.outcome, { ok: false, error: /does not allow REFER/ })
  t.same(d.sent, [])
  t.same(events.map(e => e.state), ['failed'])
})

t.test('before the dialog is confirmed, and a conference rule without a conference runner: tool errors', async t => {
  const svc = new TransferService({ settings: config.transfer, clock: new FakeClock() })
  t.match((await svc.transferToNumber('a', args('+15551234567'), port(config.trunks[0], null).port)).outcome, { ok: false, error: /not connected/ })
  t.match((await svc.transferToNumber('b', args('+15559876543'), port(config.trunks[0], new ScriptedDialog()).port)).outcome, { ok: false, error: /conference transfer is not available/ })
})

t.test('Refer-To without outbound settings: the number at the host the caller dialog talks to', async t => {
  t.equal(trunkUri('+15551234567', config.trunks[1], 'sip:trunk@10.0.0.7:5080;transport=tcp'), 'sip:+15551234567@10.0.0.7:5080;user=phone;transport=tcp')
  t.equal(trunkUri('+15551234567', config.trunks[1], 'sips:trunk@[2001:db8::1]:5061'), 'sips:+15551234567@[2001:db8::1]:5061;user=phone')
  const withPort = parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks: [{name: c, inbound: {acl: [127.0.0.1]}, outbound: {address: '203.0.113.10:5080'}}, {name: s, inbound: {acl: [127.0.0.2]}, outbound: {address: '2001:db8::7', transport: tls}}]
`).trunks
  t.equal(trunkUri('+15551234567', withPort[0], 'sip:x@10.0.0.1'), 'sip:+15551234567@203.0.113.10:5080;user=phone;transport=tcp', 'address with a port')
  t.equal(trunkUri('+15551234567', withPort[1], 'sip:x@10.0.0.1'), 'sip:+15551234567@[2001:db8::7];user=phone;transport=tls', 'TLS trunk: transport=tls (one URI form with outbound calls), IPv6 in brackets')
  t.equal(agentUri('"Agent" <sip:+15550100@gw.example.net:5060;transport=tcp>;tag=x'), 'sip:+15550100@gw.example.net:5060')
})
