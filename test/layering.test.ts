// Folder dependencies of src/ (issue 11): lower folders never import upper ones. The only files outside
// a folder that may import everything are the composition root (server.ts, gateway-services.ts, cli.ts,
// index.ts); src/log.ts and src/node-flags.ts are leaves every folder may use.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'

const SRC = path.join(__dirname, '..', 'src')
const LEAVES = new Set(['log.ts', 'node-flags.ts', 'listen-error.ts'])

/** Every relative import of every .ts file under src/, as [from folder, to folder or root file, file]. */
function folderImports (): Array<{ from: string, to: string, file: string }> {
  const out: Array<{ from: string, to: string, file: string }> = []
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) { walk(p); continue }
      if (!e.name.endsWith('.ts')) continue
      const rel = path.relative(SRC, p).split(path.sep)
      if (rel.length < 2) continue   // root files: the composition root and the leaves
      const text = fs.readFileSync(p, 'utf8')
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const resolved = path.resolve(path.dirname(p), m[1])
        const target = path.relative(SRC, resolved).split(path.sep)
        // '../config' is the folder's index; '../log' is a root file.
        const to = target.length < 2 && fs.existsSync(`${resolved}.ts`) ? `${target[0]}.ts` : target[0]
        if (to !== rel[0]) out.push({ from: rel[0], to, file: rel.join('/') })
      }
    }
  }
  walk(SRC)
  return out
}

function cycles (edges: Array<{ from: string, to: string }>): string[][] {
  const graph = new Map<string, Set<string>>()
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, new Set())
    graph.get(e.from)?.add(e.to)
  }
  const found: string[][] = []
  const visit = (node: string, stack: string[]): void => {
    const i = stack.indexOf(node)
    if (i >= 0) { found.push([...stack.slice(i), node]); return }
    if (stack.length > graph.size) return
    for (const next of graph.get(node) ?? []) visit(next, [...stack, node])
  }
  for (const start of graph.keys()) visit(start, [])
  return found
}

const imports = folderImports()

t.test('the walk sees the imports it checks', async t => {
  t.ok(imports.some(e => e.from === 'call' && e.to === 'engine'), 'call → engine is seen')
  t.ok(imports.some(e => e.from === 'transfer' && e.to === 'trunk'), 'transfer → trunk is seen')
})

t.test('folders import root files only where they are leaves (log, node flags, listen error), never the composition root', async t => {
  const bad = imports.filter(e => e.to.endsWith('.ts') && !LEAVES.has(e.to))
  t.same(bad.map(e => `${e.file} → ${e.to}`), [])
})

// The call model's folders (issue 11). sip ↔ config is the SIP stack's own matter, outside this check.
const CALL_MODEL = new Set(['call', 'outbound', 'transfer', 'trunk', 'records', 'api', 'engine', 'media'])

t.test('no import cycle between the call model folders (call, outbound, transfer, trunk, records, api, engine, media)', async t => {
  const edges = imports.filter(e => CALL_MODEL.has(e.from) && CALL_MODEL.has(e.to))
  t.same([...new Set(cycles(edges).map(c => c.join(' → ')))], [])
})

t.test('the API imports nothing from src/sip; records import neither calls nor the API; trunk and transfer never the call layer', async t => {
  const forbidden: Array<[string, string]> = [['api', 'sip'], ['records', 'call'], ['records', 'api'], ['trunk', 'call'], ['trunk', 'transfer'],
    ['trunk', 'outbound'], ['transfer', 'call'], ['transfer', 'outbound'], ['engine', 'call']]
  const bad = imports.filter(e => forbidden.some(([from, to]) => e.from === from && e.to === to))
  t.same(bad.map(e => `${e.file} → ${e.to}`), [])
})

t.test('proto-shaped engine messages stay in the gRPC code of src/engine', async t => {
  const users: string[] = []
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) { walk(p); continue }
      if (e.name.endsWith('.ts') && /from '[^']*engine-(messages|client)'/.test(fs.readFileSync(p, 'utf8'))) users.push(path.relative(SRC, p))
    }
  }
  walk(SRC)
  t.same(users.filter(f => !f.startsWith('engine/')), [], 'only src/engine uses the proto message types and the gRPC client')
})
