// REFER transfer against SIPp playing the trunk (test/sipp/transfer/*.xml): the caller's dialog is a real
// UAS dialog on a TCP SipAgent; SIPp answers the REFER and sends (or withholds) the sipfrag NOTIFYs.
import t from 'tap'
import type { SipRequest } from '../../src/sip/message/types'
import type { Dialog } from '../../src/sip/dialog/dialog'
import { DialogState } from '../../src/sip/dialog/dialog-state'
import type { ServerResponse } from '../../src/sip/transaction/server-response'
import { systemClock } from '../../src/sip/transaction/clock'
import { ReferTransfer, ReferState, type ReferOutcome, type ReferProgress } from '../../src/transfer/refer-transfer'
import { tcpAgent, until } from '../fixtures/sip/tcp-agents'
import { runSipp, describeRun } from '../integration/sipp-runner'

const SDP = 'v=0\r\no=tg 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=sendrecv\r\n'
const REFER_TO = 'sip:+15551234567@trunk.example.net'

interface Observed {
  outcomes: ReferOutcome[]
  progress: ReferProgress[]
  destroyed: string[]
  dialog: Dialog | null
  referState: ReferState | null
}

async function transferWithSipp (scenario: string, opts: { substitutions?: Record<string, string>, pauseMs?: number, notifyTimeoutMs?: number }): Promise<{ run: Awaited<ReturnType<typeof runSipp>>, seen: Observed }> {
  const gw = await tcpAgent('agent')
  const seen: Observed = { outcomes: [], progress: [], destroyed: [], dialog: null, referState: null }
  gw.agent.on('invite', (req: SipRequest, res: ServerResponse) => {
    // 'destroy' is listened to from the dialog's creation: a BYE in the same TCP read as the ACK would
    // end it before a .then() on the answer runs (the late-listener race of issue 17 item 11).
    gw.agent.createUAS(req, res, {
      localSdp: SDP,
      onDialog: (d) => d.on('destroy', (i: { reason: string }) => seen.destroyed.push(i.reason))
    }).then((d) => {
      seen.dialog = d
      const transfer = new ReferTransfer({
        dialog: d,
        referTo: REFER_TO,
        referredBy: 'sip:+15550100@127.0.0.1',
        clock: systemClock,
        notifyTimeoutMs: opts.notifyTimeoutMs ?? 30000,
        onProgress: (p) => seen.progress.push(p)
      })
      transfer.start().then((o) => { seen.outcomes.push(o); seen.referState = transfer.state }, () => undefined)
    }, () => undefined)
  })
  try {
    const run = await runSipp({
      scenario,
      target: { host: '127.0.0.1', port: gw.port },
      service: '+15550100',
      pauseMs: opts.pauseMs ?? 300,
      timeoutSec: 15,
      substitutions: { REFER_TO_RE: REFER_TO.replace(/[+.]/g, '\\$&'), ...opts.substitutions }
    })
    await until(() => seen.outcomes.length > 0, 3000).catch(() => undefined)
    return { run, seen }
  } finally {
    await gw.close()
  }
}

t.test('REFER accepted, sipfrag 100 then 200: progress reported, succeeded, our leg ends with BYE', async t => {
  const { run, seen } = await transferWithSipp('transfer/refer-accept-200.xml', {})
  t.equal(run.exitCode, 0, describeRun(run))
  t.same(seen.progress, [{ sipStatus: 100, reason: 'Trying' }], 'the 100 Trying sipfrag is progress')
  t.same(seen.outcomes, [{ kind: 'succeeded', sipStatus: 200, detail: '200 OK' }])
  t.equal(seen.referState, ReferState.Succeeded)
  t.equal(seen.dialog?.state, DialogState.Terminated, 'we sent BYE (SIPp required it and answered 200)')
  t.same(seen.destroyed, [], 'the trunk did not hang up on us')
})

t.test('REFER rejected with 405 (trunk does not allow transfers): failure, the call goes on', async t => {
  const { run, seen } = await transferWithSipp('transfer/refer-reject.xml', { substitutions: { STATUS: '405', REASON: 'Method Not Allowed' } })
  t.equal(run.exitCode, 0, describeRun(run))
  t.same(seen.outcomes, [{ kind: 'failed', failure: 'rejected', sipStatus: 405, detail: 'REFER answered 405 Method Not Allowed' }])
  t.same(seen.destroyed, ['BYE'], 'the dialog was still up when the trunk hung up later (200, not 481)')
})

t.test('REFER rejected with 501 Not Implemented: failure with that status', async t => {
  const { run, seen } = await transferWithSipp('transfer/refer-reject.xml', { substitutions: { STATUS: '501', REASON: 'Not Implemented' } })
  t.equal(run.exitCode, 0, describeRun(run))
  t.match(seen.outcomes, [{ kind: 'failed', failure: 'rejected', sipStatus: 501 }])
})

t.test('sipfrag 503: failure naming the status, the call goes on', async t => {
  const { run, seen } = await transferWithSipp('transfer/refer-accept-fail.xml', { substitutions: { FINAL: '503 Service Unavailable' } })
  t.equal(run.exitCode, 0, describeRun(run))
  t.same(seen.progress, [{ sipStatus: 100, reason: 'Trying' }])
  t.same(seen.outcomes, [{ kind: 'failed', failure: 'sipfrag', sipStatus: 503, detail: 'the destination answered 503 Service Unavailable' }])
  t.same(seen.destroyed, ['BYE'], 'the trunk\'s later BYE found the dialog alive')
})

t.test('sipfrag 486 Busy Here: failure with 486', async t => {
  const { run, seen } = await transferWithSipp('transfer/refer-accept-fail.xml', { substitutions: { FINAL: '486 Busy Here' } })
  t.equal(run.exitCode, 0, describeRun(run))
  t.match(seen.outcomes, [{ kind: 'failed', failure: 'sipfrag', sipStatus: 486 }])
})

t.test('202 and no NOTIFY: failure after the configured timeout, the call goes on', async t => {
  const started = Date.now()
  const { run, seen } = await transferWithSipp('transfer/refer-no-notify.xml', { notifyTimeoutMs: 400, pauseMs: 1500 })
  t.equal(run.exitCode, 0, describeRun(run))
  t.same(seen.outcomes, [{ kind: 'failed', failure: 'notify_timeout', sipStatus: 0, detail: 'no final NOTIFY within 400 ms' }])
  t.ok(Date.now() - started >= 400, 'not before the timeout')
  t.same(seen.destroyed, ['BYE'], 'the dialog survived the failed transfer')
})
