import t from 'tap'
import type { SipRequest } from '../../../src/sip/message/types'
import { getHeader, getHeaders } from '../../../src/sip/message/headers'
import type { Dialog } from '../../../src/sip/dialog/dialog'
import { DialogState } from '../../../src/sip/dialog/dialog-state'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import type { IncomingRequest } from '../../../src/sip/ua/incoming-request'
import { UacError } from '../../../src/sip/ua/uac-error'
import { DigestAuthenticator } from '../../../src/sip/auth/digest-server'
import { SipError } from '../../../src/sip/sip-error'
import { tcpAgent, until } from '../../fixtures/sip/tcp-agents'

const SDP_A = 'v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n'
const SDP_B = 'v=0\r\no=bob 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n'

t.test('INVITE → 100/180 → 200 → ACK → BYE between two agents over real TCP', async (t) => {
  const alice = await tcpAgent('alice')
  const bob = await tcpAgent('bob')
  t.teardown(async () => { await alice.close(); await bob.close() })
  let uasDialog: Promise<Dialog> | null = null
  let seenSource = ''
  bob.agent.on('invite', (req: IncomingRequest, res: ServerResponse) => {
    seenSource = `${req.source.transport}:${req.source.remoteAddress}`
    res.send(180, 'Ringing')
    uasDialog = bob.agent.createUAS(req, res, { localSdp: SDP_B })
  })
  const provisionals: number[] = []
  const uac = await alice.agent.createUAC(bob.uri, {
    localSdp: SDP_A, callingNumber: '+15551234567', onProvisional: (r) => provisionals.push(r.status)
  })
  await until(() => uasDialog !== null)
  const uas = await (uasDialog as unknown as Promise<Dialog>)
  t.same(provisionals, [100, 180])
  t.equal(seenSource, 'tcp:127.0.0.1')
  t.equal(uac.remoteSdp, SDP_B)
  t.equal(uas.remoteSdp, SDP_A)
  t.equal(uac.id.split(';')[0], uas.callId)
  t.match(uas.remoteHeader, /^<sip:\+15551234567@127\.0\.0\.1:\d+>;tag=/)
  const destroyed = new Promise<string>((resolve) => uas.on('destroy', (i: { reason: string }) => resolve(i.reason)))
  const bye = await uac.destroy()
  t.equal(bye?.status, 200)
  t.equal(await destroyed, 'BYE')
  t.equal(uac.state, DialogState.Terminated)
  t.equal(uas.state, DialogState.Terminated)
})

t.test('in-dialog re-INVITE (hold) from the UAS side reaches the UAC over TCP', async (t) => {
  const alice = await tcpAgent('alice')
  const bob = await tcpAgent('bob')
  t.teardown(async () => { await alice.close(); await bob.close() })
  let uasP: Promise<Dialog> | null = null
  bob.agent.on('invite', (req: SipRequest, res: ServerResponse) => { uasP = bob.agent.createUAS(req, res, { localSdp: SDP_B }) })
  const uac = await alice.agent.createUAC(bob.uri, { localSdp: SDP_A })
  await until(() => uasP !== null)
  const uas = await (uasP as unknown as Promise<Dialog>)
  const held = new Promise<void>((resolve) => uac.on('hold', () => resolve()))
  const answer = await uas.modify(SDP_B.replace('a=sendrecv', 'a=sendonly'))
  await held
  t.match(answer, /a=recvonly/)
  await uas.destroy()
})

t.test('digest: a 401 from a real DigestAuthenticator is answered once and the call connects', async (t) => {
  const alice = await tcpAgent('alice')
  const bob = await tcpAgent('bob')
  t.teardown(async () => { await alice.close(); await bob.close() })
  const auth = new DigestAuthenticator()
  const creds = { username: 'trunk1', password: 's3cret', realm: 'trunkgate.test', algorithms: ['SHA-256', 'MD5'] as const }
  let invites = 0
  let uasP: Promise<Dialog> | null = null
  bob.agent.on('invite', (req: IncomingRequest, res: ServerResponse) => {
    invites++
    try {
      auth.authenticate(req, { ...creds, algorithms: [...creds.algorithms] }, req.source.remoteAddress)
    } catch (err) {
      const e = err as SipError
      res.send(e.status, e.reason, { headers: e.headers })
      return
    }
    uasP = bob.agent.createUAS(req, res, { localSdp: SDP_B })
  })
  const uac = await alice.agent.createUAC(bob.uri, { localSdp: SDP_A, auth: { username: 'trunk1', password: 's3cret' } })
  t.equal(invites, 2, 'one challenge, one authorized INVITE')
  await until(() => uasP !== null)
  await uasP
  await uac.destroy()
})

