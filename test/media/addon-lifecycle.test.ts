// Per-addon state and cleanup (STYLE.md: no globals, AddCleanupHook): the addon loaded in a worker
// thread gets its own engine; when that thread ends without close(), the cleanup hook stops the
// media threads and frees the RTP ports. Also: the media clock does not drift.
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'

const addonPath = process.env.TRUNKGATE_MEDIA_ADDON ?? path.resolve(__dirname, '..', '..', 'build', 'Release', 'trunkgate_media.node')

t.test('an engine in a worker thread is stopped by the cleanup hook when the thread exits', async t => {
  const code = `
    const { parentPort } = require('node:worker_threads')
    const addon = require(${JSON.stringify(addonPath)})
    const engine = new addon.MediaEngine({ minPort: 29500, maxPort: 29503, bindAddress: '127.0.0.1', advertiseAddress: '127.0.0.1', threads: 2 }, () => {})
    const a = engine.createLeg({})
    const b = engine.createLeg({})
    engine.legSetRemote(a.id, '127.0.0.1', b.port, '127.0.0.1', b.port + 1)
    parentPort.postMessage([a.port, b.port])
    setTimeout(() => process.exit(0), 200)  // exit without close(): only the cleanup hook can stop it
  `
  const w = new Worker(code, { eval: true })
  const ports = await new Promise<number[]>((resolve, reject) => { w.once('message', resolve); w.once('error', reject) })
  t.same(ports, [29500, 29502], 'the worker engine took the whole range')
  const exitCode = await new Promise<number>(resolve => w.once('exit', resolve))
  t.equal(exitCode, 0, 'the worker thread exited cleanly')
  const engine = new MediaEngine({ portRange: [29500, 29503], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => engine.close())
  const legs = [engine.createLeg(), engine.createLeg()]
  t.same(legs.map(l => l.localPort), [29500, 29502], 'its sockets were closed, so the ports are free again')
})

t.test('engines closed and garbage-collected before exit leave no cleanup hook behind (process exits cleanly)', async t => {
  // The destructor must unregister exactly the hook the constructor registered; a mismatch leaves a hook
  // that runs on freed memory at environment teardown (SIGSEGV/SIGABRT at exit, seen in long e2e files).
  const code = `
    const addon = require(${JSON.stringify(addonPath)})
    for (let i = 0; i < 40; i++) {
      const engine = new addon.MediaEngine({ minPort: 29700, maxPort: 29799, bindAddress: '127.0.0.1', advertiseAddress: '127.0.0.1', threads: 1 }, () => {})
      engine.createLeg({})
      engine.close()
    }
    for (let i = 0; i < 5; i++) { global.gc(); const junk = []; for (let j = 0; j < 20000; j++) junk.push({ j, s: 'x'.repeat(64) }) }
    global.gc()
  `
  const { spawnSync } = await import('node:child_process')
  for (let run = 0; run < 3; run++) {
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', code], { encoding: 'utf8', timeout: 30000 })
    t.same({ status: r.status, signal: r.signal }, { status: 0, signal: null }, `run ${run + 1}: clean exit ${r.stderr.slice(0, 300)}`)
  }
})

t.test('the 20 ms media clock keeps absolute time (no drift over 3 s)', async t => {
  const engine = new MediaEngine({ portRange: [29600, 29699], bindAddress: '127.0.0.1', threads: 2 })
  t.teardown(() => engine.close())
  await new Promise(resolve => setTimeout(resolve, 100))
  const t0 = process.hrtime.bigint()
  const ticks0 = engine.stats().workers.map(w => w.ticks + w.skippedTicks)
  await new Promise(resolve => setTimeout(resolve, 3000))
  const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6
  const ticks = engine.stats().workers.map((w, i) => w.ticks + w.skippedTicks - ticks0[i])
  for (const n of ticks) t.ok(Math.abs(n - elapsedMs / 20) <= 2, `${n} ticks in ${elapsedMs.toFixed(0)} ms`)
})
