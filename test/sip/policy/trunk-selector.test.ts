import t from 'tap'
import { parseConfigText } from '../../../src/config'
import { cidrContains, normalizeAddress, parseCidr } from '../../../src/sip/policy/cidr'
import { TrunkSelector } from '../../../src/sip/policy/trunk-selector'

t.test('CIDR parsing and matching, IPv4 and IPv6', async t => {
  const v4 = parseCidr('203.0.113.0/24')!
  t.equal(v4.family, 4)
  t.ok(cidrContains(v4, normalizeAddress('203.0.113.77')!))
  t.notOk(cidrContains(v4, normalizeAddress('203.0.114.1')!))
  t.ok(cidrContains(v4, normalizeAddress('::ffff:203.0.113.9')!), 'IPv4-mapped IPv6 source matches an IPv4 ACL')
  t.ok(cidrContains(parseCidr('10.1.2.3/8')!, normalizeAddress('10.200.0.1')!), 'host bits in the ACL entry are ignored')
  const v6 = parseCidr('2001:db8:abcd::/48')!
  t.ok(cidrContains(v6, normalizeAddress('2001:db8:abcd:12::1')!))
  t.notOk(cidrContains(v6, normalizeAddress('2001:db8:abce::1')!))
  t.notOk(cidrContains(v6, normalizeAddress('203.0.113.1')!), 'families never cross')
  t.ok(cidrContains(parseCidr('::1')!, normalizeAddress('0:0:0:0:0:0:0:1')!), 'bare address is /128, forms normalised')
  t.ok(cidrContains(parseCidr('0.0.0.0/0')!, normalizeAddress('198.51.100.1')!))
  t.ok(cidrContains(parseCidr('::/0')!, normalizeAddress('fe80::1')!))
  t.ok(cidrContains(parseCidr('2001:db8::/126')!, normalizeAddress('2001:db8::3')!))
  t.notOk(cidrContains(parseCidr('2001:db8::/126')!, normalizeAddress('2001:db8::4')!))
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0/8', 'example.com', '10.0.0.0/', '10.0.0.0/-1', '1.2.3.4/8x', '']) {
    t.equal(parseCidr(bad), null, `refuses ${JSON.stringify(bad)}`)
  }
})

const config = parseConfigText(`
sip:
  listen: {tcp: {host: 127.0.0.1, port: 0}}
  onUnknownSource: drop
trunks:
  - name: open
    inbound: {acl: [0.0.0.0/0]}
  - name: carrier-a
    inbound: {acl: [203.0.113.0/24, '2001:db8::/32'], onAclFail: reject}
    phone_numbers: ['+15550100']
  - name: carrier-b
    inbound: {acl: [198.51.100.0/24], auth: {username: bob, password: pw}}
  - name: carrier-c
    inbound: {acl: [198.51.100.0/24], auth: {username: carol, password: pw}, onAclFail: drop}
    phone_numbers: ['+15550200']
phone_numbers:
  - {number: '+15550100', agent: demo}
  - {number: '+15550200', agent: demo}
  - {number: '+15550300', agent: demo, trunk: carrier-a}
agents: [{id: demo, name: Demo}]
`)

t.test('most specific ACL wins; ties go to the digest username, then config order', async t => {
  const s = new TrunkSelector(config)
  const pick = (ip: string, authUsername?: string): string | null => {
    const m = s.select(ip, { authUsername })
    return m.matched ? m.trunk.name : null
  }
  t.equal(pick('203.0.113.5'), 'carrier-a', '/24 beats 0.0.0.0/0')
  t.equal(pick('192.0.2.1'), 'open')
  t.equal(pick('198.51.100.7'), 'carrier-b', 'equal prefixes: first listed')
  t.equal(pick('198.51.100.7', 'carol'), 'carrier-c', 'equal prefixes: the trunk whose username is presented')
  t.equal(pick('2001:db8:1::9'), 'carrier-a', 'IPv6 source')
  t.equal(pick('2001:db9::1'), null, 'IPv6 source in no ACL (0.0.0.0/0 is IPv4 only)')
})

t.test('no ACL match: the addressed trunk decides reject/drop, else sip.onUnknownSource', async t => {
  const s = new TrunkSelector(config)
  const m1 = s.select('2001:db9::1', { calledUser: '+15550100' })
  t.same(m1.matched ? null : [m1.onFail, m1.addressedTrunk?.name], ['reject', 'carrier-a'])
  const m2 = s.select('2001:db9::1', { calledUser: '+15550200' })
  t.same(m2.matched ? null : [m2.onFail, m2.addressedTrunk?.name], ['drop', 'carrier-c'])
  const m3 = s.select('2001:db9::1', { calledUser: '+15550300' })
  t.same(m3.matched ? null : [m3.onFail, m3.addressedTrunk?.name], ['reject', 'carrier-a'], 'phone_numbers[].trunk also addresses a trunk')
  const m4 = s.select('2001:db9::1', { calledUser: '+19999' })
  t.same(m4.matched ? null : [m4.onFail, m4.addressedTrunk], ['drop', null])
  const m5 = s.select('not-an-ip')
  t.equal(m5.matched, false, 'an unparsable source address matches nothing')
})
