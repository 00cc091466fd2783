// `npm run bench -- <name> [args]`: runs test/bench/<name>.ts (or <name>/index.ts), which prints `key value` lines.
// Benchmarks are never part of `npm test`: performance is reported, not asserted by timed unit tests.
import fs from 'node:fs'
import path from 'node:path'

async function main (): Promise<void> {
  const [name, ...args] = process.argv.slice(2)
  const dir = __dirname
  const available = fs.readdirSync(dir)
    .filter(f => (f.endsWith('.js') && f !== 'run.js') || fs.existsSync(path.join(dir, f, 'index.js')))
    .map(f => f.replace(/\.js$/, ''))
  if (!name || !available.includes(name)) {
    console.error(`usage: npm run bench -- <${available.join('|')}> [args]`)
    process.exitCode = 2
    return
  }
  const mod = require(path.join(dir, name)) as { run: (args: string[]) => Promise<void> }
  await mod.run(args)
}

main().catch(err => { console.error(err); process.exitCode = 1 })
