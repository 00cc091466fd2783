import t, { type Test } from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig, parseConfigText, ConfigError } from '../../src/config'

const root = path.resolve(__dirname, '..', '..')

const minimal = `
sip:
  listen:
    tcp: {host: 127.0.0.1, port: 0}
trunks:
  - name: t1
    inbound: {acl: [127.0.0.1]}
phone_numbers:
  - {number: '+15550100', agent: demo}
agents:
  - {id: demo, name: Demo}
`

function expectError (t: Test, yaml: string, fieldPath: string, problem: RegExp): void {
  try {
    parseConfigText(yaml)
    t.fail(`expected a config error at ${fieldPath}`)
  } catch (err) {
    t.ok(err instanceof ConfigError, 'is a ConfigError')
    // Every problem of the file is reported at once: the expected one is among them, and the
    // message (what the CLI prints) names its field.
    const e = (err as ConfigError).errors.find(x => x.path === fieldPath)
    t.ok(e, `names the field ${fieldPath}`)
    t.match(e?.problem, problem)
    t.match((err as ConfigError).message, (err as ConfigError).errors.length === 1 ? `config: ${fieldPath || '(root)'}: ` : `  ${fieldPath || '(root)'}: `)
  }
}

t.test('config/default.yaml: UDP+TCP 5060 and TLS 5061 on 0.0.0.0, open dev trunk, +15550100 -> demo', async t => {
  const c = loadConfig(path.join(root, 'config', 'default.yaml'))
  t.same(c.sip.listen.udp, { host: '0.0.0.0', port: 5060 })
  t.same(c.sip.listen.tcp, { host: '0.0.0.0', port: 5060 })
  t.equal(c.sip.listen.tls?.host, '0.0.0.0')
  t.equal(c.sip.listen.tls?.port, 5061)
  t.same(c.trunks[0].inbound.acl, ['0.0.0.0/0', '::/0'])
  t.same(c.phone_numbers, [{ number: '+15550100', agent: 'demo' }])
  t.equal(c.agents[0].id, 'demo')
  const text = fs.readFileSync(path.join(root, 'config', 'default.yaml'), 'utf8')
  t.match(text, /Production trunks must narrow/, 'says production trunks must narrow the ACL')
})

t.test('defaults fill absent optional sections', async t => {
  const c = parseConfigText(minimal)
  t.equal(c.sip.maxConcurrentCalls, 100)
  t.equal(c.sip.retryAfterSeconds, 30)
  t.same(c.sip.sessionTimer, { enabled: true, sessionExpires: 1800, minSE: 90 })
  t.equal(c.sip.limits.maxMessageBytes, 65535)
  t.equal(c.sip.onUnknownSource, 'reject')
  t.equal(c.trunks[0].inbound.onAclFail, 'reject')
  t.equal(c.trunks[0].media_encryption, 'allowed')
  t.equal(c.trunks[0].allow_sdes_over_tcp, false)
  t.equal(c.trunks[0].dtmf_inband, 'auto')
  t.same(c.trunks[0].phone_numbers, [])
  t.equal(c.engine.embeddedDemo, true)
  t.equal(c.engine.address, undefined)
  t.equal(c.log.level, 'info')
})

t.test('digest auth defaults to SHA-256 then MD5', async t => {
  const c = parseConfigText(minimal.replace('inbound: {acl: [127.0.0.1]}', 'inbound: {acl: [127.0.0.1], auth: {username: u, password: p}}'))
  t.same(c.trunks[0].inbound.auth, { username: 'u', password: 'p', algorithms: ['SHA-256', 'MD5'] })
})

t.test('errors name the field and the problem', async t => {
  expectError(t, minimal.replace('port: 0', 'port: 70000'), 'sip.listen.tcp.port', /must be <= 65535, got 70000/)
  expectError(t, minimal.replace('inbound: {acl: [127.0.0.1]}', 'inbound: {acl: [127.0.0.1]}\n    dtmf_inband: sometimes'), 'trunks[0].dtmf_inband', /auto.*always.*never/)
  expectError(t, minimal.replace('port: 0', 'port: "5060"'), 'sip.listen.tcp.port', /expected an integer, got the string "5060"/)
  expectError(t, minimal.replace('acl: [127.0.0.1]', 'acl: [10.0.0.0/33]'), 'trunks[0].inbound.acl[0]', /not an IPv4\/IPv6 address or CIDR/)
  expectError(t, minimal.replace('acl: [127.0.0.1]', 'acl: []'), 'trunks[0].inbound.acl', /at least 1 item/)
  expectError(t, minimal.replace('acl: [127.0.0.1]', 'acl: [127.0.0.1], onAclFail: ignore'), 'trunks[0].inbound.onAclFail', /must be one of 'reject', 'drop'/)
  expectError(t, minimal.replace('agent: demo', 'agent: nobody'), 'phone_numbers[0].agent', /unknown agent "nobody"/)
  expectError(t, minimal.replace("agent: demo}", 'agent: demo, trunk: t9}'), 'phone_numbers[0].trunk', /unknown trunk "t9"/)
})

