// Carriers behind a trusted proxy (issue 15): the node applies trunk ACLs and digest failure blocking to
// the carrier address the proxy states in X-Trunkgate-Source, and believes that header only from
// sip.trusted_proxies. Real server, requests over TCP from chosen loopback addresses.
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { parseConfigText } from '../../src/config'
import { startServer, type RunningServer } from '../../src/server'
import { StreamFramer } from '../../src/sip/transport/stream-framer'
import { parseMessage } from '../../src/sip/parser/parser'
import type { SipResponse } from '../../src/sip/message/types'
import { parseSourceHeader } from '../../src/sip/policy/trusted-proxy'

const SDP = ['v=0', 'o=c 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n')

/** One out-of-dialog request from `from` (a loopback address); resolves with its final response. */
async function request (port: number, from: string, method: 'INVITE' | 'OPTIONS', headers: string[]): Promise<SipResponse> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: from }, () => resolve(s))
    s.once('error', reject)
  })
  try {
    const framer = new StreamFramer({ maxMessageBytes: 65536 })
    const final = new Promise<SipResponse>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no final response within 5 s')), 5000)
      socket.on('data', chunk => {
        for (const ev of framer.push(chunk)) {
          if (ev.kind !== 'message') continue
          const msg = parseMessage(ev.buffer)
          if (msg.kind === 'response' && msg.status >= 200) { clearTimeout(timer); resolve(msg) }
        }
      })
    })
    const body = method === 'INVITE' ? SDP : ''
    const uri = `sip:+15550100@127.0.0.1:${port};transport=tcp`
    socket.write([
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/TCP ${from}:${socket.localPort};branch=z9hG4bK${randomBytes(6).toString('hex')}`,
      `From: <sip:carrier@${from}>;tag=${randomBytes(4).toString('hex')}`,
      `To: <${uri}>`,
      `Call-ID: ${randomBytes(8).toString('hex')}@${from}`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:carrier@${from}:${socket.localPort};transport=tcp>`,
      'Max-Forwards: 70',
      ...headers,
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body
    ].join('\r\n'))
    return await final
  } finally {
    socket.destroy()
  }
}

async function node (t: Test, trustedProxies: string[], trunkYaml = ''): Promise<RunningServer> {
  const server = await startServer(parseConfigText(`
sip:
  listen: {tcp: {host: 127.0.0.1, port: 0}}
  trusted_proxies: ${JSON.stringify(trustedProxies)}
trunks:
  - name: carrier
    inbound: {acl: [198.51.100.0/24]${trunkYaml}}
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
log: {level: silent}
`))
  t.teardown(() => server.close())
  return server
}

const via = (ip: string, proto = 'udp'): string => `X-Trunkgate-Source: proto=${proto};ip=${ip};port=5060`

t.test('a carrier outside the trunk ACL is refused although the proxy is trusted', async t => {
  const server = await node(t, ['127.0.0.2'])
  const port = server.ports.tcp as number
  const refused = await request(port, '127.0.0.2', 'INVITE', [via('203.0.113.9')])
  t.equal(refused.status, 403, 'carrier 203.0.113.9 is in no trunk ACL: 403 from the trusted proxy too')
  const accepted = await request(port, '127.0.0.2', 'INVITE', [via('198.51.100.7')])
  t.equal(accepted.status, 200, 'carrier 198.51.100.7 is in the trunk ACL: the call is answered')
  t.equal((await request(port, '127.0.0.2', 'INVITE', [])).status, 403, 'without the header the proxy is the source (not in the ACL)')
  const bad = await request(port, '127.0.0.2', 'INVITE', ['X-Trunkgate-Source: 198.51.100.7'])
  t.equal(bad.status, 400, 'an unreadable source header from the proxy is a 400, not a guess')
  t.match(bad.reason, /Bad Request/)
})

t.test('the header is ignored from an address that is not a trusted proxy', async t => {
  const server = await node(t, ['127.0.0.2'])
  const port = server.ports.tcp as number
  const res = await request(port, '127.0.0.3', 'INVITE', [via('198.51.100.7')])
  t.equal(res.status, 403, '127.0.0.3 claims an ACL address: not believed, its own address is refused')
})

t.test('digest failure blocking counts the carrier, not the proxy', async t => {
  const server = await node(t, ['127.0.0.2'], ', auth: {username: trunk, password: secret-password, algorithms: [MD5]}')
  const port = server.ports.tcp as number
  const wrong = 'Authorization: Digest username="trunk", realm="trunkgate", nonce="00", uri="sip:+15550100@127.0.0.1", response="00000000000000000000000000000000", algorithm=MD5'
  const first = await request(port, '127.0.0.2', 'INVITE', [via('198.51.100.7')])
  t.equal(first.status, 401, 'challenged')
  const statuses: number[] = []
  for (let i = 0; i < 6; i++) statuses.push((await request(port, '127.0.0.2', 'INVITE', [via('198.51.100.7'), wrong])).status)
  t.ok(statuses.every(s => s === 400 || s === 403) && statuses.at(-1) === 403, `unusable credentials refused, then the source blocked (${statuses.join(',')})`)
  t.equal((await request(port, '127.0.0.2', 'INVITE', [via('198.51.100.7')])).status, 403, 'carrier .7 is now blocked: no challenge any more')
  t.equal((await request(port, '127.0.0.2', 'INVITE', [via('198.51.100.8')])).status, 401, 'carrier .8 behind the same proxy is still challenged, not blocked')
})

t.test('X-Trunkgate-Source syntax', async t => {
  t.same(parseSourceHeader('proto=udp;ip=203.0.113.7;port=5060'), { transport: 'udp', remoteAddress: '203.0.113.7', remotePort: 5060 })
  t.same(parseSourceHeader('ip=[2001:db8::1]; proto=TLS'), { transport: 'tls', remoteAddress: '2001:db8::1', remotePort: null })
  t.equal(parseSourceHeader('proto=sctp;ip=203.0.113.7'), null, 'unknown transport')
  t.equal(parseSourceHeader('proto=udp;ip=carrier.example'), null, 'a name is not an address')
  t.equal(parseSourceHeader('proto=udp;ip=203.0.113.7;port=70000'), null, 'port out of range')
})
