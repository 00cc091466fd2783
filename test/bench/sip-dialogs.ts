// `npm run bench -- sip-dialogs [transactions] [calls]`: throughput of the transaction layer (INVITE server
// transactions: INVITE → 100 → 200, ACK matched) and of full UAC↔UAS calls (INVITE/200/ACK/BYE/200, every message
// serialized and re-parsed) between two SipAgents on an in-memory wire. Bounded loops; prints `key value` lines.
import { performance } from 'node:perf_hooks'
import type { SipRequest } from '../../src/sip/message/types'
import { createResponse } from '../../src/sip/message/factory'
import { TransactionLayer, type ServerTransaction } from '../../src/sip/transaction/transaction-layer'
import type { ServerResponse } from '../../src/sip/transaction/server-response'
import { FakeSender, SOURCE, makeRequest, silentLogger } from '../fixtures/sip/fake-sender'
import { FakeClock } from '../fixtures/sip/fake-clock'
import { agentPair, settle, SDP_A, SDP_B } from '../fixtures/sip/agent-pair'

export async function run (args: string[]): Promise<void> {
  const nTx = Number(args[0] ?? 20000)
  const nCalls = Number(args[1] ?? 1000)

  const sender = new FakeSender()
  sender.send = async () => undefined
  const clock = new FakeClock()
  const layer = new TransactionLayer({ sender, clock, logger: silentLogger })
  layer.on('request', (req: SipRequest, tx: ServerTransaction) => {
    tx.respond(createResponse(req, 200, 'OK', { toTag: 'b' }))
  })
  const t0 = performance.now()
  for (let i = 0; i < nTx; i++) {
    const branch = `z9hG4bKbench${i}`
    layer.receive(makeRequest({ method: 'INVITE', branch, callId: `c${i}` }), SOURCE)
    layer.receive(makeRequest({ method: 'ACK', branch: `${branch}a`, callId: `c${i}`, toTag: 'b', cseqMethod: 'ACK' }), SOURCE)
  }
  const txMs = performance.now() - t0
  clock.tick(64 * 500)
  console.log(`invite_server_transactions ${nTx}`)
  console.log(`invite_server_transactions_per_s ${Math.round(nTx / (txMs / 1000))}`)
  console.log(`live_transactions_after_timer_L ${layer.serverCount}`)
  layer.close()

  const p = agentPair({ sessionTimer: false })
  p.bob.on('invite', (req: SipRequest, res: ServerResponse) => { p.bob.createUAS(req, res, { localSdp: SDP_B }).catch(() => undefined) })
  const target = { transport: 'tcp' as const, host: '127.0.0.1', port: 5062 }
  const t1 = performance.now()
  for (let i = 0; i < nCalls; i++) {
    const call = p.alice.createUAC('sip:bob@127.0.0.1:5062;transport=tcp', { localSdp: SDP_A, target })
    await settle(6)
    const dialog = await call
    const bye = dialog.destroy()
    await settle(6)
    await bye
    // Let Timer L / Timer M and the recent-final memory expire so memory stays flat.
    if (i % 100 === 99) p.clock.tick(64 * 500)
  }
  const callMs = performance.now() - t1
  console.log(`calls ${nCalls}`)
  console.log(`calls_per_s ${Math.round(nCalls / (callMs / 1000))}`)
  console.log(`dialogs_left ${p.alice.dialogs.size + p.bob.dialogs.size}`)
  p.alice.close()
  p.bob.close()
}
