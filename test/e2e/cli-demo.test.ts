// The default wiring as `npm start` runs it: the trunkgate CLI (a child process) with the embedded
// demo engine. A SIPp call presses 9 (RFC 4733 from dtmf_2833_9.pcap); the demo engine maps it to
// end_call and the gateway hangs up with BYE.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { describeRun, runSipp, telephoneEventOffer } from '../integration/sipp-runner'
import { E2E_SIPP, PCAP, ROOT } from './helpers'

t.test('CLI with the embedded demo engine: a call, key 9 → end_call → BYE; SIGTERM stops everything', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-cli-demo-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const base = 20000 + 2 * Math.floor(Math.random() * 9000)
  const file = path.join(dir, 'trunkgate.yaml')
  fs.writeFileSync(file, `
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks: [{name: loopback, inbound: {acl: [127.0.0.0/8]}}]
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
engine: {embeddedDemo: true, demoPort: 0}
media: {port_min: ${base}, port_max: ${base + 200}, bind_address: 127.0.0.1}
log: {level: info}
`)
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }
  delete env.TRUNKGATE_LOG_LEVEL
  const child = spawn(process.execPath, [...process.execArgv, path.join(ROOT, 'src', 'cli.ts'), '--config', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const killer = setTimeout(() => child.kill('SIGKILL'), 60000)
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>(resolve => child.once('close', code => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on sip TCP 127\.0\.0\.1:(\d+)/.exec(out)
      if (m && out.includes('trunkgate ready')) { clearInterval(timer); resolve(Number(m[1])) }
      if (child.exitCode !== null) { clearInterval(timer); reject(new Error(out)) }
    }, 50)
  })
  t.match(out, /demo engine listening/, 'the embedded demo engine started')
  t.match(out, /AI call layer ready/)

  const run = await runSipp({
    scenario: path.join(E2E_SIPP, 'uac-until-bye.xml'),
    target: { host: '127.0.0.1', port },
    service: '+15550100',
    timeoutSec: 25,
    substitutions: { SPEECH_PCAP: PCAP('dtmf_2833_9.pcap'), BYE_TIMEOUT_MS: '15000', ...telephoneEventOffer() }
  })
  t.equal(run.successfulCalls, 1, `the gateway hung up after key 9: ${describeRun(run)}`)
  t.match(out, /"tool":"end_call"/, 'the demo engine asked for end_call')

  child.kill('SIGTERM')
  const code = await exited
  clearTimeout(killer)
  t.equal(code, 0, 'clean stop on SIGTERM')
})