t.test('digest: the same nonce challenged again (wrong password) fails instead of looping; stale=true is retried', async (t) => {
  const alice = await tcpAgent('alice')
  const bob = await tcpAgent('bob')
  t.teardown(async () => { await alice.close(); await bob.close() })
  const authz: string[] = []
  let stale = false
  bob.agent.on('invite', (req: SipRequest, res: ServerResponse) => {
    const a = getHeader(req, 'Authorization')
    if (a) authz.push(a)
    const extra = stale && authz.length === 1 ? ', stale=true' : ''
    res.send(401, 'Unauthorized', { headers: { 'WWW-Authenticate': `Digest realm="r", nonce="n1", qop="auth", algorithm=MD5${extra}` } })
  })
  const err = await alice.agent.createUAC(bob.uri, { localSdp: SDP_A, auth: { username: 'u', password: 'wrong' } }).catch((e: unknown) => e)
  t.ok(err instanceof UacError)
  t.equal((err as UacError).status, 401)
  t.equal(authz.length, 1, 'exactly one authorized retry for nonce n1')
  t.match(authz[0], /username="u"/)

  authz.length = 0
  stale = true
  const err2 = await alice.agent.createUAC(bob.uri, { localSdp: SDP_A, auth: { username: 'u', password: 'wrong' } }).catch((e: unknown) => e)
  t.equal((err2 as UacError).status, 401)
  t.equal(authz.length, 2, 'stale=true earned one more try with the same nonce, then it stopped')
})

t.test('CANCEL: uac.cancel() after the 180 → 200 to CANCEL, 487 to INVITE, UAC rejects with 487, UAS sees cancel', async (t) => {
  const alice = await tcpAgent('alice')
  const bob = await tcpAgent('bob')
  t.teardown(async () => { await alice.close(); await bob.close() })
  let canceledSeen = false
  let reqCanceled = false
  bob.agent.on('invite', (req: IncomingRequest, res: ServerResponse) => {
    res.on('cancel', () => { canceledSeen = true; reqCanceled = req.canceled })
    res.send(180, 'Ringing')
  })
  const call = alice.agent.createUAC(bob.uri, {
    localSdp: SDP_A,
    onProvisional: (r) => { if (r.status === 180) call.cancel() }
  })
  const err = await call.catch((e: unknown) => e) as UacError
  t.ok(err instanceof UacError)
  t.equal(err.status, 487)
  t.equal(err.code, 'SIP_ERR_UAC_CANCELED')
  t.ok(canceledSeen)
  t.ok(reqCanceled)
  t.equal(bob.agent.dialogs.size, 0)
})

t.test('CANCEL through an AbortSignal before any provisional waits for the 100 (§9.1)', async (t) => {
  const alice = await tcpAgent('alice')
  const bob = await tcpAgent('bob')
  t.teardown(async () => { await alice.close(); await bob.close() })
  bob.agent.on('invite', () => { /* never answers: only the automatic 100 Trying */ })
  const ac = new AbortController()
  const call = alice.agent.createUAC(bob.uri, { localSdp: SDP_A, signal: ac.signal })
  ac.abort()
  const err = await call.catch((e: unknown) => e) as UacError
  t.equal(err.status, 487)
})

t.test('preRequest hook runs before the listener and can reject (ACL) — the listener never sees the INVITE', async (t) => {
  const alice = await tcpAgent('alice')
  const bob = await tcpAgent('bob')
  t.teardown(async () => { await alice.close(); await bob.close() })
  const hookSaw: string[] = []
  bob.agent.preRequest = async (req, res) => {
    hookSaw.push(req.method)
    await new Promise((resolve) => setTimeout(resolve, 20)) // an async lookup
    if (getHeader(req, 'X-Trunk') !== 'ok') res.send(403, 'Forbidden')
  }
  let listener = 0
  bob.agent.on('invite', (req: SipRequest, res: ServerResponse) => { listener++; res.send(486) })
  const err = await alice.agent.createUAC(bob.uri, { localSdp: SDP_A }).catch((e: unknown) => e) as UacError
  t.equal(err.status, 403)
  t.equal(listener, 0)
  const err2 = await alice.agent.createUAC(bob.uri, { localSdp: SDP_A, headers: { 'X-Trunk': 'ok' } }).catch((e: unknown) => e) as UacError
  t.equal(err2.status, 486, 'allowed INVITE reached the listener')
  t.equal(listener, 1)
  const opt = await alice.agent.request(bob.uri, { method: 'OPTIONS', headers: { 'X-Trunk': 'ok' } })
  t.equal(opt.status, 200)
  t.same(hookSaw, ['INVITE', 'INVITE', 'OPTIONS'], 'hook sees every new request, not ACK/CANCEL/retransmissions')
  t.ok(getHeaders(opt, 'Allow').includes('INVITE'))
})

t.test('a UAC call to a closed port fails with the §17.1.4 503 instead of hanging', async (t) => {
  const alice = await tcpAgent('alice')
  const dead = await tcpAgent('dead')
  const port = dead.port
  await dead.close()
  t.teardown(async () => { await alice.close() })
  const err = await alice.agent.createUAC(`sip:x@127.0.0.1:${port};transport=tcp`, { localSdp: SDP_A }).catch((e: unknown) => e) as UacError
  t.equal(err.status, 503)
})
