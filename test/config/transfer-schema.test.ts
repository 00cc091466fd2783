import t, { type Test } from 'tap'
import { ConfigError } from '../../src/config/schema-builder'
import { transferRule, transferRuleTarget, transferSettings, trunkTransferFields } from '../../src/config/transfer-schema'
import { obj } from '../../src/config/schema-builder'

function expectError (t: Test, fn: () => unknown, fieldPath: string, problem: RegExp): void {
  try {
    fn()
    t.fail(`expected a config error at ${fieldPath}`)
  } catch (err) {
    t.ok(err instanceof ConfigError, 'is a ConfigError')
    t.equal((err as ConfigError).path, fieldPath, `names the field ${fieldPath}`)
    t.match((err as ConfigError).problem, problem)
  }
}

const P = 'agents[0].transfer_rules[1]'

t.test('phone rule: E.164 accepted, conference is the default transfer type', async t => {
  const r = transferRule.check({ transfer_destination: { type: 'phone', phone_number: '+15551234567' }, condition: 'billing' }, P)
  t.same(r, { transfer_destination: { type: 'phone', phone_number: '+15551234567' }, condition: 'billing', transfer_type: 'conference' })
  t.equal(transferRuleTarget(r), '+15551234567')
})

t.test('phone numbers outside E.164 are refused, naming phone_number', async t => {
  for (const bad of ['15551234567', '+0555123', '+1555123456789012', '+1 555 123', '+1', 'tel:+15551234567']) {
    expectError(t, () => transferRule.check({ transfer_destination: { type: 'phone', phone_number: bad }, condition: 'x' }, P),
      `${P}.transfer_destination.phone_number`, /E\.164/)
  }
})

t.test('SIP URI rule with sip_refer: sip: and sips: accepted', async t => {
  for (const uri of ['sip:support@example.com', 'sips:1234567890@example.com:5061;transport=tls', 'sip:pbx.example.com']) {
    const r = transferRule.check({ transfer_destination: { type: 'sip_uri', sip_uri: uri }, condition: 'complaint', transfer_type: 'sip_refer' }, P)
    t.equal(transferRuleTarget(r), uri)
  }
})

t.test('SIP URI syntax and scheme are checked, naming sip_uri', async t => {
  const rule = (sip_uri: string): unknown => ({ transfer_destination: { type: 'sip_uri', sip_uri }, condition: 'x', transfer_type: 'sip_refer' })
  expectError(t, () => transferRule.check(rule('tel:+15551234567'), P), `${P}.transfer_destination.sip_uri`, /must be a sip: or sips: URI/)
  expectError(t, () => transferRule.check(rule('mailto:a@example.com'), P), `${P}.transfer_destination.sip_uri`, /must be a sip: or sips: URI/)
  expectError(t, () => transferRule.check(rule('support@example.com'), P), `${P}.transfer_destination.sip_uri`, /not a valid SIP URI/)
  expectError(t, () => transferRule.check(rule('sip:user@'), P), `${P}.transfer_destination.sip_uri`, /SIP URI|no host/)
})

t.test('a SIP URI destination needs sip_refer (also when transfer_type is left to the default)', async t => {
  expectError(t, () => transferRule.check({ transfer_destination: { type: 'sip_uri', sip_uri: 'sip:a@example.com' }, condition: 'x' }, P),
    `${P}.transfer_type`, /needs transfer_type 'sip_refer'.*got 'conference'/)
  expectError(t, () => transferRule.check({ transfer_destination: { type: 'sip_uri', sip_uri: 'sip:a@example.com' }, condition: 'x', transfer_type: 'conference' }, P),
    `${P}.transfer_type`, /sip_refer/)
})

