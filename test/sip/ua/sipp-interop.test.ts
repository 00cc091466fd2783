import t from 'tap'
import { spawn } from 'node:child_process'
import net from 'node:net'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { SipRequest } from '../../../src/sip/message/types'
import type { Dialog } from '../../../src/sip/dialog/dialog'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import { tcpAgent, until } from '../../fixtures/sip/tcp-agents'

const SDP = 'v=0\r\no=tg 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=sendrecv\r\n'

/** Run SIPp to completion (bounded by -timeout and a kill guard); resolves with its exit code and error log. */
function runSipp (args: string[]): Promise<{ code: number | null, errors: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tg-sipp-'))
  return new Promise((resolve) => {
    const child = spawn('sipp', [...args, '-trace_err', '-timeout', '15s', '-timeout_error'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('exit', (code) => {
      clearTimeout(guard)
      let errors = stderr
      for (const f of readdirSync(dir)) if (f.endsWith('_errors.log')) errors += readFileSync(path.join(dir, f), 'utf8')
      rmSync(dir, { recursive: true, force: true })
      resolve({ code, errors })
    })
  })
}

async function freePort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

t.test('SIPp UAC (built-in uac scenario over TCP) → our UAS: INVITE/200/ACK/BYE completes', async (t) => {
  const bob = await tcpAgent('bob')
  t.teardown(bob.close)
  const dialogs: Dialog[] = []
  const destroyed: string[] = []
  bob.agent.on('invite', (req: SipRequest, res: ServerResponse) => {
    // The destroy listener goes on when the dialog is created (onDialog), not after the answer resolves:
    // SIPp's BYE can arrive in the same TCP read as its ACK and end the dialog before a .then() runs.
    bob.agent.createUAS(req, res, {
      localSdp: SDP,
      onDialog: (d) => d.on('destroy', (i: { reason: string }) => destroyed.push(i.reason))
    }).then((d) => { dialogs.push(d) }, () => undefined)
  })
  const port = await freePort()
  const r = await runSipp(['-sn', 'uac', '-t', 't1', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-l', '1', `127.0.0.1:${bob.port}`])
  t.equal(r.code, 0, `SIPp reports success${r.errors ? `: ${r.errors.slice(0, 400)}` : ''}`)
  t.equal(dialogs.length, 1, 'the dialog was confirmed by SIPp\'s ACK')
  t.same(destroyed, ['BYE'])
})

t.test('our UAC → SIPp UAS (built-in uas scenario over TCP): 180, 200, our ACK and BYE', async (t) => {
  const alice = await tcpAgent('alice')
  t.teardown(alice.close)
  const port = await freePort()
  const sipp = runSipp(['-sn', 'uas', '-t', 't1', '-i', '127.0.0.1', '-p', String(port), '-m', '1'])
  // SIPp needs a moment to bind; retry the call while the port refuses (bounded).
  let dialog: Dialog | null = null
  const provisionals: number[] = []
  for (let i = 0; i < 50 && !dialog; i++) {
    try {
      dialog = await alice.agent.createUAC(`sip:service@127.0.0.1:${port};transport=tcp`, {
        localSdp: SDP, onProvisional: (res) => provisionals.push(res.status)
      })
    } catch (err) {
      if ((err as { status?: number }).status !== 503) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  t.ok(dialog, 'call answered by SIPp')
  t.ok(provisionals.includes(180))
  const bye = await dialog!.destroy()
  t.equal(bye?.status, 200)
  const r = await sipp
  t.equal(r.code, 0, `SIPp reports success${r.errors ? `: ${r.errors.slice(0, 400)}` : ''}`)
})

const SCENARIOS = path.resolve(__dirname, 'sipp')

t.test('SIPp CANCEL scenario: 200 to the CANCEL, 487 to the INVITE, SIPp ACKs it; the listener sees the cancel', async (t) => {
  const bob = await tcpAgent('bob')
  t.teardown(bob.close)
  let canceled = 0
  bob.agent.on('invite', (_req: SipRequest, res: ServerResponse) => {
    res.send(180, 'Ringing')
    res.on('cancel', () => { canceled++ })
  })
  const port = await freePort()
  const r = await runSipp(['-sf', path.join(SCENARIOS, 'uac-cancel.xml'), '-t', 't1', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-l', '1', `127.0.0.1:${bob.port}`])
  t.equal(r.code, 0, `SIPp reports success${r.errors ? `: ${r.errors.slice(0, 400)}` : ''}`)
  t.equal(canceled, 1)
  // SIPp may exit a moment before its ACK is read here: wait (bounded) for the transaction to end.
  await until(() => bob.agent.transactions.serverCount === 0, 2000)
  t.equal(bob.agent.transactions.serverCount, 0, 'the ACK for the 487 ended the INVITE transaction (Timer I = 0)')
})

t.test('SIPp retransmitting its INVITE over TCP gets the 100 again and the listener runs once', async (t) => {
  const bob = await tcpAgent('bob')
  t.teardown(bob.close)
  let invites = 0
  bob.agent.on('invite', (_req: SipRequest, res: ServerResponse) => {
    invites++
    setTimeout(() => res.send(486, 'Busy Here'), 300)
  })
  const port = await freePort()
  const r = await runSipp(['-sf', path.join(SCENARIOS, 'uac-retransmit.xml'), '-t', 't1', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-l', '1', `127.0.0.1:${bob.port}`])
  t.equal(r.code, 0, `SIPp reports success${r.errors ? `: ${r.errors.slice(0, 400)}` : ''}`)
  t.equal(invites, 1)
})
