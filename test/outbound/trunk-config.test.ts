// The outbound, api and records configuration sections: what is accepted, and errors that name the
// field and say what is wrong (a sip: URI as address says so).
import t from 'tap'
import path from 'node:path'
import { ConfigError, loadConfig, parseConfigText, parseTrunkAddress } from '../../src/config'

function withOutbound (outbound: string, extra = ''): string {
  return `
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks:
  - name: carrier
    inbound: {acl: [127.0.0.0/8]}
    outbound:
${outbound.split('\n').map(l => `      ${l}`).join('\n')}
${extra}
`
}

function configError (text: string): ConfigError {
  try {
    parseConfigText(text)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('no ConfigError')
}

t.test('addresses', async t => {
  t.same(parseTrunkAddress('sip.example-carrier.net', 'a'), { host: 'sip.example-carrier.net', port: null })
  t.same(parseTrunkAddress('sip.example-carrier.net:5061', 'a'), { host: 'sip.example-carrier.net', port: 5061 })
  t.same(parseTrunkAddress('203.0.113.10', 'a'), { host: '203.0.113.10', port: null })
  t.same(parseTrunkAddress('203.0.113.10:5080', 'a'), { host: '203.0.113.10', port: 5080 })
  t.same(parseTrunkAddress('2001:db8::1', 'a'), { host: '2001:db8::1', port: null })
  t.same(parseTrunkAddress('[2001:db8::1]:5061', 'a'), { host: '2001:db8::1', port: 5061 })
  t.same(parseTrunkAddress('carrier.test.', 'a'), { host: 'carrier.test', port: null })
})

const refused: Array<[string, string, RegExp]> = [
  ['address: sip:sip.telnyx.com', 'trunks[0].outbound.address', /is a URI; the outbound address is a hostname or IP address only .*not a sip: URI/],
  ['address: sips:sip.telnyx.com:5061', 'trunks[0].outbound.address', /not a sip: URI/],
  ["address: 'sip:+15550100@sip.telnyx.com'", 'trunks[0].outbound.address', /is a URI/],
  ['address: tel:+15550100', 'trunks[0].outbound.address', /is a URI/],
  ['address: carrier@example.com', 'trunks[0].outbound.address', /is a URI/],
  ["address: 'sip.telnyx.com;transport=tls'", 'trunks[0].outbound.address', /no parameters/],
  ['address: under_score.example.com', 'trunks[0].outbound.address', /not a valid hostname/],
  ['address: carrier.test:99999', 'trunks[0].outbound.address', /port 99999 out of range/],
  ["address: '[203.0.113.1]:5060'", 'trunks[0].outbound.address', /only IPv6 addresses go in brackets/],
  ["address: ''", 'trunks[0].outbound.address', /must not be empty/],
  ['address: carrier.test:5060\nport: 5061', 'trunks[0].outbound.port', /conflicts with the port in address \(5060\)/],
  ['address: carrier.test\ntransport: ws', 'trunks[0].outbound.transport', /must be one of 'udp', 'tcp', 'tls'/],
  ['address: carrier.test\nmedia_encryption: optional', 'trunks[0].outbound.media_encryption', /must be one of 'disabled', 'allowed', 'required'/],
  ['address: carrier.test\nauth: {username: u}', 'trunks[0].outbound.auth.password', /is required/],
  ['address: carrier.test\nheaders: [{name: Via, value: x}]', 'trunks[0].outbound.headers[0].name', /written by the SIP layer/],
  ['address: carrier.test\nheaders: [{name: Proxy-Authorization, value: x}]', 'trunks[0].outbound.headers[0].name', /written by the SIP layer/],
  ["address: carrier.test\nheaders: [{name: 'X Bad', value: x}]", 'trunks[0].outbound.headers[0].name', /SIP header name/],
  ["address: carrier.test\nheaders: [{name: X-C, value: '{{customer_id'}]", 'trunks[0].outbound.headers[0].value', /unbalanced/],
  ["address: carrier.test\nheaders: [{name: X-C, value: '{{bad name}}'}]", 'trunks[0].outbound.headers[0].value', /not a variable name/],
  ['address: carrier.test\nheaders: [{name: X-C, value: "a\\r\\nVia: evil"}]', 'trunks[0].outbound.headers[0].value', /line breaks/],
  ['address: carrier.test\nring_timeout_secs: 0', 'trunks[0].outbound.ring_timeout_secs', /must be >= 1/],
  ['address: carrier.test\nfrom_domain: sip:calls.example.com', 'trunks[0].outbound.from_domain', /is a URI/],
  ['address: carrier.test\nretries: 3', 'trunks[0].outbound.retries', /unknown field/]
]

for (const [yaml, field, message] of refused) {
  t.test(`refused: ${yaml.replace(/\n/g, ' | ')}`, async t => {
    const e = configError(withOutbound(yaml))
    t.equal(e.path, field)
    t.match(e.problem, message)
  })
}

t.test('accepted outbound section with defaults filled in', async t => {
  const c = parseConfigText(withOutbound("address: sip.example-carrier.net\ntransport: tls\nmedia_encryption: required\nauth: {username: u, password: p}\nheaders:\n  - {name: X-Customer, value: '{{customer_id}}'}\n  - {name: X-Token, value: 'Bearer {{secret__t}}'}"))
  t.match(c.trunks[0].outbound, {
    address: 'sip.example-carrier.net', transport: 'tls', media_encryption: 'required', ring_timeout_secs: 60, max_targets: 4,
    headers: [{ name: 'X-Customer', value: '{{customer_id}}' }, { name: 'X-Token', value: 'Bearer {{secret__t}}' }]
  })
  const d = parseConfigText(withOutbound('address: 192.0.2.1'))
  t.equal(d.trunks[0].outbound?.transport, 'tcp')
  t.equal(d.trunks[0].outbound?.media_encryption, 'allowed')
  t.same(d.trunks[0].outbound?.headers, [])
})

t.test('api and records sections', async t => {
  const c = parseConfigText(withOutbound('address: 192.0.2.1', "api: {keys: ['0123456789abcdef']}\nrecords: {path: ':memory:'}"))
  t.same(c.api, { listen: { host: '127.0.0.1', port: 8080 }, keys: ['0123456789abcdef'], public_metrics: false })
  t.equal(c.records?.path, ':memory:')
  t.equal(configError(withOutbound('address: 192.0.2.1', "api: {keys: ['short']}")).path, 'api.keys[0]')
  t.equal(configError(withOutbound('address: 192.0.2.1', 'api: {listen: {port: 70000}}')).path, 'api.listen.port')
  t.equal(configError(withOutbound('address: 192.0.2.1', 'records: {}')).path, 'records.path')
  const hook = configError(withOutbound('address: 192.0.2.1', "records: {path: x.db, post_call_webhook: {url: 'ftp://x'}}"))
  t.equal(hook.path, 'records.post_call_webhook.url')
  t.match(hook.problem, /http\(s\) URL/)
  t.equal(configError(withOutbound('address: 192.0.2.1', "records: {path: x.db, post_call_webhook: {url: 'https://x', max_attempts: 0}}")).path, 'records.post_call_webhook.max_attempts')
})

t.test('default.yaml documents and enables the API and records; records path is relative to the file', async t => {
  const file = path.resolve(__dirname, '..', '..', 'config', 'default.yaml')
  const c = loadConfig(file)
  t.same(c.api?.listen, { host: '127.0.0.1', port: 8080 })
  t.equal(c.records?.path, path.resolve(path.dirname(file), '../data/trunkgate-calls.db'))
})