t.test('destination type, shape mismatches, missing condition and unknown transfer type', async t => {
  expectError(t, () => transferRule.check({ transfer_destination: { type: 'email', phone_number: '+15551234567' }, condition: 'x' }, P),
    `${P}.transfer_destination.type`, /one of 'phone', 'sip_uri'/)
  expectError(t, () => transferRule.check({ transfer_destination: { type: 'phone', sip_uri: 'sip:a@b' }, condition: 'x' }, P),
    `${P}.transfer_destination.sip_uri`, /unknown field/)
  expectError(t, () => transferRule.check({ transfer_destination: '+15551234567', condition: 'x' }, P),
    `${P}.transfer_destination`, /expected a mapping/)
  expectError(t, () => transferRule.check({ transfer_destination: { type: 'phone', phone_number: '+15551234567' } }, P),
    `${P}.condition`, /is required/)
  expectError(t, () => transferRule.check({ transfer_destination: { type: 'phone', phone_number: '+15551234567' }, condition: 'x', transfer_type: 'blind' }, P),
    `${P}.transfer_type`, /one of 'conference', 'sip_refer'/)
})

t.test('trunk REFER fields: allow_refer true and incoming_refer reject_403 by default', async t => {
  const trunk = obj(trunkTransferFields)
  t.same(trunk.check({}, 'trunks[0]'), { allow_refer: true, incoming_refer: 'reject_403' })
  t.same(trunk.check({ allow_refer: false, incoming_refer: 'accept' }, 'trunks[0]'), { allow_refer: false, incoming_refer: 'accept' })
  expectError(t, () => trunk.check({ incoming_refer: 'reject_404' }, 'trunks[0]'), 'trunks[0].incoming_refer', /'accept', 'reject_403', 'reject_405'/)
})

t.test('transfer settings: defaults, bounds, hold file required for type file', async t => {
  const s = transferSettings.check({}, 'transfer')
  t.equal(s.refer_notify_timeout_ms, 30000)
  t.equal(s.hold_audio.type, 'tone')
  t.equal(s.hold_audio.tone_hz, 425)
  expectError(t, () => transferSettings.check({ refer_notify_timeout_ms: 50 }, 'transfer'), 'transfer.refer_notify_timeout_ms', />= 100/)
  expectError(t, () => transferSettings.check({ hold_audio: { type: 'file' } }, 'transfer'), 'transfer.hold_audio.file', /required when type is 'file'/)
  t.equal(transferSettings.check({ hold_audio: { type: 'silence' } }, 'transfer').hold_audio.type, 'silence')
})

t.test('in a full configuration: default.yaml documents the fields, errors name agents[i].transfer_rules[j]', async t => {
  const path = await import('node:path')
  const { loadConfig, parseConfigText } = await import('../../src/config')
  const c = loadConfig(path.resolve(__dirname, '..', '..', 'config', 'default.yaml'))
  t.equal(c.trunks[0].allow_refer, true)
  t.equal(c.trunks[0].incoming_refer, 'reject_403')
  t.same(c.agents[0].transfer_rules, [])
  t.equal(c.transfer.refer_notify_timeout_ms, 30000)
  const yaml = (rules: string): string => `
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks: [{name: t1, inbound: {acl: [127.0.0.1]}, incoming_refer: accept, allow_refer: false}]
agents:
  - id: demo
    name: Demo
    transfer_rules:${rules}
transfer: {refer_notify_timeout_ms: 500}
`
  const ok = parseConfigText(yaml(`
      - {transfer_destination: {type: phone, phone_number: '+15551234567'}, condition: billing}
      - {transfer_destination: {type: sip_uri, sip_uri: 'sip:support@example.com'}, condition: complaint, transfer_type: sip_refer}`))
  t.equal(ok.agents[0].transfer_rules.length, 2)
  t.equal(ok.agents[0].transfer_rules[0].transfer_type, 'conference')
  t.equal(ok.trunks[0].incoming_refer, 'accept')
  t.equal(ok.trunks[0].allow_refer, false)
  t.equal(ok.transfer.refer_notify_timeout_ms, 500)
  expectError(t, () => parseConfigText(yaml(`
      - {transfer_destination: {type: phone, phone_number: '+15551234567'}, condition: billing}
      - {transfer_destination: {type: sip_uri, sip_uri: 'sip:support@example.com'}, condition: complaint}`)),
  'agents[0].transfer_rules[1].transfer_type', /sip_refer/)
  expectError(t, () => parseConfigText(yaml(`
      - {transfer_destination: {type: phone, phone_number: '555-1234'}, condition: billing}`)),
  'agents[0].transfer_rules[0].transfer_destination.phone_number', /E\.164/)
})
