// agents[].engine (issue 12): each engine type's fields validated with an error naming the field, secrets only
// as names of environment variables, ws:// only to loopback, and --check reporting unset secrets per agent.
import t, { type Test } from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { ConfigError, missingEngineSecrets, parseConfigText } from '../../src/config'
import { main } from '../../src/cli'
import { agentEngine, createEngineConnector, engineConnectors } from '../../src/engine/connectors'
import type { EngineConnector } from '../../src/engine/engine-session'

const base = (engine: string): string => `
sip:
  listen:
    tcp: {host: 127.0.0.1, port: 0}
trunks:
  - name: t1
    inbound: {acl: [127.0.0.1]}
phone_numbers:
  - {number: '+15550100', agent: a1}
agents:
  - id: a1
    name: Agent one
${engine.split('\n').map(l => `    ${l}`).join('\n')}
`

function expectError (t: Test, engine: string, fieldPath: string, problem: RegExp): void {
  try {
    parseConfigText(base(engine))
    t.fail(`expected a config error at ${fieldPath}`)
  } catch (err) {
    t.ok(err instanceof ConfigError, 'is a ConfigError')
    t.equal((err as ConfigError).path, fieldPath)
    t.match((err as ConfigError).problem, problem)
  }
}

t.test('each engine type with its defaults', async t => {
  const el = parseConfigText(base('engine: {type: elevenlabs, agent_id: agent_01abc}')).agents[0].engine
  t.same(el, {
    type: 'elevenlabs', agent_id: 'agent_01abc', base_url: 'wss://api.elevenlabs.io',
    call_variables: { caller_id: 'caller_id', called_number: 'called_number', call_sid: 'call_sid' },
    connect_timeout_ms: 3000, ready_timeout_ms: 5000, allow_insecure_ws: false
  })
  const oai = parseConfigText(base('engine: {type: openai_realtime, instructions: "Be brief."}')).agents[0].engine
  t.match(oai, { type: 'openai_realtime', model: 'gpt-realtime', api_key_env: 'OPENAI_API_KEY', url: 'wss://api.openai.com/v1/realtime', voice: 'marin', turn_detection: { type: 'server_vad' } })
  t.same((oai as { system_tools: string[] }).system_tools, ['transfer_to_number', 'play_keypad_touch_tone', 'skip_turn', 'voicemail_detection', 'end_call'])
  const ms = parseConfigText(base('engine: {type: media_stream, url: "wss://bot.example.com/ws", auth_token_env: BOT_TOKEN}')).agents[0].engine
  t.match(ms, { type: 'media_stream', protocol: 'twilio', url: 'wss://bot.example.com/ws', auth_token_env: 'BOT_TOKEN' })
  t.same(parseConfigText(base('engine: {type: grpc, address: "10.0.0.5:50051"}')).agents[0].engine, { type: 'grpc', address: '10.0.0.5:50051', connect_timeout_ms: 2000, ready_timeout_ms: 3000 })
  t.same(parseConfigText(base('engine: {type: demo}')).agents[0].engine, { type: 'demo' })
  t.equal(parseConfigText(base('greeting: hi')).agents[0].engine, undefined, 'absent: the global engine section')
})

