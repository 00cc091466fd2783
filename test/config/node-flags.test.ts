// Every way the gateway is started passes the same node flags (src/node-flags.ts says why they matter).
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { GATEWAY_NODE_FLAGS, missingNodeFlags } from '../../src/node-flags'

const root = path.resolve(__dirname, '..', '..')
const read = (f: string): string => fs.readFileSync(path.join(root, f), 'utf8')

t.test('the trunkgate shebang, npm start and the Docker entrypoint carry GATEWAY_NODE_FLAGS', async t => {
  t.ok(GATEWAY_NODE_FLAGS.length > 0)
  const flags = GATEWAY_NODE_FLAGS.join(' ')
  t.equal(read('src/cli.ts').split('\n')[0], `#!/usr/bin/env -S node ${flags}`, 'cli.ts shebang')
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>, bin: Record<string, string> }
  t.match(pkg.scripts.start, new RegExp(`^node ${flags} dist/src/cli\\.js `), 'npm start')
  // Benchmarks that run the gateway in their own process (call, records) measure it as it runs.
  t.match(pkg.scripts.bench, new RegExp(`&& node ${flags} dist/test/bench/run\\.js$`), 'npm run bench')
  t.equal(pkg.bin.trunkgate, 'dist/src/cli.js', 'the bin is the file with the shebang')
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(read('docker/Dockerfile'))
  t.ok(entry, 'Dockerfile has an exec-form ENTRYPOINT')
  // The image runs the trunkgate command (signals reach node directly); its shebang, checked above, carries the flags.
  t.same(JSON.parse(entry![1]), ['trunkgate'], 'Docker entrypoint is the trunkgate command')
  t.match(read('docker/Dockerfile'), /ln -s \/app\/dist\/src\/cli\.js \/usr\/local\/bin\/trunkgate/, 'which is dist/src/cli.js, the file with the shebang')
})

t.test('missingNodeFlags accepts the flag with any value and nothing else', async t => {
  t.same(missingNodeFlags([]), ['--initial-old-space-size=128'])
  t.same(missingNodeFlags(['--initial-old-space-size=128']), [])
  t.same(missingNodeFlags(['--inspect', '--initial-old-space-size=512']), [], 'an operator may choose a larger floor')
  t.same(missingNodeFlags(['--initial-old-space-size']), ['--initial-old-space-size=128'], 'no value is not the flag')
  t.same(missingNodeFlags(['--max-old-space-size=128']), ['--initial-old-space-size=128'], 'another flag is not the flag')
})
