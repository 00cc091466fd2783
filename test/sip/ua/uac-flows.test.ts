import t from 'tap'
import type { SipRequest } from '../../../src/sip/message/types'
import { getCSeq, getHeader } from '../../../src/sip/message/headers'
import type { Dialog } from '../../../src/sip/dialog/dialog'
import { DialogState } from '../../../src/sip/dialog/dialog-state'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import { UacError } from '../../../src/sip/ua/uac-error'
import { agentPair, settle, SDP_A, SDP_B } from '../../fixtures/sip/agent-pair'

const BOB_URI = 'sip:bob@127.0.0.1:5062;transport=tcp'
const TARGET = { transport: 'tcp' as const, host: '127.0.0.1', port: 5062 }

t.test('§12.1.2 a 180 with a To tag creates an early dialog; the 2xx confirms the same Dialog', async (t) => {
  const p = agentPair()
  let answer: (() => void) | null = null
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => {
    res.send(180, 'Ringing')
    answer = () => { void p.bob.createUAS(req, res, { localSdp: SDP_B }) }
  })
  const call = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET })
  await settle()
  t.equal(p.alice.dialogs.size, 1)
  const early = p.alice.dialogs.all()[0]
  t.equal(early.state, DialogState.Early)
  t.match(getHeader(p.bobWire.responses(180)[0], 'Contact'), /sip:bob@/, '§12.1.1: the 180 carries a Contact')
  answer!()
  await settle()
  const dialog = await call
  t.equal(dialog, early, 'same object, now confirmed')
  t.equal(dialog.state, DialogState.Confirmed)
  t.equal(dialog.remoteSdp, SDP_B)
})

t.test('early dialogs end when the INVITE fails', async (t) => {
  const p = agentPair()
  p.bob.on('invite', (_req: SipRequest, res: ServerResponse) => {
    res.send(183, 'Session Progress', { body: SDP_B })
    setImmediate(() => res.send(486, 'Busy Here'))
  })
  const err = await Promise.all([p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET }).catch((e: unknown) => e), settle()])
  t.ok(err[0] instanceof UacError)
  t.equal((err[0] as UacError).status, 486)
  t.equal(p.alice.dialogs.size, 0, 'no dialog left behind')
  t.equal(p.aliceWire.requests('ACK').length, 1, 'the transaction ACKed the 486')
})

t.test('§13.2.2.4 a second 2xx from another fork is ACKed and BYEd; the first dialog stays', async (t) => {
  const p = agentPair()
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => { void p.bob.createUAS(req, res, { localSdp: SDP_B }) })
  // A forking proxy would deliver a 2xx from another UAS: duplicate bob's 200 with another To tag.
  const origSend = p.bobWire.send.bind(p.bobWire)
  p.bobWire.send = async (msg, target) => {
    await origSend(msg, target)
    if (msg.kind === 'response' && msg.status === 200 && getCSeq(msg).method === 'INVITE' && !msg.headers.some((h) => h.name === 'X-Fork')) {
      const fork = { ...msg, headers: msg.headers.map((h) => h.name === 'To' ? { name: 'To', value: h.value.replace(/tag=[^;]+/, 'tag=fork2') } : h) }
      fork.headers.push({ name: 'X-Fork', value: '1' })
      await origSend(fork, target)
    }
  }
  const [dialog] = await Promise.all([p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET }), settle()])
  await settle()
  const byes = p.aliceWire.requests('BYE')
  t.equal(byes.length, 1)
  t.match(getHeader(byes[0], 'To'), /tag=fork2/, 'BYE for the extra fork')
  t.equal(p.aliceWire.requests('ACK').length, 2, 'both 2xx ACKed')
  t.equal(dialog.state, DialogState.Confirmed)
  t.not(dialog.remoteTag, 'fork2')
})

t.test('createUAS settles when the peer BYEs before sending its ACK', async (t) => {
  const p = agentPair()
  p.aliceWire.drop = (m) => m.kind === 'request' && m.method === 'ACK'
  let uasP: Promise<Dialog> | null = null
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => { uasP = p.bob.createUAS(req, res, { localSdp: SDP_B }) })
  const [uac] = await Promise.all([p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET }), settle()])
  const settled = (uasP as unknown as Promise<Dialog>).then(() => 'resolved', (e: UacError) => e.code)
  await Promise.all([uac.destroy(), settle()])
  t.equal(await settled, 'SIP_ERR_UAS_ENDED_BEFORE_ACK')
  t.equal(p.bob.dialogs.size, 0)
})

