// An outbound trunk over UDP (trunks[].outbound.transport: udp): the INVITE leaves with a UDP Via from the UDP
// listener, the carrier's final response is ACKed over UDP, and the outcome lands in the API like over TCP.
import t from 'tap'
import { startCarrier } from './carrier'
import { startGateway } from './gateway'

for (const f of [{ status: 486, reason: 'Busy Here', expect: 'busy' }, { status: 404, reason: 'Not Found', expect: 'rejected' }]) {
  t.test(`UDP trunk: ${f.status} ${f.reason} → ${f.expect}, ACKed over UDP`, async t => {
    const carrier = await startCarrier({ scenario: 'carrier-final.xml', udp: true, substitutions: { STATUS: String(f.status), REASON: f.reason } })
    const gw = await startGateway({ udp: true, outboundYaml: `address: 127.0.0.1:${carrier.port}\ntransport: udp\nmedia_encryption: disabled` })
    t.teardown(async () => { await gw.close(); await carrier.stop() })
    const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
    t.equal(res.status, 201, res.text)
    const ended = await gw.waitEnded(res.json.conversation_id)
    t.equal(ended.status, f.expect)
    t.equal(ended.sip_status, f.status)
    const run = await carrier.done
    t.equal(run.exitCode, 0, `carrier saw the ACK for its ${f.status}: ${run.errors}`)
    t.match(run.messages, /INVITE sip:\+15550199@127\.0\.0\.1:\d+;user=phone;transport=udp SIP\/2\.0\r?\nVia: SIP\/2\.0\/UDP /, 'INVITE over UDP with a UDP Via')
    t.match(run.messages, /ACK [^\r\n]+\r?\nVia: SIP\/2\.0\/UDP /, 'ACK over UDP')
  })
}
