// The trunkgate command as an operator runs it: a real child process, real sockets, real signals.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { main } from '../../src/cli'

const root = path.resolve(__dirname, '..', '..')
const cli = path.join(root, 'src', 'cli.ts')

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs the CLI under the same TypeScript loader tap uses; `onStdout` may signal the child. */
function runCli (args: string[], opts: { onStdout?: (all: string, child: ReturnType<typeof spawn>) => void; timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    delete env.TRUNKGATE_LOG_LEVEL
    // Type-checking is tsc's job (npm test runs it); the child only needs to run.
    env.TS_NODE_TRANSPILE_ONLY = '1'
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...process.execArgv, cli, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); opts.onStdout?.(stdout, child) })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000)
    child.once('error', reject)
    child.once('close', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

/** In-process run of main() for the cases that end before the server would run. */
async function runMain (args: string[]): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const code = await main(args, {
    stdout: s => { stdout += s },
    stderr: s => { stderr += s },
    logger: pino({ level: 'silent' }),
    waitForStop: async () => 'test'
  })
  return { code, stdout, stderr }
}

function tempConfig (t: Test, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-cli-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'trunkgate.yaml')
  fs.writeFileSync(file, text)
  return file
}

const loopbackConfig = (tcpPort: number, tls: boolean): string => `
sip:
  listen:
    tcp: {host: 127.0.0.1, port: ${tcpPort}}
${tls ? '    tls: {host: 127.0.0.1, port: 0}' : ''}
trunks:
  - name: dev
    inbound: {acl: [0.0.0.0/0]}
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
`

t.test('--help prints usage and exits 0', async t => {
  const r = await runCli(['--help'])
  t.equal(r.code, 0)
  t.match(r.stdout, /^Usage: trunkgate --config FILE/)
  t.match(r.stdout, /Exit codes:/)
})

t.test('usage errors exit 64 with the usage text on stderr', async t => {
  for (const args of [[], ['--bogus'], ['--config']]) {
    const r = await runMain(args)
    t.equal(r.code, 64, `args ${JSON.stringify(args)}`)
    t.match(r.stderr, /Usage: trunkgate --config FILE/)
  }
})

t.test('configuration errors exit 78 naming the field', async t => {
  const file = tempConfig(t, loopbackConfig(0, false).replace('acl: [0.0.0.0/0]', 'acl: [0.0.0.0/99]'))
  const r = await runMain(['--config', file])
  t.equal(r.code, 78)
  t.match(r.stderr, /config: trunks\[0\]\.inbound\.acl\[0\]: "0\.0\.0\.0\/99" is not an IPv4\/IPv6 address or CIDR/)
  const missing = await runMain(['--config', path.join(os.tmpdir(), 'no-such-trunkgate.yaml')])
  t.equal(missing.code, 78)
  t.match(missing.stderr, /cannot read/)
})

t.test('--check validates config/default.yaml', async t => {
  const r = await runMain(['--check', '--config', path.join(root, 'config', 'default.yaml')])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /configuration OK \(1 trunk\(s\), 1 number\(s\)\)/)
})

t.test('--check FILE works without --config (the README and CI run `npx trunkgate --check config/default.yaml`)', async t => {
  const r = await runMain(['--check', path.join(root, 'config', 'default.yaml')])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /configuration OK/)
  const stray = await runMain(['--config', path.join(root, 'config', 'default.yaml'), 'extra.yaml'])
  t.equal(stray.code, 64, 'a positional file is only taken by --check')
  t.match(stray.stderr, /Unexpected argument 'extra\.yaml'/)
  t.equal((await runMain(['--check', 'a.yaml', 'b.yaml'])).code, 64, 'one file at most')
})

t.test('starts, logs listening addresses and the development-certificate warning, stops on SIGTERM with 0', async t => {
  const file = tempConfig(t, loopbackConfig(0, true))
  let signalled = false
  const r = await runCli(['--config', file], {
    onStdout: (all, child) => {
      if (!signalled && all.includes('trunkgate ready')) { signalled = true; child.kill('SIGTERM') }
    }
  })
  t.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trim().split('\n').map(l => JSON.parse(l) as { msg: string; level: number; port?: number })
  const tcp = lines.find(l => /^listening on sip TCP 127\.0\.0\.1:\d+$/.test(l.msg))
  const tls = lines.find(l => /^listening on sip TLS 127\.0\.0\.1:\d+$/.test(l.msg))
  t.ok(tcp && tcp.port! > 0, 'TCP address logged with the real port')
  t.ok(tls && tls.port! > 0, 'TLS address logged with the real port')
  t.ok(lines.some(l => l.level === 40 && /SELF-SIGNED DEVELOPMENT certificate/i.test(l.msg)), 'development certificate warning')
  t.ok(lines.some(l => l.level === 40 && /accepts calls from any address without digest auth/.test(l.msg)), 'open trunk warning')
  t.ok(lines.some(l => l.msg === 'stopping'), 'logs the stop')
  t.ok(lines.some(l => l.level === 40 && /node started without --initial-old-space-size=128/.test(l.msg)), 'warns that node runs without the heap flag')
})