t.test('a CANCEL that crosses the 2xx: the UAC ACKs and BYEs the call and reports 487', async (t) => {
  const p = agentPair()
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => {
    res.send(180)
    // Bob answers at once; alice's CANCEL arrives after the 200 (too late, §9.2 → 200 to CANCEL only).
    void p.bob.createUAS(req, res, { localSdp: SDP_B }).catch(() => undefined)
  })
  const call = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET, onProvisional: () => call.cancel() })
  const [err] = await Promise.all([call.catch((e: unknown) => e), settle(40)])
  t.equal((err as UacError).status, 487)
  await settle()
  t.equal(p.aliceWire.requests('BYE').length, 1, 'the answered call was ended')
  t.equal(p.aliceWire.requests('CANCEL').length, 1)
  t.equal(p.bobWire.responses(487).length, 0, 'no 487 after a 200')
})

t.test('ringTimeoutMs: a call ringing too long is CANCELed (fake clock) and reported as 487', async (t) => {
  const p = agentPair()
  let uasCancel = false
  p.bob.on('invite', (_req: SipRequest, res: ServerResponse) => {
    res.send(180)
    res.on('cancel', () => { uasCancel = true })
  })
  const call = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET, ringTimeoutMs: 30_000 })
  const outcome = call.then(() => 0, (e: UacError) => e.status)
  await settle()
  p.clock.tick(29_999)
  await settle()
  t.equal(p.aliceWire.requests('CANCEL').length, 0)
  p.clock.tick(1)
  await settle()
  t.equal(await outcome, 487)
  t.ok(uasCancel)
})

t.test('an INVITE canceled while the preRequest hook runs never reaches the listener', async (t) => {
  const p = agentPair()
  let release: (() => void) | null = null
  p.bob.preRequest = async () => { await new Promise<void>((resolve) => { release = resolve }) }
  // Without the ACK for the 487 the INVITE transaction stays in Completed: only the sent 487 marks it finished.
  p.aliceWire.drop = (m) => m.kind === 'request' && m.method === 'ACK'
  let listener = 0
  p.bob.on('invite', () => { listener++ })
  const call = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET })
  const outcome = call.then(() => 0, (e: UacError) => e.status)
  await settle()
  call.cancel() // the 100 Trying arrived, so the CANCEL goes out at once
  await settle()
  t.equal(await outcome, 487)
  release!()
  await settle()
  t.equal(listener, 0)
})

t.test('§12.1.1 UAS early dialog: a 183 creates it, an UPDATE inside it is answered, the 2xx confirms the same Dialog', async (t) => {
  const p = agentPair()
  let accept: (() => Promise<Dialog>) | null = null
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => {
    res.send(183, 'Session Progress', { body: SDP_B })
    accept = () => p.bob.createUAS(req, res, { localSdp: SDP_B })
  })
  const call = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET })
  await settle()
  t.equal(p.bob.dialogs.size, 1)
  const bobEarly = p.bob.dialogs.all()[0]
  t.equal(bobEarly.state, DialogState.Early)
  const aliceEarly = p.alice.dialogs.all()[0]
  t.equal(aliceEarly.state, DialogState.Early)
  const [upd] = await Promise.all([aliceEarly.request('UPDATE', { body: SDP_A.replace('a=sendrecv', 'a=sendonly') }), settle()])
  t.equal(upd.status, 200, 'UPDATE in the early dialog found it (no 481)')
  t.match(upd.body.toString(), /a=recvonly/)
  const [uas] = await Promise.all([accept!(), call, settle()])
  t.equal(uas, bobEarly, 'the early dialog was confirmed, not replaced')
  t.equal(uas.state, DialogState.Confirmed)
  t.equal(p.bob.dialogs.size, 1)
})

t.test('a UAS early dialog ends with a non-2xx final response and with a CANCEL', async (t) => {
  const p = agentPair()
  let n = 0
  p.bob.on('invite', (_req: SipRequest, res: ServerResponse) => {
    res.send(180)
    if (n++ === 0) setImmediate(() => res.send(603, 'Decline'))
  })
  await Promise.all([p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET }).catch(() => undefined), settle()])
  t.equal(p.bob.dialogs.size, 0, 'ended by the 603')
  const call = p.alice.createUAC(BOB_URI, { localSdp: SDP_A, target: TARGET, onProvisional: (r) => { if (r.status === 180) call.cancel() } })
  await Promise.all([call.catch(() => undefined), settle(40)])
  t.equal(p.bobWire.responses(487).length, 1)
  t.equal(p.bob.dialogs.size, 0, 'ended by the CANCEL')
  t.equal(p.alice.dialogs.size, 0)
})
