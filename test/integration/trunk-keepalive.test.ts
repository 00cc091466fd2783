// trunks[].keepalive_s: an OPTIONS goes to each such trunk at start and every keepalive_s; a trunk that answers is
// up (trunkgate_trunk_up 1), one that cannot be reached is down (0).
import t from 'tap'
import dgram from 'node:dgram'
import { startServer } from '../../src/server'
import { testConfig } from './helpers'
import { freePort } from './sipp-runner'

async function until (cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!(await cond()) && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 20))
  return await cond()
}

t.test('OPTIONS keep-alive per trunk: the answering UDP trunk is up, the unreachable TCP trunk down', async t => {
  const peer = dgram.createSocket('udp4')
  await new Promise<void>(resolve => peer.bind(0, '127.0.0.1', resolve))
  t.teardown(() => peer.close())
  const seen: string[] = []
  peer.on('message', (m, rinfo) => {
    const req = m.toString()
    seen.push(req.split('\r\n')[0])
    // A minimal 200: the request's Via, From, To, Call-ID and CSeq copied (§8.2.6.2).
    const copy = req.split('\r\n').filter(l => /^(Via|From|To|Call-ID|CSeq):/i.test(l))
    peer.send(['SIP/2.0 200 OK', ...copy, 'Content-Length: 0', '', ''].join('\r\n'), rinfo.port, rinfo.address)
  })
  const closed = await freePort()
  const server = await startServer(testConfig({ udp: true, trunksYaml: `
  - name: alive
    inbound: {acl: [127.0.0.0/8]}
    keepalive_s: 5
    outbound: {address: '127.0.0.1:${peer.address().port}', transport: udp}
  - name: gone
    inbound: {acl: [10.0.0.0/8]}
    keepalive_s: 5
    outbound: {address: '127.0.0.1:${closed}', transport: tcp}` }))
  t.teardown(() => server.close())
  const text = async (): Promise<string> => (await server.services.metrics.text()).body
  t.ok(await until(async () => /trunkgate_trunk_up\{trunk="alive"\} 1/.test(await text()) && /trunkgate_trunk_up\{trunk="gone"\} 0/.test(await text()), 10_000),
    `alive up, gone down:\n${(await text()).split('\n').filter(l => l.startsWith('trunkgate_trunk_up')).join('\n')}`)
  t.match(seen[0], /^OPTIONS sip:127\.0\.0\.1:\d+ SIP\/2\.0$/, 'the trunk received an OPTIONS')
})