t.test('errors name the field of the engine type meant', async t => {
  expectError(t, 'engine: {type: dialogflow}', 'agents[0].engine.type', /must be one of 'grpc', 'demo', 'elevenlabs', 'openai_realtime', 'media_stream'/)
  expectError(t, 'engine: {agent_id: x}', 'agents[0].engine.type', /is required/)
  expectError(t, 'engine: {type: openai_realtime}', 'agents[0].engine.instructions', /is required/)
  expectError(t, 'engine: {type: elevenlabs, agent_id: a, api_key: sk-123}', 'agents[0].engine.api_key', /unknown field/)
  expectError(t, 'engine: {type: elevenlabs, agent_id: a, api_key_env: "my key"}', 'agents[0].engine.api_key_env', /environment variable name/)
  expectError(t, 'engine: {type: elevenlabs, agent_id: a, call_variables: {caller_id: system__caller_id}}', 'agents[0].engine.call_variables.caller_id', /system__/)
  expectError(t, 'engine: {type: media_stream, url: "https://bot.example.com"}', 'agents[0].engine.url', /wss:\/\//)
  expectError(t, 'engine: {type: media_stream, url: "ws://bot.example.com/ws"}', 'agents[0].engine.url', /unencrypted/)
  expectError(t, 'engine: {type: media_stream, protocol: vonage, url: "wss://b.example.com"}', 'agents[0].engine.protocol', /'twilio'/)
  expectError(t, 'engine: {type: openai_realtime, instructions: x, system_tools: [end_call, hang_up]}', 'agents[0].engine.system_tools[1]', /must be one of/)
  expectError(t, 'engine: {type: grpc}', 'agents[0].engine.address', /is required/)
  // ws:// is fine to loopback, and elsewhere when explicitly allowed.
  t.ok(parseConfigText(base('engine: {type: media_stream, url: "ws://127.0.0.1:8765/ws"}')))
  t.ok(parseConfigText(base('engine: {type: media_stream, url: "ws://bot.lan:8765/ws", allow_insecure_ws: true}')))
})

t.test('unset secrets are reported per agent; --check validates and warns without failing', async t => {
  const c = parseConfigText(base('engine: {type: openai_realtime, instructions: hi, api_key_env: TG_TEST_OAI_KEY}'))
  t.same(missingEngineSecrets(c.agents, {}), ["agents[0].engine (a1, openai_realtime): environment variable TG_TEST_OAI_KEY is not set; this agent's calls will get its engine_unavailable behaviour"])
  t.same(missingEngineSecrets(c.agents, { TG_TEST_OAI_KEY: 'sk' }), [])
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-engine-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'c.yaml')
  fs.writeFileSync(file, base('engine: {type: openai_realtime, instructions: hi, api_key_env: TG_TEST_OAI_KEY}'))
  let out = ''
  let err = ''
  const run = (): Promise<number> => main(['--check', '--config', file], { stdout: s => { out += s }, stderr: s => { err += s }, logger: pino({ level: 'silent' }) })
  t.equal(await run(), 0, err)
  t.match(out, /configuration OK[\s\S]*warning: agents\[0\]\.engine \(a1, openai_realtime\): environment variable TG_TEST_OAI_KEY is not set/)
  fs.writeFileSync(file, base('engine: {type: openai_realtime}'))
  out = ''
  t.equal(await run(), 78)
  t.match(err, /agents\[0\]\.engine\.instructions: is required/)
})

t.test('the factory: one connector per agent engine, the global section as default, gRPC and demo from their owners', async t => {
  const fakeGrpc = { protocol: 'grpc' } as EngineConnector
  const fakeDemo = { protocol: 'demo' } as EngineConnector
  const seen: unknown[] = []
  const deps = { log: pino({ level: 'silent' }), env: {}, grpc: (e: unknown) => { seen.push(e); return fakeGrpc }, demo: () => fakeDemo }
  const c = parseConfigText(base('engine: {type: media_stream, url: "wss://bot.example.com/ws"}'))
  c.agents.push({ ...c.agents[0], id: 'a2', engine: undefined })
  const { engineFor } = engineConnectors(c, deps)
  t.equal(engineFor('a1').protocol, 'media_stream')
  t.equal(engineFor('a2'), fakeDemo, 'no engine section, no global address: the embedded demo')
  t.equal(engineFor('unknown'), fakeDemo)
  const withAddress = { ...c, engine: { ...c.engine, address: '10.1.1.1:50051' } }
  t.equal(engineConnectors(withAddress, deps).engineFor('a2'), fakeGrpc)
  t.same(seen, [{ address: '10.1.1.1:50051', connectTimeoutMs: 2000, readyTimeoutMs: 3000 }])
  t.same(agentEngine(null, c.engine), { type: 'demo' })
  t.equal(createEngineConnector({ type: 'openai_realtime', ...parseConfigText(base('engine: {type: openai_realtime, instructions: x}')).agents[0].engine } as never, deps).protocol, 'openai_realtime')
  t.throws(() => createEngineConnector({ type: 'demo' }, { log: deps.log }), /no demo connector factory/)
})
