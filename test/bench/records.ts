// `npm run bench -- records [calls]`: the call records store on this machine's disk.
//   records.finish_per_s      final records per second (WAL, synchronous=FULL: one fsync per call end)
//   records.lifecycle_per_s   whole calls per second (begin, ringing, answered, finish)
//   records.finish_p99_ms     99th percentile of one finish() — the time a call's release waits for its record
//   records.read_per_s        GET-by-id reads per second while the file holds all those calls
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CallRecordStore } from '../../src/records'

export async function run (args: string[]): Promise<void> {
  const calls = Number(args[0] ?? 2000)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-bench-records-'))
  try {
    const store = new CallRecordStore(path.join(dir, 'calls.db'), { outbox: true })
    const finishMs: number[] = []
    const t0 = performance.now()
    for (let i = 0; i < calls; i++) {
      const id = `conv-${i}`
      store.begin({ conversationId: id, agentId: 'a', direction: 'outbound', fromNumber: '+15550100', toNumber: '+15550199', sipCallId: `sip-${i}` })
      store.update(id, { status: 'ringing' })
      store.update(id, { status: 'in-progress', answeredAt: Date.now() })
      const f0 = performance.now()
      store.finish(id, { status: 'completed', hangupCause: 'remote_bye', hangupSide: 'remote', media: { packetsReceived: 1, packetsSent: 1, packetsLost: 0, lossPercent: 0, jitterMs: 1, rttMs: 1, mos: 4.4 } })
      finishMs.push(performance.now() - f0)
    }
    const total = (performance.now() - t0) / 1000
    finishMs.sort((a, b) => a - b)
    const finishTotal = finishMs.reduce((s, x) => s + x, 0) / 1000
    const r0 = performance.now()
    for (let i = 0; i < calls; i++) store.get(`conv-${(i * 7919) % calls}`)
    const reads = calls / ((performance.now() - r0) / 1000)
    store.close()
    console.log(`records.calls ${calls}`)
    console.log(`records.finish_per_s ${Math.round(calls / finishTotal)}`)
    console.log(`records.lifecycle_per_s ${Math.round(calls / total)}`)
    console.log(`records.finish_p50_ms ${finishMs[Math.floor(calls * 0.5)].toFixed(2)}`)
    console.log(`records.finish_p99_ms ${finishMs[Math.floor(calls * 0.99)].toFixed(2)}`)
    console.log(`records.read_per_s ${Math.round(reads)}`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