t.test('unknown fields are refused (typos must not fall back to defaults)', async t => {
  expectError(t, minimal.replace('tcp: {host: 127.0.0.1, port: 0}', 'tcp: {host: 127.0.0.1, port: 0}\n  maxConcurentCalls: 5'),
    'sip.maxConcurentCalls', /unknown field/)
})

t.test('missing required fields', async t => {
  expectError(t, minimal.replace(/trunks:[\s\S]*?phone_numbers:/, 'phone_numbers:'), 'trunks', /is required/)
  expectError(t, minimal.replace('name: t1', 'nam: t1'), 'trunks[0].nam', /unknown field/)
  expectError(t, 'sip: {listen: {}}\ntrunks: []', 'sip.listen', /needs at least one of udp, tcp, tls/)
})

t.test('cross-field rules', async t => {
  expectError(t, minimal + "  - {id: demo, name: Again}\n", 'agents[1].id', /duplicate agent id "demo"/)
  expectError(t, minimal.replace('inbound: {acl: [127.0.0.1]}', "inbound: {acl: [127.0.0.1]}\n    phone_numbers: ['+1999']"),
    'trunks[0].phone_numbers[0]', /"\+1999" has no entry in phone_numbers/)
  expectError(t, minimal.replace('inbound: {acl: [127.0.0.1]}', 'inbound: {acl: [127.0.0.1], requireClientCert: true}'),
    'trunks[0].inbound.requireClientCert', /needs sip.listen.tls/)
  expectError(t, minimal.replace('tcp: {host: 127.0.0.1, port: 0}', 'tcp: {host: 127.0.0.1, port: 0}\n  sessionTimer: {sessionExpires: 100, minSE: 200}'),
    'sip.sessionTimer.minSE', /must be <= sessionExpires \(100\)/)
})

t.test('YAML syntax errors give the line', async t => {
  expectError(t, 'sip:\n  listen: [\n', '', /invalid YAML at line/)
  expectError(t, 'sip: 1\nsip: 2\n', '', /invalid YAML/)
})

t.test('loadConfig resolves TLS paths relative to the file and reports unreadable files', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-config-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'c.yaml')
  fs.writeFileSync(file, minimal.replace('tcp: {host: 127.0.0.1, port: 0}', 'tls: {host: 127.0.0.1, port: 0, cert: tls/c.pem, key: tls/k.pem}'))
  const c = loadConfig(file)
  t.equal(c.sip.listen.tls?.cert, path.join(dir, 'tls', 'c.pem'))
  t.throws(() => loadConfig(path.join(dir, 'missing.yaml')), /cannot read/)
})

t.test('every problem of a file is reported in one run, each naming its field', async t => {
  const text = `
sip:
  maxConcurentCalls: 5
  retryAfterSeconds: 0
trunks:
  - name: t1
    inbound: {acl: [127.0.0.1, not-an-address]}
    media_encryption: sometimes
phone_numbers:
  - {number: '+15550100', agent: demo}
agents:
  - {id: demo}
media: {port_min: 20000, port_max: 'x'}
`
  let err: ConfigError | null = null
  try { parseConfigText(text) } catch (e) { err = e as ConfigError }
  t.ok(err instanceof ConfigError)
  t.same(err?.errors.map(e => e.path).sort(), [
    'agents[0].name', 'media.port_max', 'sip.maxConcurentCalls', 'sip.retryAfterSeconds',
    'trunks[0].inbound.acl[1]', 'trunks[0].media_encryption'
  ])
  t.match(err?.message, /^config: 6 errors:\n {2}sip\.maxConcurentCalls: unknown field/)
  // Cross-section rules are all reported too (once the shapes are valid).
  try {
    parseConfigText(minimal.replace('agent: demo}', 'agent: nobody, trunk: t9}') + '  - {id: demo, name: Again}\n')
    t.fail('expected errors')
  } catch (e) {
    t.same((e as ConfigError).errors.map(x => x.path), ['agents[1].id', 'phone_numbers[0].agent', 'phone_numbers[0].trunk'])
  }
})

t.test('a minimal file (one trunk, one number, one agent) is valid: everything else has the defaults of config/default.yaml', async t => {
  const c = parseConfigText(`
trunks:
  - name: carrier
    inbound: {acl: [203.0.113.0/24]}
phone_numbers:
  - {number: '+15550100', agent: support}
agents:
  - {id: support, name: Support}
`)
  const d = loadConfig(path.join(root, 'config', 'default.yaml'))
  t.same(c.sip.listen, { udp: d.sip.listen.udp, tcp: d.sip.listen.tcp, tls: d.sip.listen.tls })
  t.same(c.sip.limits, d.sip.limits)
  t.same(c.media, d.media)
  t.same(c.engine, d.engine)
  t.equal(c.api, undefined, 'no API unless configured')
})