t.test('started the way its shebang starts it, the CLI runs without the heap-flag warning', async t => {
  // The shebang's flags, as `env -S` passes them to node: node must accept them, and the CLI then
  // has nothing to warn about.
  const shebang = fs.readFileSync(cli, 'utf8').split('\n')[0]
  const m = /^#!\/usr\/bin\/env -S node((?: --[a-z-]+=\S+)+)$/.exec(shebang)
  t.ok(m, `shebang passes node flags: ${shebang}`)
  const nodeArgs = m![1].trim().split(' ')
  const file = tempConfig(t, loopbackConfig(0, false))
  let signalled = false
  const r = await runCli(['--config', file], {
    nodeArgs,
    onStdout: (all, child) => {
      if (!signalled && all.includes('trunkgate ready')) { signalled = true; child.kill('SIGTERM') }
    }
  })
  t.equal(r.code, 0, r.stderr)
  t.ok(r.stdout.includes('trunkgate ready'), 'started')
  t.notOk(r.stdout.includes('node started without'), 'no heap-flag warning')
})

t.test('a port in use exits 69', async t => {
  const blocker = net.createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => blocker.close())
  const port = (blocker.address() as net.AddressInfo).port
  const r = await runMain(['--config', tempConfig(t, loopbackConfig(port, false))])
  t.equal(r.code, 69, r.stderr)
  t.match(r.stderr, /cannot start: .*EADDRINUSE/)
})

t.test('--version prints the package version and exits 0', async t => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }
  for (const flag of ['--version', '-v']) {
    const r = await runMain([flag])
    t.equal(r.code, 0)
    t.equal(r.stdout, `trunkgate ${pkg.version}\n`)
  }
  const help = await runMain(['--help'])
  t.match(help.stdout, /--version/)
})

t.test('every configuration error of a file is printed in one run (exit 78), each with its field', async t => {
  const file = tempConfig(t, loopbackConfig(0, false)
    .replace('acl: [0.0.0.0/0]', 'acl: [0.0.0.0/99]')
    .replace('{id: demo, name: Demo}', '{id: demo, nmae: Demo}'))
  const r = await runMain(['--check', '--config', file])
  t.equal(r.code, 78)
  t.match(r.stderr, /config: 3 errors:/)
  t.match(r.stderr, /trunks\[0\]\.inbound\.acl\[0\]: "0\.0\.0\.0\/99" is not an IPv4\/IPv6 address/)
  t.match(r.stderr, /agents\[0\]\.nmae: unknown field/)
  t.match(r.stderr, /agents\[0\]\.name: is required/)
})

t.test('a minimal configuration (one trunk, one number, one agent) passes --check', async t => {
  const file = tempConfig(t, `trunks: [{name: carrier, inbound: {acl: [203.0.113.0/24]}}]
phone_numbers: [{number: '+15550100', agent: support}]
agents: [{id: support, name: Support}]
`)
  const r = await runMain(['--check', '--config', file])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /configuration OK \(1 trunk\(s\), 1 number\(s\)\)/)
})

t.test('the control API or demo-engine port in use exits 69 naming the field, without stray gRPC output', async t => {
  const blocker = net.createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => blocker.close())
  const port = (blocker.address() as net.AddressInfo).port
  const api = await runCli(['--config', tempConfig(t, loopbackConfig(0, false) +
    `api: {listen: {host: 127.0.0.1, port: ${port}}, keys: [a-key-of-sixteen-chars]}\nengine: {demoPort: 0}\n`)], { timeoutMs: 50_000 })
  t.equal(api.code, 69, api.stderr)
  t.equal(api.stderr, `trunkgate: cannot start: control API (api.listen) cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`)
  t.notMatch(api.stdout, /cannot start the SIP server/)
  const demo = await runCli(['--config', tempConfig(t, loopbackConfig(0, false) + `engine: {demoPort: ${port}}\n`)], { timeoutMs: 50_000 })
  t.equal(demo.code, 69, demo.stderr)
  t.equal(demo.stderr, `trunkgate: cannot start: embedded demo engine (engine.demoPort) cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`,
    'one line on stderr: no grpc-js "E No address added" line')
})

t.test('log.format: pretty writes readable lines, json one JSON object per line', async t => {
  for (const format of ['pretty', 'json']) {
    let signalled = false
    const r = await runCli(['--config', tempConfig(t, loopbackConfig(0, false) + `engine: {demoPort: 0}\nlog: {format: ${format}}\n`)], {
      timeoutMs: 50_000,
      onStdout: (all, child) => {
        if (!signalled && all.includes('trunkgate ready')) { signalled = true; child.kill('SIGTERM') }
      }
    })
    t.equal(r.code, 0, r.stderr)
    const ready = r.stdout.split('\n').find(l => l.includes('trunkgate ready'))!
    if (format === 'json') {
      t.equal((JSON.parse(ready) as { msg: string }).msg, 'trunkgate ready')
    } else {
      t.match(ready, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: trunkgate ready /, ready)
      t.throws(() => JSON.parse(ready))
    }
  }
})
