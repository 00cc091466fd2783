// RFC 3263 §4.2 target selection with injected DNS answers.
import t from 'tap'
import { SipResolver, type DnsLookup, type SrvRecord } from '../../src/trunk'

function dns (srv: Record<string, SrvRecord[]>, a: Record<string, string[]>, aaaa: Record<string, string[]> = {}, calls: string[] = []): DnsLookup {
  const nodata = (name: string): Error => Object.assign(new Error(`queryX ENODATA ${name}`), { code: 'ENODATA' })
  return {
    resolveSrv: async n => { calls.push(`SRV ${n}`); if (srv[n]) return srv[n]; throw nodata(n) },
    resolve4: async n => { calls.push(`A ${n}`); if (a[n]) return a[n]; throw nodata(n) },
    resolve6: async n => { calls.push(`AAAA ${n}`); if (aaaa[n]) return aaaa[n]; throw nodata(n) }
  }
}

t.test('IP literals skip DNS', async t => {
  const calls: string[] = []
  const r = new SipResolver({ dns: dns({}, {}, {}, calls) })
  t.same(await r.resolve('192.0.2.7', null, 'tcp'), [{ transport: 'tcp', host: '192.0.2.7', port: 5060, via: 'ip' }])
  t.same(await r.resolve('[2001:db8::1]', 5071, 'tls'), [{ transport: 'tls', host: '2001:db8::1', port: 5071, via: 'ip' }])
  t.same(calls, [])
})

t.test('explicit port: A/AAAA only, no SRV (§4.2)', async t => {
  const calls: string[] = []
  const r = new SipResolver({ dns: dns({ '_sip._tcp.carrier.test': [{ name: 'x', port: 1, priority: 0, weight: 0 }] }, { 'carrier.test': ['192.0.2.1', '192.0.2.2'] }, { 'carrier.test': ['2001:db8::5'] }, calls) })
  const out = await r.resolve('carrier.test', 5080, 'tcp')
  t.same(out.map(o => `${o.host}:${o.port}`), ['192.0.2.1:5080', '192.0.2.2:5080', '2001:db8::5:5080'])
  t.notOk(calls.some(c => c.startsWith('SRV')))
})

t.test('no port: SRV by transport, priority then weight, each target resolved', async t => {
  const srv = {
    '_sip._tcp.carrier.test': [
      { name: 'backup.carrier.test', port: 5070, priority: 20, weight: 0 },
      { name: 'b.carrier.test', port: 5060, priority: 10, weight: 10 },
      { name: 'a.carrier.test', port: 5060, priority: 10, weight: 90 }
    ],
    '_sips._tcp.carrier.test': [{ name: 'tls.carrier.test', port: 5061, priority: 0, weight: 0 }]
  }
  const a = { 'a.carrier.test': ['192.0.2.10'], 'b.carrier.test': ['192.0.2.20'], 'backup.carrier.test': ['192.0.2.30'], 'tls.carrier.test': ['192.0.2.40'] }
  // random 0.5 picks within 100 total weight: a (90) is selected first when sorted [b(10), a(90)] and pick 50 > 10.
  const r = new SipResolver({ dns: dns(srv, a), random: () => 0.5 })
  t.same((await r.resolve('carrier.test', null, 'tcp')).map(o => `${o.host}:${o.port}`), ['192.0.2.10:5060', '192.0.2.20:5060', '192.0.2.30:5070'])
  const low = new SipResolver({ dns: dns(srv, a), random: () => 0.05 })
  t.same((await low.resolve('carrier.test', null, 'tcp')).map(o => o.host), ['192.0.2.20', '192.0.2.10', '192.0.2.30'], 'a low draw picks the light target first')
  // TLS keeps the SRV target NAME so the certificate is checked against it.
  t.same(await r.resolve('carrier.test', null, 'tls'), [{ transport: 'tls', host: 'tls.carrier.test', port: 5061, via: 'srv _sips._tcp.carrier.test → tls.carrier.test' }])
  t.equal((await r.resolve('carrier.test', null, 'tcp', 2)).length, 2, 'bounded by max targets')
})

t.test('weights over many draws follow RFC 2782 proportions', async t => {
  let seed = 1
  const rnd = (): number => { seed = (seed * 16807) % 2147483647; return (seed - 1) / 2147483646 }
  const r = new SipResolver({ random: rnd })
  const recs = [{ name: 'a', port: 1, priority: 1, weight: 75 }, { name: 'b', port: 1, priority: 1, weight: 25 }]
  let aFirst = 0
  for (let i = 0; i < 4000; i++) if (r.orderSrv(recs)[0].name === 'a') aFirst++
  t.ok(aFirst > 2800 && aFirst < 3200, `a first ${aFirst}/4000 (expected ~3000)`)
})

t.test('no SRV: A/AAAA with the transport default port', async t => {
  const r = new SipResolver({ dns: dns({}, { 'carrier.test': ['192.0.2.1'] }) })
  t.same((await r.resolve('carrier.test', null, 'tcp')).map(o => `${o.host}:${o.port}`), ['192.0.2.1:5060'])
  t.same((await r.resolve('carrier.test', null, 'tls')).map(o => `${o.host}:${o.port}`), ['carrier.test:5061'])
})

t.test('failures', async t => {
  const r = new SipResolver({ dns: dns({ '_sip._tcp.gone.test': [{ name: '.', port: 0, priority: 0, weight: 0 }] }, {}) })
  await t.rejects(r.resolve('nowhere.test', null, 'tcp'), { code: 'OUTBOUND_ERR_DNS' })
  await t.rejects(r.resolve('gone.test', null, 'tcp'), /service not available/)
  const broken: DnsLookup = { resolveSrv: async () => { throw Object.assign(new Error('bad'), { code: 'EBADRESP' }) }, resolve4: async () => [], resolve6: async () => [] }
  await t.rejects(new SipResolver({ dns: broken }).resolve('x.test', null, 'tcp'), { code: 'OUTBOUND_ERR_DNS' })
})

t.test('node:dns by default: localhost resolves through A/AAAA', async t => {
  const out = await new SipResolver().resolve('localhost', 5099, 'tcp')
  t.ok(out.some(o => o.host === '127.0.0.1' || o.host === '::1'), JSON.stringify(out))
})
