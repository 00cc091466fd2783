// What the engine gets in Start, from agent config + call identity + personalization.
import t from 'tap'
import { parseConfigText } from '../../src/config'
import { toStartMsg } from '../../src/engine/grpc-connector'
import { buildStart, defaultPersonalization, forwardedHeaders, personalizationPolicy, webhookConfig } from '../../src/call/start-message'
import { callIdentity } from '../../src/call/personalization'
import type { SipRequest } from '../../src/sip/message/types'

const config = parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks:
  - name: carrier
    inbound: {acl: [127.0.0.1]}
    forward_headers: [X-Customer-Tier, X-Campaign]
phone_numbers: [{number: '+15550100', agent: sales}]
agents:
  - id: sales
    name: Sales
    timezone: Europe/Paris
    dynamic_variables: [{name: customer_name, placeholder: there}, {name: account_id}]
    pre_call_webhook: {url: 'https://crm.example/pre-call', headers: [{name: Authorization, value: Bearer x}]}
    overrides: {allowed: [first_message, language], on_disallowed: reject}
    on_webhook_failure: reject
`)
const agent = config.agents[0]
const trunk = config.trunks[0]

t.test('agent policy and webhook config come from the agent section', async t => {
  const p = personalizationPolicy('sales', agent)
  t.same(p.dynamicVariables, { customer_name: 'there', account_id: null })
  t.same(p.allowedOverrides, ['first_message', 'language'])
  t.equal(p.onDisallowedOverride, 'reject')
  t.equal(p.onWebhookFailure, 'reject')
  t.same(webhookConfig(agent), { url: 'https://crm.example/pre-call', headers: { Authorization: 'Bearer x' }, timeoutMs: 3000, allowInsecureHttp: false })
  t.equal(webhookConfig(null), null)
  t.same(defaultPersonalization(p).dynamicVariables, { customer_name: 'there' }, 'a declared variable without placeholder is absent, not null')
  t.same(personalizationPolicy('x', null).allowedOverrides, [], 'an unknown agent allows nothing')
})

t.test('forwarded X-* headers: only configured ones, in INVITE order, case-insensitive', async t => {
  const req = { headers: [{ name: 'x-campaign', value: 'spring' }, { name: 'X-Secret', value: 'no' }, { name: 'X-CUSTOMER-TIER', value: 'gold' }] } as unknown as SipRequest
  t.same(forwardedHeaders(req, trunk), [{ name: 'X-Campaign', value: 'spring' }, { name: 'X-Customer-Tier', value: 'gold' }])
})

t.test('Start carries identity, custom + system variables (secrets flagged), overrides, formats, timezone', async t => {
  const headers: Record<string, string> = { 'x-call-id': 'crm-77', from: '<sip:+15557000@carrier>;tag=1', 'call-id': 'abc@host', 'x-twilio-callsid': 'CA123' }
  const identity = callIdentity(n => headers[n.toLowerCase()])
  const start = toStartMsg(buildStart({
    conversationId: 'conv_1', agentId: 'sales', agent, identity, calledNumber: '+15550100',
    personalization: { dynamicVariables: { customer_name: 'Ada', secret__pin: '1234' }, overrides: { first_message: 'Hi' }, usedDefaults: false, userId: 'u1', customLlmExtraBody: { k: 1 } },
    sipHeaders: [{ name: 'X-Campaign', value: 'spring' }],
    nowMs: Date.UTC(2026, 0, 15, 12, 0, 0)
  }), Date.UTC(2026, 0, 15, 12, 0, 0))
  t.match(start, {
    conversation_id: 'conv_1', agent_id: 'sales', direction: 'CALL_DIRECTION_INBOUND', caller_id: '+15557000',
    called_number: '+15550100', call_id: 'crm-77', call_sid: 'CA123', overrides: { first_message: 'Hi' }, user_id: 'u1',
    custom_llm_extra_body_json: '{"k":1}', timezone: 'Europe/Paris',
    input_format: { encoding: 'AUDIO_ENCODING_PCM_S16LE', sample_rate: 16000, frame_ms: 20 }
  })
  const vars = Object.fromEntries(start.dynamic_variables.map(v => [v.name, v]))
  t.match(vars.secret__pin, { secret: true, string_value: '1234' })
  t.match(vars.customer_name, { secret: false, string_value: 'Ada' })
  t.match(vars.system__time, { string_value: '2026-01-15T13:00:00+01:00' }, 'system__time in the agent timezone')
  t.match(vars.system__call_sid, { string_value: 'CA123' })
  t.match(vars.system__conversation_id, { string_value: 'conv_1' })
})
