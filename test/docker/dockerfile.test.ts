// The Docker files cannot be built here (no Docker engine in CI): what can drift from the code is
// checked as text against the configuration and the package.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { loadConfig } from '../../src/config'

const root = path.resolve(__dirname, '..', '..')
const dockerfile = fs.readFileSync(path.join(root, 'docker', 'Dockerfile'), 'utf8')
// The compose cluster's nodes share one definition (x-node); records go to PostgreSQL there.
const compose = YAML.parse(fs.readFileSync(path.join(root, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as {
  'x-node': { environment?: Record<string, string>, volumes?: string[] }
  services: Record<string, { environment?: Record<string, string> }>
}
const config = loadConfig(path.join(root, 'config', 'default.yaml'))
/** The final stage: what the image runs. */
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))

function instruction (name: string): string[] {
  return [...runtime.matchAll(new RegExp(`^${name}\\s+(.*)$`, 'gm'))].map(m => m[1].trim())
}

t.test('EXPOSE matches config/default.yaml: SIP TCP/TLS, the whole RTP range, the control API', async t => {
  const exposed = instruction('EXPOSE').join(' ').split(/\s+/)
  t.ok(exposed.includes(`${config.sip.listen.tcp!.port}/tcp`), 'SIP TCP')
  t.ok(exposed.includes(`${config.sip.listen.tls!.port}/tcp`), 'SIP TLS')
  t.ok(exposed.includes(`${config.media.port_min}-${config.media.port_max}/udp`), `RTP ${config.media.port_min}-${config.media.port_max}/udp in ${exposed.join(' ')}`)
  t.ok(exposed.includes(`${config.api!.listen.port}/tcp`), 'control API')
})

t.test('comments name fields that exist in the configuration', async t => {
  const named = [...dockerfile.matchAll(/\b((?:sip|media|api|records|engine)\.[a-z_.]+[a-z_])/g)].map(m => m[1])
  t.ok(named.length > 0)
  for (const field of named) {
    let v: unknown = config
    for (const k of field.split('.')) v = (v as Record<string, unknown> | undefined)?.[k]
    t.not(v, undefined, `${field} exists in config/default.yaml`)
  }
})

t.test('the entrypoint is the trunkgate command (the package bin, whose shebang passes the heap flag)', async t => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }
  t.same(instruction('ENTRYPOINT'), ['["trunkgate"]'])
  t.match(runtime, new RegExp(`ln -s /app/${pkg.bin.trunkgate.replace(/\./g, '\\.')} /usr/local/bin/trunkgate`))
  t.match(fs.readFileSync(path.join(root, 'src', 'cli.ts'), 'utf8').split('\n')[0], /--initial-old-space-size=128/)
})

t.test('records live on a volume, where default.yaml puts them', async t => {
  const dbDir = path.dirname(config.records?.path ?? "")
  const inImage = path.posix.join('/app', path.relative(root, dbDir))
  t.equal(inImage, '/app/data')
  t.same(instruction('VOLUME'), [`["${inImage}"]`])
})

t.test('the API key comes from the environment (compose requires it; the image holds none)', async t => {
  t.match(compose['x-node'].environment?.TRUNKGATE_API_KEY, /^\$\{TRUNKGATE_API_KEY:\?/)
  t.match(compose.services.node1.environment?.TRUNKGATE_API_KEY, /^\$\{TRUNKGATE_API_KEY:\?/, 'each node gets it')
  t.notMatch(runtime, /^ENV\s+TRUNKGATE_API_KEY/m)
})
