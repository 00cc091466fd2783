import t from 'tap'
import { systemVariables, engineVariables, llmVisibleVariables, toDynamicVariableMessages, isoInTimezone } from '../../../src/call/personalization/system-variables'
import { callIdentity, userOfNameAddr } from '../../../src/call/personalization/call-identity'

const ANSWERED = Date.UTC(2026, 10, 24, 4, 0, 0)

t.test('system variables at call start and at tool time', async t => {
  const ctx = { agentId: 'agent-1', callerId: '+15550100', calledNumber: '+15550199', conversationId: 'conv-9', callSid: 'CA1', timezone: 'Europe/Paris', answeredAtMs: ANSWERED }
  const atStart = systemVariables(ctx, ANSWERED)
  t.same(atStart, {
    system__agent_id: 'agent-1',
    system__current_agent_id: 'agent-1',
    system__caller_id: '+15550100',
    system__called_number: '+15550199',
    system__call_duration_secs: 0,
    system__time_utc: '2026-11-24T04:00:00.000Z',
    system__time: '2026-11-24T05:00:00+01:00',
    system__timezone: 'Europe/Paris',
    system__conversation_id: 'conv-9',
    system__call_sid: 'CA1'
  })
  const later = systemVariables(ctx, ANSWERED + 83_900)
  t.equal(later.system__call_duration_secs, 83, 'duration follows the clock, whole seconds')
  t.equal(later.system__time_utc, '2026-11-24T04:01:23.900Z')
  t.equal(systemVariables({ ...ctx, answeredAtMs: null }, ANSWERED + 5000).system__call_duration_secs, 0, 'not answered yet')
  const noSid = systemVariables({ ...ctx, callSid: null, timezone: 'Not/AZone', currentAgentId: 'agent-2' }, ANSWERED)
  t.notOk('system__call_sid' in noSid, 'call_sid only for Twilio calls')
  t.equal(noSid.system__timezone, 'UTC', 'invalid zone falls back to UTC')
  t.equal(noSid.system__time, '2026-11-24T04:00:00+00:00')
  t.equal(noSid.system__current_agent_id, 'agent-2')
  t.equal(isoInTimezone(Date.UTC(2026, 6, 1, 12, 0, 0), 'America/New_York'), '2026-07-01T08:00:00-04:00', 'DST offset')
  t.equal(isoInTimezone(Date.UTC(2026, 0, 1, 0, 0, 0), 'Asia/Kolkata'), '2026-01-01T05:30:00+05:30', 'half-hour offset')
})

t.test('secret__ variables are flagged and kept away from the LLM view', async t => {
  const vars = engineVariables({ customer_name: 'Ada', secret__api_token: 'tok', n: 3, vip: false }, { system__agent_id: 'a' })
  t.same(vars.filter(v => v.secret).map(v => v.name), ['secret__api_token'])
  t.same(llmVisibleVariables(vars), { customer_name: 'Ada', n: 3, vip: false, system__agent_id: 'a' })
  t.same(toDynamicVariableMessages(vars), [
    { name: 'customer_name', secret: false, string_value: 'Ada' },
    { name: 'secret__api_token', secret: true, string_value: 'tok' },
    { name: 'n', secret: false, number_value: 3 },
    { name: 'vip', secret: false, bool_value: false },
    { name: 'system__agent_id', secret: false, string_value: 'a' }
  ])
})

function lookup (h: Record<string, string>): (name: string) => string | undefined {
  const lower = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]))
  return name => lower.get(name.toLowerCase())
}

t.test('call identity: X-CALL-ID / X-CALLER-ID, Twilio fallback, then From and Call-ID', async t => {
  const base = { From: '"Alice" <sip:%2B15550100@carrier.example;user=phone>;tag=abc', 'Call-ID': 'a84b4c76e66710@pc33' }
  t.same(callIdentity(lookup({ ...base, 'X-CALL-ID': 'ext-1', 'X-CALLER-ID': '+4930123', 'X-Twilio-CallSid': 'CA9' })),
    { call_id: 'ext-1', caller_id: '+4930123', call_sid: 'CA9', source: { callId: 'x-call-id', callerId: 'x-caller-id' } })
  t.same(callIdentity(lookup({ ...base, 'sip.twilio.callSid': 'CA77' })),
    { call_id: 'CA77', caller_id: '+15550100', call_sid: 'CA77', source: { callId: 'twilio', callerId: 'from' } }, 'seed header name')
  t.same(callIdentity(lookup({ ...base, 'x-twilio-callsid': 'CA78' })).call_id, 'CA78', 'Twilio Elastic SIP Trunking header, any case')
  t.same(callIdentity(lookup({ ...base, 'X-CALL-ID': '  ' })),
    { call_id: 'a84b4c76e66710@pc33', caller_id: '+15550100', call_sid: null, source: { callId: 'sip-call-id', callerId: 'from' } }, 'blank header counts as absent')
  t.equal(userOfNameAddr('<tel:+15550100;phone-context=x>'), '+15550100')
  t.equal(userOfNameAddr('sip:bob:secret@host;tag=1'), 'bob', 'password and header params stripped')
  t.equal(userOfNameAddr('"Anonymous" <sip:anonymous@anonymous.invalid>;tag=x'), 'anonymous')
  t.equal(userOfNameAddr('<sip:host.example>'), '', 'no user part')
  t.equal(userOfNameAddr('<sip:50%ZZ@h>'), '50%ZZ', 'a bad escape is kept, not thrown')
})
