// kill -9 of the real gateway (the CLI process) while outbound calls run against a SIPp carrier: every
// call the API had shown as ended before the kill is in the database afterwards, intact; the calls that
// were still in flight are closed as failed/gateway_restart when the store is reopened.
import t from 'tap'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CallRecordStore } from '../../src/records'
import { startCarrier } from '../outbound/carrier'

const KEY = 'kill9-key-0123456789abcdef'
const root = path.resolve(__dirname, '..', '..')

t.test('gateway kill -9 mid-load keeps every ended call', async t => {
  const carrier = await startCarrier({ scenario: 'carrier-final.xml', calls: 400, timeoutSec: 60, substitutions: { STATUS: '486', REASON: 'Busy Here' } })
  t.teardown(() => carrier.stop())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-gw-kill-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const db = path.join(dir, 'calls.db')
  const cfg = path.join(dir, 'gateway.yaml')
  fs.writeFileSync(cfg, `
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks:
  - name: carrier
    inbound: {acl: [127.0.0.0/8]}
    outbound: {address: '127.0.0.1:${carrier.port}', transport: tcp, media_encryption: disabled}
phone_numbers: [{number: '+15550100', agent: support}]
agents: [{id: support, name: Support}]
api: {listen: {host: 127.0.0.1, port: 0}, keys: ['${KEY}']}
records: {path: calls.db}
log: {level: info}
`)
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }
  delete env.TRUNKGATE_LOG_LEVEL
  const child = spawn(process.execPath, [...process.execArgv, path.join(root, 'src', 'cli.ts'), '--config', cfg], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<NodeJS.Signals | null>(resolve => child.once('exit', (_c, s) => resolve(s)))
  t.teardown(async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited } })
  let out = ''
  const apiPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no API address in the startup log:\n${out.slice(-3000)}`)), 20000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      for (const line of out.split('\n')) {
        if (!line.includes('control API listening')) continue
        try { clearTimeout(timer); resolve(JSON.parse(line).port) } catch { /* partial line */ }
      }
    })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  })
  const api = `http://127.0.0.1:${apiPort}`
  const headers = { 'x-api-key': KEY, 'content-type': 'application/json' }

  // Keep ~10 calls in flight; record which calls the API shows as ended (read from the database).
  const seenEnded = new Map<string, any>()
  let started = 0
  const deadline = Date.now() + 30000
  while (seenEnded.size < 60 && Date.now() < deadline) {
    const batch = await Promise.all(Array.from({ length: 10 }, () => fetch(`${api}/v1/calls`, { method: 'POST', headers, body: JSON.stringify({ agent_id: 'support', from_number: '+15550100', to: '+15550199' }) })))
    started += batch.filter(r => r.status === 201).length
    const list = await (await fetch(`${api}/v1/calls?status=busy&limit=1000`, { headers })).json() as { calls: any[] }
    for (const c of list.calls) seenEnded.set(c.conversation_id, c)
  }
  // More calls in flight at the moment of the kill.
  await Promise.all(Array.from({ length: 10 }, () => fetch(`${api}/v1/calls`, { method: 'POST', headers, body: JSON.stringify({ agent_id: 'support', from_number: '+15550100', to: '+15550199' }) })))
  child.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL')
  t.ok(seenEnded.size >= 60, `${seenEnded.size} ended calls seen through the API before the kill (${started} started)`)

  const store = new CallRecordStore(db)
  t.teardown(() => store.close())
  let intact = 0
  for (const [id, seen] of seenEnded) {
    const r = store.get(id)
    if (r && r.status === 'busy' && r.sipStatus === 486 && r.hangupCause === 'user_busy' && r.sipCallId === seen.sip_call_id &&
        r.endedAt === Date.parse(seen.ended_at) && r.direction === 'outbound') intact++
    else t.fail(`record ${id} lost or altered: ${JSON.stringify(r)}`)
  }
  t.equal(intact, seenEnded.size, 'every ended call is present and intact after kill -9')
  const active = store.list({ status: 'initiated' }).length + store.list({ status: 'ringing' }).length + store.list({ status: 'in-progress' }).length
  t.equal(active, 0, 'no call left active after reopening')
})
