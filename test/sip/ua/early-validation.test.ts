// Issue 17 item 3: an INVITE whose Allow or Record-Route cannot be read (an unterminated quoted
// string) used to ring — 100, 180 — and then fail with 500 while the dialog was built. The headers a
// call needs are checked when the request is parsed, so the caller gets 400 and nothing rings.
import t from 'tap'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import type { IncomingRequest } from '../../../src/sip/ua/incoming-request'
import { tcpAgent } from '../../fixtures/sip/tcp-agents'
import { RawClient, options, statusCodes } from '../transport/helpers'

const SDP = 'v=0\r\no=bob 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n'

const CASES: Array<[string, string]> = [
  ['Allow with an unterminated quoted string', 'Allow: INVITE, "ACK, BYE\r\n'],
  ['Record-Route with an unterminated quoted string', 'Record-Route: <sip:p1.example.net;lr>;x="open\r\n'],
  ['Record-Route list with an unterminated display name', 'Record-Route: <sip:p1.example.net;lr>, "Proxy <sip:p2.example.net;lr>\r\n'],
  ['Require with an unterminated <', 'Require: timer, <x\r\n']
]

for (const [name, header] of CASES) {
  t.test(`INVITE with ${name}: 400 before any provisional response`, async t => {
    const bob = await tcpAgent('bob')
    t.teardown(() => bob.close())
    let invites = 0
    bob.agent.on('invite', (req: IncomingRequest, res: ServerResponse) => {
      invites++
      res.send(180, 'Ringing')
      bob.agent.createUAS(req, res, { localSdp: SDP }).catch(() => undefined)
    })
    const c = await RawClient.connect(bob.port)
    t.teardown(() => c.destroy())
    c.write(options({ method: 'INVITE', callId: `early-${invites}-${name.length}`, extra: 'Contact: <sip:alice@127.0.0.1:5999;transport=tcp>\r\n' + header }))
    await c.until(() => statusCodes(c.text).some(s => s >= 200) || c.closed, 3000, 'a final response')
    t.same(statusCodes(c.text), [400], 'no 100, no 180, no 500')
    t.match(c.text, /^SIP\/2\.0 400 /)
    t.equal(invites, 0, 'the call never started')
  })
}

t.test('the same headers well-formed: the INVITE rings and is answered', async t => {
  const bob = await tcpAgent('bob')
  t.teardown(() => bob.close())
  bob.agent.on('invite', (req: IncomingRequest, res: ServerResponse) => {
    res.send(180, 'Ringing')
    bob.agent.createUAS(req, res, { localSdp: SDP }).catch(() => undefined)
  })
  const c = await RawClient.connect(bob.port)
  t.teardown(() => c.destroy())
  c.write(options({
    method: 'INVITE',
    callId: 'early-ok',
    extra: 'Contact: <sip:alice@127.0.0.1:5999;transport=tcp>\r\nAllow: INVITE, "ACK", BYE\r\n' +
      'Record-Route: <sip:p1.example.net;lr>;x="closed", "Proxy, Inc." <sip:p2.example.net;lr>\r\nRequire: timer\r\n'
  }))
  await c.until(() => statusCodes(c.text).some(s => s >= 200), 3000, 'a final response')
  t.same(statusCodes(c.text), [100, 180, 200])
})
