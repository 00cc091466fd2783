import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import type { SipMessage, SipRequest } from '../../../src/sip/message/types'
import { parseMessage } from '../../../src/sip/parser/parser'
import { SipAgent } from '../../../src/sip/ua/sip-agent'
import type { ServerResponse } from '../../../src/sip/transaction/server-response'
import { FakeClock } from '../../fixtures/sip/fake-clock'
import { FakeSender, SOURCE, flush, silentLogger } from '../../fixtures/sip/fake-sender'

// Every RFC 4475 torture message the parser accepts goes through the transaction layer and the UA core: nothing
// may throw, and every request other than ACK gets an answer (a precise status or the listener's), never silence.
const DIR = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors', 'sip', 'rfc4475')

t.test('RFC 4475 messages through TransactionLayer + SipAgent: no crash, every request answered', async (t) => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.dat')).sort()
  t.ok(files.length >= 49, 'torture messages present')
  let parsed = 0
  for (const f of files) {
    let msg: SipMessage
    try {
      msg = parseMessage(fs.readFileSync(path.join(DIR, f)))
    } catch {
      continue // rejected by the parser: the transport answers those (its own tests)
    }
    parsed++
    const sender = new FakeSender()
    const clock = new FakeClock()
    const agent = new SipAgent({ transport: sender, clock, logger: silentLogger })
    agent.on('invite', (_req: SipRequest, res: ServerResponse) => { res.send(486, 'Busy Here') })
    t.doesNotThrow(() => agent.receive(msg, SOURCE), `${f}: receive does not throw`)
    await flush()
    if (msg.kind === 'request' && msg.method !== 'ACK') {
      const finals = sender.responses().filter((r) => r.status >= 200)
      t.equal(finals.length, 1, `${f}: ${msg.method} got exactly one final response (${finals.map((r) => r.status).join(',')})`)
      const expected: Record<string, number> = {
        'esc02.dat': 501, // RE%47IST%45R is an unknown method (§3.1.1.5)
        'unkscm.dat': 416, // §3.3.1 unknown Request-URI scheme
        'novelsc.dat': 416, // §3.3.2
        'invut.dat': 415, // §3.3.13 unknown body type
        'sdp01.dat': 406, // §3.3.14 Accept excludes SDP
        'bext01.dat': 420, // §3.3.10 Require with unknown option tags
        'regaut01.dat': 405 // §3.3.12 a UA that is not a registrar
      }
      if (expected[f] !== undefined) t.equal(finals[0]?.status, expected[f], `${f}: RFC 4475 expects ${expected[f]}`)
    } else {
      t.equal(sender.responses().length, 0, `${f}: ${msg.kind === 'response' ? 'stray response' : 'ACK'} answered with nothing`)
    }
    clock.tick(64 * 500)
    agent.close()
  }
  t.ok(parsed > 20, `${parsed} messages accepted by the parser were exercised`)
})
