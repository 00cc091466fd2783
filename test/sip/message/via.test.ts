import t from 'tap'
import { formatVia, parseVia } from '../../../src/sip/message/via'
import { SipError } from '../../../src/sip/sip-error'

t.test('Via values (RFC 3261 §20.42)', async t => {
  const v = parseVia('SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101;rport=5070')
  t.same(v, {
    protocol: 'SIP/2.0',
    transport: 'TCP',
    host: 'client.atlanta.example.com',
    port: 5060,
    params: new Map([['branch', 'z9hG4bK74bf9'], ['received', '192.0.2.101'], ['rport', '5070']]),
    branch: 'z9hG4bK74bf9'
  })
  const rport = parseVia('SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx')
  t.equal(rport.params.get('rport'), null, 'rport without value (RFC 3581)')
  t.equal(rport.port, null)
  t.equal(parseVia('SIP/2.0/tls host').transport, 'TLS', 'transport upper-cased')
  t.equal(parseVia('SIP/2.0/UDP 192.0.2.1').branch, null, 'RFC 2543 Via without branch')
})

t.test('LWS inside sent-protocol and around ; = : (RFC 4475 §3.1.1.1)', async t => {
  const v = parseVia('SIP  /   2.0 /UDP     192.0.2.2 : 5070 ;  branch  =   z9hG4bK9ikj8')
  t.equal(v.protocol, 'SIP/2.0')
  t.equal(v.transport, 'UDP')
  t.equal(v.host, '192.0.2.2')
  t.equal(v.port, 5070)
  t.equal(v.branch, 'z9hG4bK9ikj8')
})

t.test('IPv6 sent-by and received (RFC 5118)', async t => {
  const v = parseVia('SIP/2.0/TCP [2001:DB8::9:1]:5061;branch=z9hG4bKas3-111;received=2001:db8::9:255')
  t.equal(v.host, '2001:db8::9:1')
  t.equal(v.port, 5061)
  t.equal(v.params.get('received'), '2001:db8::9:255')
  t.equal(formatVia(v), 'SIP/2.0/TCP [2001:db8::9:1]:5061;branch=z9hG4bKas3-111;received=2001:db8::9:255')
  t.equal(parseVia('SIP/2.0/UDP [::1];received=[::2]').params.get('received'), '[::2]')
})

t.test('unknown transports parse (RFC 4475 §3.1.1.10)', async t => {
  for (const tr of ['SCTP', 'UNKNOWN', 'WS', 'WSS']) t.equal(parseVia(`SIP/2.0/${tr} t.example.com;branch=z9hG4bKa`).transport, tr)
})

t.test('malformed Via values are a 400', async t => {
  const bad = [
    '', 'SIP/2.0', 'SIP/2.0/UDP', 'SIP/2.0/UDP ', 'SIP/2.0/UDPhost', 'SIP//UDP host', '/2.0/UDP host',
    'SIP/2.0/UDP 192.0.2.15;;', 'SIP/2.0/UDP host;branch=', 'SIP/2.0/UDP host:abc', 'SIP/2.0/UDP host:70000',
    'SIP/2.0/UDP [::1', 'SIP/2.0/UDP ho<st', 'SIP/2.0/UDP host junk'
  ]
  for (const text of bad) {
    try {
      parseVia(text)
      t.fail(`accepted ${JSON.stringify(text)}`)
    } catch (err) {
      t.ok(err instanceof SipError && err.status === 400, `400 for ${JSON.stringify(text)}`)
    }
  }
})

t.test('formatVia: branch field is authoritative', async t => {
  const v = parseVia('SIP/2.0/TCP h:5060;branch=z9hG4bKold;rport')
  v.branch = 'z9hG4bKnew'
  t.equal(formatVia(v), 'SIP/2.0/TCP h:5060;branch=z9hG4bKnew;rport')
  v.branch = null
  t.equal(formatVia(v), 'SIP/2.0/TCP h:5060;rport')
  const fresh = { protocol: 'SIP/2.0', transport: 'TLS', host: 'pbx.example.com', port: 5061, params: new Map<string, string | null>([['rport', null]]), branch: 'z9hG4bKabc' }
  t.equal(formatVia(fresh), 'SIP/2.0/TLS pbx.example.com:5061;rport;branch=z9hG4bKabc')
  t.same(parseVia(formatVia(fresh)).branch, 'z9hG4bKabc')
})
