// The control API's edges against the real server: API keys (constant-time check, env key, Bearer),
// every validation error naming its field, unknown calls, wrong methods and content types, and an
// OpenAPI document that is the validators' own schemas.
import t from 'tap'
import { originateRequestSchema, dtmfRequestSchema, ApiKeys, apiKeysFrom, validate, ValidationError } from '../../src/api'
import { API_KEY, startGateway, type TestGateway } from '../outbound/gateway'

let gw: TestGateway
t.before(async () => {
  // Nothing listens at the trunk address: calls started here fail fast, which these tests do not mind.
  gw = await startGateway({
    outboundYaml: "address: 127.0.0.1:9\ntransport: tcp\nheaders:\n  - {name: X-Customer, value: '{{customer_id}}'}",
    opts: { services: { env: { TRUNKGATE_API_KEY: 'env-key-abcdefghijklmnop' } } }
  })
})
t.teardown(() => gw.close())

const good = { agent_id: 'support', from_number: '+15550100', to: '+15550199', dynamic_variables: { customer_id: 'c-1' } }

t.test('authentication', async t => {
  const noKey = await fetch(`${gw.api}/v1/calls`)
  t.equal(noKey.status, 401)
  t.match(noKey.headers.get('www-authenticate'), /x-api-key/)
  t.same(((await noKey.json()) as any).error.code, 'API_ERR_UNAUTHORIZED')
  for (const key of ['wrong', `${API_KEY}x`, API_KEY.slice(0, -1), '', API_KEY.toUpperCase()]) {
    const r = await gw.request('GET', '/v1/calls', undefined, { 'x-api-key': key })
    t.equal(r.status, 401, `key ${JSON.stringify(key)} refused`)
  }
  t.equal((await gw.request('GET', '/v1/calls')).status, 200, 'configured key accepted')
  t.equal((await gw.request('GET', '/v1/calls', undefined, { 'x-api-key': 'env-key-abcdefghijklmnop' })).status, 200, 'TRUNKGATE_API_KEY accepted')
  const bearer = await fetch(`${gw.api}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })
  t.equal(bearer.status, 200, 'Bearer for scrapers')
  t.equal((await fetch(`${gw.api}/metrics`)).status, 401, '/metrics needs the key by default')
  const posted = await fetch(`${gw.api}/v1/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) })
  t.equal(posted.status, 401, 'no call placed without a key')
  t.equal((await fetch(`${gw.api}/healthz`)).status, 200, 'healthz is open')
  t.equal((await fetch(`${gw.api}/openapi.json`)).status, 200, 'the API description is open')
})

t.test('ApiKeys compares digests, never raw strings of different length', async t => {
  const k = new ApiKeys(['a-key-of-16-chars', 'another-key-16-ch'])
  t.ok(k.verify('a-key-of-16-chars'))
  t.ok(k.verify('another-key-16-ch'))
  t.notOk(k.verify('a-key-of-16-char'))
  t.notOk(k.verify(undefined))
  t.notOk(k.verify('x'.repeat(10000)), 'a long input does not throw (timingSafeEqual on equal-length digests)')
  t.throws(() => new ApiKeys([]), /API_ERR_NO_KEYS/)
  t.same(apiKeysFrom(['a'], { TRUNKGATE_API_KEY: 'b, c ,' }), ['a', 'b', 'c'])
})

const invalid: Array<[string, unknown, string]> = [
  ['missing agent_id', { from_number: '+15550100', to: '+15550199' }, 'agent_id'],
  ['missing from_number', { agent_id: 'support', to: '+15550199' }, 'from_number'],
  ['missing to', { agent_id: 'support', from_number: '+15550100' }, 'to'],
  ['agent_id with spaces', { ...good, agent_id: 'sup port' }, 'agent_id'],
  ['agent_id not a string', { ...good, agent_id: 42 }, 'agent_id'],
  ['from_number with a space', { ...good, from_number: '+1 555' }, 'from_number'],
  ['to not E.164', { ...good, to: '15550199' }, 'to'],
  ['to with letters', { ...good, to: '+1555CALLME' }, 'to'],
  ['to E.164 too long', { ...good, to: '+1234567890123456' }, 'to'],
  ['to an http URL', { ...good, to: 'http://example.com' }, 'to'],
  ['to a SIP URI that does not parse', { ...good, to: 'sip:@' }, 'to'],
  ['unknown field', { ...good, callback: 'x' }, 'callback'],
  ['dynamic_variables not an object', { ...good, dynamic_variables: [1] }, 'dynamic_variables'],
  ['dynamic variable with an object value', { ...good, dynamic_variables: { customer_id: 'c', nested: { a: 1 } } }, 'dynamic_variables.nested'],
  ['reserved system__ variable', { ...good, dynamic_variables: { customer_id: 'c', system__caller_id: 'x' } }, 'dynamic_variables.system__caller_id'],
  ['variable name with a space', { ...good, dynamic_variables: { customer_id: 'c', 'bad name': 'x' } }, 'dynamic_variables.bad name'],
  ['overrides with an unknown field', { ...good, overrides: { temperature: 1 } }, 'overrides.temperature'],
  ['overrides.language not a tag', { ...good, overrides: { language: 'english please' } }, 'overrides.language'],
  ['ring_timeout_secs 0', { ...good, ring_timeout_secs: 0 }, 'ring_timeout_secs'],
  ['ring_timeout_secs fractional', { ...good, ring_timeout_secs: 1.5 }, 'ring_timeout_secs'],
  ['unknown agent', { ...good, agent_id: 'nobody' }, 'agent_id'],
  ['unknown trunk', { ...good, trunk: 'elsewhere' }, 'trunk'],
  ['templated header variable missing', { ...good, dynamic_variables: {} }, 'dynamic_variables.customer_id'],
  ['header injection through a variable', { ...good, dynamic_variables: { customer_id: 'c\r\nX-Evil: 1' } }, 'dynamic_variables.customer_id']
]

