// A trunk/PBX (SIPp) REFERs the agent's call: per policy we decline (403/405, 501 for Replaces) or
// accept, NOTIFY 100 then the outcome, and INVITE the Refer-To target (a second SIPp, built-in uas).
import t from 'tap'
import { spawn } from 'node:child_process'
import net from 'node:net'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { SipRequest } from '../../src/sip/message/types'
import type { Dialog } from '../../src/sip/dialog/dialog'
import type { ServerResponse } from '../../src/sip/transaction/server-response'
import { systemClock } from '../../src/sip/transaction/clock'
import type { IncomingReferPolicy } from '../../src/config/transfer-schema'
import { IncomingReferHandler, type IncomingReferResult } from '../../src/transfer/incoming-refer'
import { tcpAgent, until } from '../fixtures/sip/tcp-agents'
import { runSipp, describeRun, freePort, SIPP, SCENARIOS } from '../integration/sipp-runner'

const SDP = 'v=0\r\no=tg 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=sendrecv\r\n'

/** The human's phone (SIPp: human-answer.xml or human-busy.xml) as the transfer target, -m 1, bounded. */
async function humanUas (behaviour: 'answer' | 'busy'): Promise<{ port: number, done: Promise<{ code: number | null, errors: string }> }> {
  const port = await freePort()
  const args = ['-t', 't1', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-timeout', '15s', '-timeout_error', '-nostdin']
  const scenario = ['-sf', path.join(SCENARIOS, 'transfer', behaviour === 'answer' ? 'human-answer.xml' : 'human-busy.xml')]
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-human-'))
  const child = spawn(SIPP, [...scenario, ...args, '-trace_err'], { stdio: 'ignore', cwd: dir })
  const guard = setTimeout(() => child.kill('SIGKILL'), 30000)
  const done = new Promise<{ code: number | null, errors: string }>(resolve => child.once('close', (code) => {
    clearTimeout(guard)
    const errors = fs.readdirSync(dir).filter(f => f.endsWith('_errors.log')).map(f => fs.readFileSync(path.join(dir, f), 'latin1')).join('')
    fs.rmSync(dir, { recursive: true, force: true })
    resolve({ code, errors })
  }))
  // Ready once its TCP socket accepts (no fixed sleep).
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) break
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return { port, done }
}

async function referredCall (policy: IncomingReferPolicy, scenario: string, subs: Record<string, string>): Promise<{ run: Awaited<ReturnType<typeof runSipp>>, results: IncomingReferResult[], dialed: string[], humanDialogs: Dialog[], caller: Dialog | null }> {
  const gw = await tcpAgent('agent')
  const results: IncomingReferResult[] = []
  const dialed: string[] = []
  const humanDialogs: Dialog[] = []
  let caller: Dialog | null = null
  gw.agent.on('invite', (req: SipRequest, res: ServerResponse) => {
    // onDialog: the REFER follows the ACK at once (no pause in the scenario), possibly in the same TCP read.
    gw.agent.createUAS(req, res, { localSdp: SDP, onDialog: (d) => {
      caller = d
      const handler = new IncomingReferHandler({
        dialog: d,
        policy,
        clock: systemClock,
        byeGraceMs: 2000,
        // The test's stand-in for the call: INVITE the target; on 2xx the new leg is the conversation's.
        dial: async ({ uri }) => {
          dialed.push(uri)
          try {
            const human = await gw.agent.createUAC(uri, { localSdp: SDP, callingNumber: '+15557770000' })
            humanDialogs.push(human)
            return { status: 200, reason: 'OK' }
          } catch (err) {
            const status = (err as { status?: number }).status ?? 503
            return { status, reason: (err as { reason?: string }).reason ?? 'Failed' }
          }
        }
      })
      handler.onResult = (r) => results.push(r)
      d.on('refer', (rq: SipRequest, rs: ServerResponse) => handler.handle(rq, rs))
      d.on('destroy', () => handler.close())
    } }).catch(() => undefined)
  })
  try {
    const run = await runSipp({ scenario, target: { host: '127.0.0.1', port: gw.port }, service: '+15550100', timeoutSec: 15, substitutions: subs })
    await until(() => results.length > 0, 3000).catch(() => undefined)
    for (const h of humanDialogs) await h.destroy().catch(() => null)
    return { run, results, dialed, humanDialogs, caller }
  } finally {
    await gw.close()
  }
}

t.test('incoming_refer accept: 202, NOTIFY 100 then 200, INVITE to the Refer-To target, transferor hangs up', async t => {
  const human = await humanUas('answer')
  const target = `sip:human@127.0.0.1:${human.port};transport=tcp`
  const r = await referredCall('accept', 'transfer/incoming-refer-accepted.xml', { REFER_TO: target })
  t.equal(r.run.exitCode, 0, describeRun(r.run))
  t.same(r.dialed, [target], 'the Refer-To URI was dialled')
  t.equal(r.humanDialogs.length, 1, 'the target answered')
  t.same(r.results, [{ kind: 'transferred', target, status: 200 }])
  const h = await human.done
  t.equal(h.code, 0, `the human SIPp saw INVITE, ACK and our BYE ${h.errors.slice(0, 1500)}`)
})

t.test('incoming_refer accept with a target that is busy: NOTIFY carries 486, the call goes on', async t => {
  const human = await humanUas('busy')
  const target = `sip:human@127.0.0.1:${human.port};transport=tcp`
  const r = await referredCall('accept', 'transfer/incoming-refer-accepted.xml', { REFER_TO: target })
  t.not(r.run.exitCode, 0, 'the PBX scenario insists on a 200 sipfrag, so it fails on 486')
  t.match(r.run.errors, /SIP\/2\.0 486/, 'the final NOTIFY carried the busy status')
  t.same(r.results, [{ kind: 'failed', target, status: 486, reason: 'Busy Here' }])
  await human.done
})

t.test('incoming_refer reject_403: 403 with a Warning, the call goes on', async t => {
  const r = await referredCall('reject_403', 'transfer/incoming-refer-declined.xml', { REFER_TO: 'sip:human@127.0.0.1', EXPECT: '403' })
  t.equal(r.run.exitCode, 0, describeRun(r.run))
  t.same(r.results, [{ kind: 'declined', status: 403 }])
  t.same(r.dialed, [])
})

t.test('incoming_refer reject_405: 405 Method Not Allowed, the call goes on', async t => {
  const r = await referredCall('reject_405', 'transfer/incoming-refer-declined.xml', { REFER_TO: 'sip:human@127.0.0.1', EXPECT: '405' })
  t.equal(r.run.exitCode, 0, describeRun(r.run))
  t.same(r.results, [{ kind: 'declined', status: 405 }])
})

t.test('Refer-To with Replaces (attended transfer, RFC 3891): 501 Not Implemented even under accept', async t => {
  const r = await referredCall('accept', 'transfer/incoming-refer-declined.xml', {
    REFER_TO: 'sip:human@127.0.0.1?Replaces=12345%40pbx.example%3Bto-tag%3Da%3Bfrom-tag%3Db', EXPECT: '501'
  })
  t.equal(r.run.exitCode, 0, describeRun(r.run))
  t.same(r.results, [{ kind: 'declined', status: 501 }])
  t.same(r.dialed, [])
})

t.test('Refer-To with a tel: URI: 416, nothing dialled', async t => {
  const r = await referredCall('accept', 'transfer/incoming-refer-declined.xml', { REFER_TO: 'tel:+15551234567', EXPECT: '416' })
  t.equal(r.run.exitCode, 0, describeRun(r.run))
  t.same(r.results, [{ kind: 'declined', status: 416 }])
})
