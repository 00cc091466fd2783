// Issue 16 item 4: an outbound call ends with the same one-line summary as an inbound one (numbers,
// status, SIP status, media, hang-up cause and side), read from the final record.
import t from 'tap'
import pino from 'pino'
import { Writable } from 'node:stream'
import { startCarrier } from './carrier'
import { startGateway } from './gateway'

t.test('a busy outbound call logs one "call ended" line with its facts', async t => {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); done() } })
  const logger = pino({ level: 'info' }, sink)
  const carrier = await startCarrier({ scenario: 'carrier-final.xml', substitutions: { STATUS: '486', REASON: 'Busy Here' } })
  const gw = await startGateway({ outboundYaml: `address: 127.0.0.1:${carrier.port}\ntransport: tcp\nmedia_encryption: disabled`, opts: { logger } })
  t.teardown(async () => { await gw.close(); await carrier.stop() })
  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  t.equal(res.status, 201, res.text)
  const ended = await gw.waitEnded(res.json.conversation_id)
  t.equal(ended.status, 'busy')
  const summary = lines.filter(l => typeof l.msg === 'string' && l.msg.startsWith('call ended: '))
  t.equal(summary.length, 1, `exactly one summary line: ${JSON.stringify(summary)}`)
  t.equal(summary[0]?.msg, 'call ended: +15550100 -> +15550199 busy (SIP 486) 0 s, no media, hangup user_busy by remote')
  t.match(summary[0], { trunk: 'carrier', status: 'busy', hangupCause: 'user_busy', hangupSide: 'remote' })
})
