// Issue 13: an INVITE to a registration's contact user is matched to that trunk even when its source (the
// carrier's edge proxy) is in no ACL; other called users from that source are still unknown sources.
import t from 'tap'
import { parseConfigText } from '../../../src/config'
import { TrunkSelector } from '../../../src/sip/policy/trunk-selector'

const config = parseConfigText(`
sip:
  listen: {udp: {host: 127.0.0.1, port: 0}}
  onUnknownSource: reject
trunks:
  - name: pbx
    inbound: {acl: [10.0.0.0/8]}
  - name: carrier
    inbound: {acl: [192.0.2.0/24]}
    register: {username: acct1, password_env: X, registrar: 'sip.carrier.test', contact_user: '+15550100'}
  - name: other
    inbound: {acl: [198.51.100.0/24]}
    register: {username: '4420', password_env: Y, registrar: 'sip.other.test'}
phone_numbers: [{number: '+15550100', agent: a}, {number: '4420', agent: a}]
agents: [{id: a, name: A}]
`)

t.test('registered contact user matches its trunk from an address outside every ACL', async t => {
  const s = new TrunkSelector(config)
  const m = s.select('203.0.113.9', { calledUser: '+15550100' })
  t.equal(m.matched, true)
  t.equal(m.matched && m.trunk.name, 'carrier')
  const byUsername = s.select('203.0.113.9', { calledUser: '4420' })
  t.equal(byUsername.matched && byUsername.trunk.name, 'other', 'contact_user defaults to the username')
  t.equal(s.select('203.0.113.9', { calledUser: '+19990000' }).matched, false, 'any other called user: unknown source')
  const acl = s.select('10.1.1.1', { calledUser: '+15550100' })
  t.equal(acl.matched && acl.trunk.name, 'pbx', 'an ACL match still wins')
})