t.test('each validation error is a 400 naming the field, and no call is created', async t => {
  const before = (await gw.request('GET', '/v1/calls?limit=1000')).json.calls.length
  for (const [name, body, field] of invalid) {
    const r = await gw.request('POST', '/v1/calls', body)
    t.equal(r.status, 400, `${name}: ${r.text}`)
    t.equal(r.json?.error?.field, field, `${name}: field named`)
    t.match(r.json?.error?.message, field.split('.')[0], `${name}: message names the field`)
  }
  const bad = await gw.request('POST', '/v1/calls', '{"agent_id": ')
  t.equal(bad.status, 400)
  t.equal(bad.json.error.field, 'body')
  const wrongType = await gw.request('POST', '/v1/calls', JSON.stringify(good), { 'content-type': 'text/plain' })
  t.equal(wrongType.status, 415)
  const big = await gw.request('POST', '/v1/calls', { ...good, dynamic_variables: { customer_id: 'x'.repeat(70000) } })
  t.equal(big.status, 413, 'body over 64 KiB refused')
  t.equal((await gw.request('GET', '/v1/calls?limit=1000')).json.calls.length, before, 'no record for refused requests')
})

t.test('query, path and method errors', async t => {
  t.equal((await gw.request('GET', '/v1/calls?status=sleeping')).json.error.field, 'status')
  t.equal((await gw.request('GET', '/v1/calls?limit=0')).json.error.field, 'limit')
  t.equal((await gw.request('GET', '/v1/calls?colour=red')).json.error.field, 'colour')
  t.equal((await gw.request('GET', '/v1/calls?status=busy&status=failed')).status, 400)
  t.equal((await gw.request('GET', '/v1/calls/conv_doesnotexist')).status, 404)
  t.equal((await gw.request('GET', '/v1/calls/%00%01')).status, 404)
  t.equal((await gw.request('POST', '/v1/calls/conv_doesnotexist/hangup')).status, 404)
  t.equal((await gw.request('POST', '/v1/calls/conv_doesnotexist/dtmf', { digits: '1' })).status, 404)
  const dtmfBad = await gw.request('POST', '/v1/calls/conv_doesnotexist/dtmf', { digits: '12X' })
  t.equal(dtmfBad.status, 400, 'digits are validated before the call is looked up')
  t.equal(dtmfBad.json.error.field, 'digits')
  const del = await gw.request('DELETE', '/v1/calls')
  t.equal(del.status, 405)
  t.equal((await gw.request('GET', '/v2/nothing')).status, 404)
})

t.test('a created call is readable, listable, and a finished one refuses DTMF', async t => {
  const r = await gw.request('POST', '/v1/calls', good)
  t.equal(r.status, 201, r.text)
  const id = r.json.conversation_id
  t.match(id, /^conv_[0-9a-f]{32}$/)
  const ended = await gw.waitEnded(id)
  t.equal(ended.status, 'failed', 'nothing listens at the trunk address')
  const list = await gw.request('GET', '/v1/calls?status=failed&direction=outbound')
  t.ok(list.json.calls.some((c: any) => c.conversation_id === id))
  const d = await gw.request('POST', `/v1/calls/${id}/dtmf`, { digits: '1' })
  t.equal(d.status, 409)
  t.equal(d.json.error.code, 'API_ERR_CALL_ENDED')
  const x = await gw.request('POST', `/v1/calls/${id}/transfer`, { to: '+15551234567' })
  t.equal(x.status, 409, 'no transfer of an ended call')
  t.equal(x.json.error.code, 'API_ERR_CALL_ENDED')
  t.equal((await gw.request('POST', `/v1/calls/${id}/transfer`, {})).json.error.field, 'to')
})

t.test('the OpenAPI document is the validators\' schemas', async t => {
  const doc: any = await (await fetch(`${gw.api}/openapi.json`)).json()
  t.equal(doc.openapi, '3.1.0')
  t.same(doc.components.schemas.OriginateRequest, JSON.parse(JSON.stringify(originateRequestSchema)))
  t.same(doc.components.schemas.DtmfRequest, JSON.parse(JSON.stringify(dtmfRequestSchema)))
  for (const p of ['/v1/calls', '/v1/calls/{id}', '/v1/calls/{id}/hangup', '/v1/calls/{id}/dtmf', '/v1/calls/{id}/transfer', '/healthz', '/metrics']) t.ok(doc.paths[p], p)
  t.same(doc.components.securitySchemes.apiKey, { type: 'apiKey', in: 'header', name: 'x-api-key' })
  // The published schema rejects what the API rejects.
  t.throws(() => validate(doc.components.schemas.OriginateRequest, { ...good, to: 'nope' }), ValidationError)
  t.doesNotThrow(() => validate(doc.components.schemas.OriginateRequest, { ...good, to: 'sip:alice@example.com;transport=tls' }))
})
