// The README's "Quick start" and "A real call" shell blocks, run as written. Substitutions only where
// a shared machine forces them: the gateway's ports (5060/5061/50051 may be taken by parallel tests),
// /tmp paths (made per test) and SIPp's media port. The apt line and `npm ci`/`npm test` are not run
// here (CI runs them), but the apt line must equal .ci/apt-packages, the list CI installs.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import { freePort } from '../integration/sipp-runner'

const root = path.resolve(__dirname, '..', '..')
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')

function section (title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`)
  if (start < 0) throw new Error(`README has no section "${title}"`)
  const end = readme.indexOf('\n## ', start + 4)
  return readme.slice(start, end < 0 ? undefined : end)
}

function shellBlocks (text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map(m => m[1])
}

const quick = shellBlocks(section('Quick start'))
const call = shellBlocks(section('A real call'))

/** Runs a README block with bash from the repository root; the substitutions are applied first. */
function runBlock (block: string, subs: Array<[string, string]>, timeoutMs: number): Promise<{ code: number | null, out: string }> {
  let script = block
  for (const [from, to] of subs) {
    if (!script.includes(from)) throw new Error(`README block no longer contains ${from}:\n${block}`)
    script = script.split(from).join(to)
  }
  return new Promise(resolve => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('close', code => { clearTimeout(timer); resolve({ code, out }) })
  })
}

t.test('Quick start: the apt line installs exactly .ci/apt-packages; npm ci, npm start, npm test as documented', async t => {
  t.equal(quick.length, 1)
  const lines = quick[0].split('\n').map(l => l.replace(/\s+#.*$/, '').trim()).filter(Boolean)
  const apt = /^sudo apt-get install -y (.+)$/.exec(lines[0])
  t.ok(apt, lines[0])
  const ci = fs.readFileSync(path.join(root, '.ci', 'apt-packages'), 'utf8').split('\n').map(l => l.trim()).filter(l => l && !l.startsWith('#'))
  t.same(apt![1].split(/\s+/), ci, 'same packages, same order')
  t.same(lines.slice(1), ['npm ci && npm start', 'npm test'])
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.match(pkg.scripts.start, /dist\/src\/cli\.js --config config\/default\.yaml$/)
  t.match(pkg.scripts.test, /tap$/)
})

t.test('A real call: npm start, then the SIPp recipe ends with the gateway\'s BYE and the baresip recipe negotiates SRTP', async t => {
  t.equal(call.length, 2, 'the SIPp block and the baresip block')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-readme-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  // npm start's command (package.json) on config/default.yaml with free ports; tsc has built dist/ (npm test).
  const tcpPort = await freePort()
  const tlsPort = await freePort()
  const config = YAML.parse(fs.readFileSync(path.join(root, 'config', 'default.yaml'), 'utf8')) as Record<string, any>
  config.sip.listen.tcp.port = tcpPort
  config.sip.listen.tls.port = tlsPort
  config.engine.demoPort = 0
  config.api.listen.port = 0
  config.records.path = path.join(dir, 'calls.db')
  const configFile = path.join(dir, 'default.yaml')
  fs.writeFileSync(configFile, YAML.stringify(config))
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const [node, ...args] = pkg.scripts.start.replace('config/default.yaml', configFile).split(' ')
  t.equal(node, 'node')
  const env: NodeJS.ProcessEnv = { ...process.env, TRUNKGATE_LOG_FORMAT: 'json' }
  delete env.TRUNKGATE_LOG_LEVEL
  delete env.TRUNKGATE_API_KEY
  const gateway: ChildProcess = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  gateway.stdout!.on('data', (d: Buffer) => { log += d.toString() })
  gateway.stderr!.on('data', (d: Buffer) => { log += d.toString() })
  const exited = new Promise<number | null>(resolve => gateway.once('close', code => resolve(code)))
  t.teardown(() => { if (gateway.exitCode === null) gateway.kill('SIGKILL') })
  for (let i = 0; i < 600 && !log.includes('trunkgate ready'); i++) await new Promise(resolve => setTimeout(resolve, 50))
  t.ok(log.includes('trunkgate ready'), 'npm start\'s gateway is ready')

  const sipp = await runBlock(call[0], [
    ['/tmp/ai-call.xml', path.join(dir, 'ai-call.xml')],
    ['-mp 40000', `-mp ${await freePort()}`],
    ['127.0.0.1:5060', `127.0.0.1:${tcpPort}`]
  ], 45_000)
  t.equal(sipp.code, 0, `SIPp scenario passed: the gateway sent BYE (end_call on key 9)\n${sipp.out.slice(-2000)}`)

  const baresipDir = path.join(dir, 'baresip')
  const baresip = await runBlock(call[1], [['/tmp/baresip-trunkgate', baresipDir], ['127.0.0.1:5061', `127.0.0.1:${tlsPort}`]], 45_000)
  t.equal(baresip.code, 0, baresip.out.slice(-2000))
  t.match(fs.readFileSync(path.join(baresipDir, 'config'), 'utf8'), /^module srtp\.so$/m, 'the recipe loads baresip\'s srtp module')

  gateway.kill('SIGTERM')
  t.equal(await exited, 0, 'the gateway stops on SIGTERM')
  const ended = log.split('\n').filter(l => l.includes('"msg":"call ended: ')).map(l => JSON.parse(l) as { msg: string, srtp: string | null, codec: string | null, status: string })
  t.equal(ended.length, 2, log.slice(-3000))
  t.equal(ended[0].srtp, null, 'SIPp: plain RTP')
  t.equal(ended[0].codec, 'PCMA')
  t.match(ended[1].srtp, /^AES_/, `baresip: SRTP negotiated (${ended[1].msg})`)
  t.match(ended[1].msg, / SRTP AES_/)
})
