import t from 'tap'
import { createResponse } from '../../../src/sip/message/factory'
import { ChallengeAnswerer } from '../../../src/sip/dialog/challenge-answerer'
import { makeRequest } from '../../fixtures/sip/fake-sender'
import type { SipRequest } from '../../../src/sip/message/types'
import { getHeader } from '../../../src/sip/message/headers'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import type { Dialog } from '../../../src/sip/dialog/dialog'
import { agentPair, settle, SDP_A, SDP_B } from '../../fixtures/sip/agent-pair'

const req = makeRequest({ method: 'INVITE' })
function challenge (status: 401 | 407, params: string) {
  return createResponse(req, status, 'Auth', {
    toTag: 'x', headers: [{ name: status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate', value: `Digest realm="r", ${params}` }]
  })
}

t.test('each nonce answered once; stale=true earns a retry; attempts are bounded', async (t) => {
  const a = new ChallengeAnswerer({ username: 'u', password: 'p' }, 3)
  const h1 = a.answer(challenge(401, 'nonce="n1", qop="auth"'), 'INVITE', 'sip:b@x', Buffer.alloc(0))
  t.equal(h1?.name, 'Authorization')
  t.match(h1?.value, /nonce="n1"/)
  t.equal(a.answer(challenge(401, 'nonce="n1", qop="auth"'), 'INVITE', 'sip:b@x', Buffer.alloc(0)), null, 'same nonce again: refused credentials')
  const h2 = a.answer(challenge(407, 'nonce="n1", qop="auth", stale=true'), 'INVITE', 'sip:b@x', Buffer.alloc(0))
  t.equal(h2?.name, 'Proxy-Authorization', 'stale nonce retried, on the proxy header')
  t.ok(a.answer(challenge(401, 'nonce="n2"'), 'INVITE', 'sip:b@x', Buffer.alloc(0)), 'third answer (new nonce)')
  t.equal(a.answer(challenge(401, 'nonce="n3"'), 'INVITE', 'sip:b@x', Buffer.alloc(0)), null, 'bounded at 3 answers')
  t.equal(new ChallengeAnswerer({ username: 'u', password: 'p' }).answer(createResponse(req, 401, 'x', { toTag: 'y' }), 'INVITE', 'sip:b@x', Buffer.alloc(0)), null, 'no challenge header')
  t.equal(new ChallengeAnswerer({ username: 'u', password: 'p' }).answer(challenge(401, 'nonce="z", algorithm=FOO'), 'INVITE', 'sip:b@x', Buffer.alloc(0)), null, 'unsupported algorithm')
})

t.test('a challenged in-dialog BYE is re-sent with credentials and a higher CSeq (§22.2)', async (t) => {
  const p = agentPair()
  let uasP: Promise<Dialog> | null = null
  p.bob.on('invite', (r: SipRequest, res: ServerResponse) => { uasP = p.bob.createUAS(r, res, { localSdp: SDP_B }) })
  p.bob.preRequest = (r, res) => {
    if (r.method === 'BYE' && !getHeader(r, 'Proxy-Authorization')) {
      res.send(407, 'Proxy Authentication Required', { headers: { 'Proxy-Authenticate': 'Digest realm="carrier", nonce="bye1", qop="auth"' } })
    }
  }
  const [uac] = await Promise.all([p.alice.createUAC('sip:bob@127.0.0.1:5062;transport=tcp', {
    localSdp: SDP_A, auth: { username: 'trunk', password: 'pw' }, target: { transport: 'tcp', host: '127.0.0.1', port: 5062 }
  }), settle()])
  const uas = await (uasP as unknown as Promise<Dialog>)
  const [bye] = await Promise.all([uac.destroy(), settle()])
  t.equal(bye?.status, 200)
  const byes = p.aliceWire.requests('BYE')
  t.equal(byes.length, 2)
  t.equal(getHeader(byes[0], 'CSeq'), '2 BYE')
  t.equal(getHeader(byes[1], 'CSeq'), '3 BYE')
  t.match(getHeader(byes[1], 'Proxy-Authorization'), /username="trunk".*nonce="bye1"|nonce="bye1".*username="trunk"/)
  t.equal(uas.state, 'terminated')
})
