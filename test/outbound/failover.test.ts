// RFC 3263 failover through SRV targets (DNS answers injected, addresses on loopback): a refused
// connection and a 503 each move the call to the next target; when every target fails the call fails.
import t from 'tap'
import net from 'node:net'
import type { DnsLookup, SrvRecord } from '../../src/trunk'
import { startCarrier } from './carrier'
import { startGateway } from './gateway'

async function deadPort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}

function srvDns (records: SrvRecord[], queried: string[]): DnsLookup {
  const nodata = (): Error => Object.assign(new Error('ENODATA'), { code: 'ENODATA' })
  return {
    resolveSrv: async n => { queried.push(n); if (n === '_sip._tcp.carrier.test') return records; throw nodata() },
    resolve4: async () => { throw nodata() },
    resolve6: async () => { throw nodata() }
  }
}

const call = { agent_id: 'support', from_number: '+15550100', to: '+15550199' }

t.test('connection refused on the first SRV target → the second answers', async t => {
  const carrier = await startCarrier({ scenario: 'carrier-answer.xml' })
  const queried: string[] = []
  const dns = srvDns([
    { name: '127.0.0.1', port: await deadPort(), priority: 10, weight: 0 },
    { name: '127.0.0.1', port: carrier.port, priority: 20, weight: 0 }
  ], queried)
  const gw = await startGateway({ outboundYaml: 'address: carrier.test\ntransport: tcp', opts: { services: { dns } } })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  const res = await gw.request('POST', '/v1/calls', call)
  const live = await gw.waitStatus(res.json.conversation_id, 'in-progress')
  t.equal(live.status, 'in-progress')
  t.same(queried, ['_sip._tcp.carrier.test'], 'SRV asked for _sip._tcp (no port configured)')
  const hang = await gw.request('POST', `/v1/calls/${res.json.conversation_id}/hangup`)
  t.equal(hang.json.status, 'completed')
  t.equal((await carrier.done).exitCode, 0)
})

t.test('503 from the first target → the second answers; the Request-URI keeps the trunk name', async t => {
  const busy = await startCarrier({ scenario: 'carrier-unavailable.xml' })
  const good = await startCarrier({ scenario: 'carrier-answer.xml' })
  const dns = srvDns([
    { name: '127.0.0.1', port: busy.port, priority: 1, weight: 0 },
    { name: '127.0.0.1', port: good.port, priority: 2, weight: 0 }
  ], [])
  const gw = await startGateway({ outboundYaml: 'address: carrier.test\ntransport: tcp', opts: { services: { dns } } })
  t.teardown(async () => { await gw.close(); await busy.stop(); await good.stop() })
  const res = await gw.request('POST', '/v1/calls', call)
  await gw.waitStatus(res.json.conversation_id, 'in-progress')
  await gw.request('POST', `/v1/calls/${res.json.conversation_id}/hangup`)
  const b = await busy.done
  t.equal(b.exitCode, 0, 'the first target got the INVITE and our ACK for its 503')
  t.match(b.messages, /INVITE sip:\+15550199@carrier\.test;user=phone;transport=tcp SIP\/2\.0/)
  t.equal((await good.done).exitCode, 0)
})

t.test('every target fails → failed, with the last status', async t => {
  const busy = await startCarrier({ scenario: 'carrier-unavailable.xml' })
  const dns = srvDns([
    { name: '127.0.0.1', port: await deadPort(), priority: 1, weight: 0 },
    { name: '127.0.0.1', port: busy.port, priority: 2, weight: 0 }
  ], [])
  const gw = await startGateway({ outboundYaml: 'address: carrier.test\ntransport: tcp', opts: { services: { dns } } })
  t.teardown(async () => { await gw.close(); await busy.stop() })
  const res = await gw.request('POST', '/v1/calls', call)
  const ended = await gw.waitEnded(res.json.conversation_id)
  t.equal(ended.status, 'rejected', 'a real 503 from the last target is the far end refusing')
  t.equal(ended.sip_status, 503)
  t.equal((await busy.done).exitCode, 0)
})

t.test('a name that does not resolve → failed (dns_failure)', async t => {
  const dns = srvDns([], [])
  const gw = await startGateway({ outboundYaml: 'address: carrier.test\ntransport: tcp', opts: { services: { dns } } })
  t.teardown(() => gw.close())
  const res = await gw.request('POST', '/v1/calls', call)
  const ended = await gw.waitEnded(res.json.conversation_id)
  t.equal(ended.status, 'failed')
  t.equal(ended.hangup_cause, 'dns_failure')
})
