// Custom trunk headers: templates rendered from dynamic variables (secret__ included), refused when a
// variable is missing or would inject a line break; and the SIPp carrier's header check is shown able
// to fail (a trunk without the header makes the scenario fail), so the passing runs mean something.
import t from 'tap'
import { HeaderTemplateError, renderHeaders, templateVariables } from '../../src/trunk'
import { startCarrier } from './carrier'
import { startGateway } from './gateway'

t.test('rendering', async t => {
  const h = [{ name: 'X-Customer', value: '{{customer_id}}' }, { name: 'X-Mix', value: 'acct={{ account }};tier={{tier}}' }, { name: 'X-Static', value: 'fixed' }, { name: 'X-Token', value: 'Bearer {{secret__token}}' }]
  t.same(renderHeaders(h, { customer_id: 'c-9', account: 42, tier: true, secret__token: 'tok' }), [
    { name: 'X-Customer', value: 'c-9' }, { name: 'X-Mix', value: 'acct=42;tier=true' }, { name: 'X-Static', value: 'fixed' }, { name: 'X-Token', value: 'Bearer tok' }
  ])
  t.same(templateVariables(h).sort(), ['account', 'customer_id', 'secret__token', 'tier'])
  t.throws(() => renderHeaders(h, { account: 1, tier: 1, secret__token: 't' }), new HeaderTemplateError('OUTBOUND_ERR_HEADER_VARIABLE_MISSING', 'customer_id', 'trunk header X-Customer needs dynamic variable "customer_id"'))
  for (const bad of ['a\r\nX-Evil: 1', 'a\nb', 'a\rb', 'nul\u0000', 'bell\u0007']) {
    t.throws(() => renderHeaders([{ name: 'X-C', value: '{{v}}' }], { v: bad }), { code: 'OUTBOUND_ERR_HEADER_VALUE_INVALID', variable: 'v' })
  }
  t.same(renderHeaders([{ name: 'X-C', value: '{{v}}' }], { v: 'tab\tok' }), [{ name: 'X-C', value: 'tab\tok' }], 'HTAB is allowed in TEXT-UTF8')
  t.throws(() => renderHeaders([{ name: 'X-C', value: '{{v}}' }], { v: '  ' }), { code: 'OUTBOUND_ERR_HEADER_EMPTY' })
})

t.test('the carrier header check fails when the trunk does not send the header', async t => {
  const carrier = await startCarrier({
    scenario: 'carrier-challenge.xml',
    timeoutSec: 5,
    substitutions: {
      CHALLENGE: '401', CHALLENGE_REASON: 'Unauthorized', CHALLENGE_HDR: 'WWW-Authenticate', AUTH_HDR: 'Authorization', ALGORITHM: 'MD5',
      FROM_USER_RE: 'sip:', CUSTOMER_RE: '^ *cust-4711$', SECRET_RE: '.'
    }
  })
  const gw = await startGateway({ outboundYaml: `address: 127.0.0.1:${carrier.port}\ntransport: tcp\nauth: {username: u, password: p}\nheaders:\n  - {name: X-Trunk-Tag, value: static-tag}` })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  t.equal(res.status, 201)
  const run = await carrier.done
  t.not(run.exitCode, 0, 'SIPp reports the missing X-Customer header as a failed call')
  t.match(run.errors + run.stderr, /X-Customer|regexp|ereg|check/i)
})
