// The one URI builder for parties behind a trunk (Request-URI of outbound calls and human legs, Refer-To).
import t from 'tap'
import { parseConfigText } from '../../src/config'
import { destinationUri, trunkUri } from '../../src/trunk'

const trunks = parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks:
  - {name: tcp, inbound: {acl: [127.0.0.1]}, outbound: {address: carrier.example}}
  - {name: port, inbound: {acl: [127.0.0.2]}, outbound: {address: '203.0.113.10:5080'}}
  - {name: tls6, inbound: {acl: [127.0.0.3]}, outbound: {address: '2001:db8::7', transport: tls}}
  - {name: noout, inbound: {acl: [127.0.0.4]}}
`).trunks

t.test('a number at the trunk: configured host name kept (RFC 3263), user=phone (RFC 3261 §19.1.6), the trunk transport', async t => {
  t.equal(trunkUri('+15550199', trunks[0]), 'sip:+15550199@carrier.example;user=phone;transport=tcp')
  t.equal(trunkUri('+15550199', trunks[1]), 'sip:+15550199@203.0.113.10:5080;user=phone;transport=tcp', 'port kept')
  t.equal(trunkUri('+15550199', trunks[2]), 'sip:+15550199@[2001:db8::7];user=phone;transport=tls', 'IPv6 in brackets, TLS')
  t.equal(trunkUri('support', trunks[0]), 'sip:support@carrier.example;transport=tcp', 'a name is not a phone number: no user=phone')
})

t.test('without outbound settings: at the host of the dialog with the trunk, or nothing', async t => {
  t.equal(trunkUri('+15550199', trunks[3], 'sips:trunk@[2001:db8::1]:5061'), 'sips:+15550199@[2001:db8::1]:5061;user=phone')
  t.equal(trunkUri('+15550199', trunks[3]), null)
})

t.test('destinationUri: a SIP URI goes as given (checked), a number through the trunk', async t => {
  t.equal(destinationUri('sip:alice@example.com;transport=tls', trunks[0]), 'sip:alice@example.com;transport=tls')
  t.equal(destinationUri('+15550199', trunks[0]), 'sip:+15550199@carrier.example;user=phone;transport=tcp')
  t.throws(() => destinationUri('sip:alice@exa mple.com', trunks[0]), { code: 'TRUNK_ERR_INVALID_URI', message: /not a valid SIP URI/ })
  t.throws(() => destinationUri('+15550199', trunks[3]), /no outbound settings/)
})
