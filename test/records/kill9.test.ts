// kill -9 of a process writing call records under load: after reopening, every call the child reported
// as ended (reported only after finish() returned) is present with exactly the content it was written with.
import t from 'tap'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CallRecordStore } from '../../src/records'
import { expectedEnd, expectedStart } from './fixtures/record-shape'

t.test('kill -9 mid-load loses no record of an ended call', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-records-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'calls.db')
  const child = spawn(process.execPath, [...process.execArgv, path.join(__dirname, 'fixtures', 'record-writer.ts'), file, '100000', '30000'],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  const ended: string[] = []
  let buf = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<NodeJS.Signals | null>(resolve => child.once('exit', (_c, sig) => resolve(sig)))
  const guard = setTimeout(() => child.kill('SIGKILL'), 60000)
  await new Promise<void>(resolve => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) if (l.startsWith('ended ')) ended.push(l.slice(6))
      // Kill while calls are being written: well into the load, never at a quiet moment.
      if (ended.length >= 1000 && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        resolve()
      }
    })
    child.once('exit', () => resolve())
  })
  const signal = await exited
  clearTimeout(guard)
  t.equal(signal, 'SIGKILL', `child killed mid-load (stderr: ${stderr.slice(-500)})`)
  t.ok(ended.length >= 1000, `child reported ${ended.length} ended calls`)

  const store = new CallRecordStore(file)
  t.teardown(() => store.close())
  let intact = 0
  for (const id of ended) {
    const n = Number(id.slice(5))
    const r = store.get(id)
    if (!r) { t.fail(`record ${id} missing after kill -9`); continue }
    const start = expectedStart(n)
    const end = expectedEnd(n)
    const ok = r.status === end.status && r.hangupCause === end.hangupCause && r.hangupSide === end.hangupSide &&
      r.endedAt === end.endedAt && r.agentId === start.agentId && r.fromNumber === start.fromNumber &&
      r.toNumber === start.toNumber && r.sipCallId === start.sipCallId && r.callSid === start.callSid &&
      r.dtmfReceived === end.dtmfReceived && r.dtmfSent === end.dtmfSent &&
      JSON.stringify(r.toolsCalled) === JSON.stringify(end.toolsCalled) &&
      JSON.stringify(r.media) === JSON.stringify(end.media) &&
      JSON.stringify(r.transfer) === JSON.stringify(end.transfer) &&
      (r.answeredAt === null || r.durationMs === r.endedAt - r.answeredAt)
    if (ok) intact++
    else t.fail(`record ${id} altered: ${JSON.stringify(r)}`)
  }
  t.equal(intact, ended.length, 'every reported record intact')
  // Calls the child had begun but not ended are closed by the restart, never left "in progress".
  t.same(store.list({ status: 'in-progress' }), [], 'no call left in progress after restart')
  t.same(store.list({ status: 'ringing' }), [], 'no call left ringing after restart')
  const interrupted = store.list({ status: 'failed', limit: 1000 }).filter(r => r.hangupCause === 'gateway_restart')
  t.ok(interrupted.length >= 1, `calls alive at the kill are closed as failed/gateway_restart (${interrupted.length})`)
  t.ok(interrupted.every(r => r.hangupSide === 'system' && r.endedAt !== null))
})
