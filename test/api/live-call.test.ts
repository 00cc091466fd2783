// A live outbound call through the real server and native media: DTMF from the API arrives as RFC 4733
// events on the carrier's RTP address, RTP we send back is counted into the record's media quality
// (with the loss we caused), the API hang-up sends BYE, and /metrics moves with the calls.
import t from 'tap'
import dgram from 'node:dgram'
import { MediaEngine } from '../../src/media/media-engine'
import { startCarrier } from '../outbound/carrier'
import { startGateway } from '../outbound/gateway'

interface RtpIn { pt: number, seq: number, ts: number, payload: Buffer }

function parseRtp (b: Buffer): RtpIn | null {
  if (b.length < 12 || (b[0] >> 6) !== 2) return null
  const cc = b[0] & 0x0f
  let off = 12 + cc * 4
  if (b[0] & 0x10) off += 4 + b.readUInt16BE(off + 2) * 4
  return { pt: b[1] & 0x7f, seq: b.readUInt16BE(2), ts: b.readUInt32BE(4), payload: b.subarray(off) }
}

function metricValue (text: string, name: string, labels: string): number {
  const line = labels === ''
    ? text.split('\n').find(l => l.startsWith(`${name} `))
    : text.split('\n').find(l => l.startsWith(`${name}{`) && labels.split(',').every(p => l.includes(p)))
  return line ? Number(line.split(' ').pop()) : 0
}

t.test('DTMF, RTP statistics, hang-up and metrics on a live call', async t => {
  const media = new MediaEngine({ portRange: [31000, 31999], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => media.close())
  const rtp = dgram.createSocket('udp4')
  await new Promise<void>(resolve => rtp.bind(0, '127.0.0.1', resolve))
  t.teardown(() => rtp.close())
  const rtpPort = rtp.address().port
  const received: RtpIn[] = []
  let legAddr: { address: string, port: number } | null = null
  rtp.on('message', (msg, rinfo) => {
    legAddr = { address: rinfo.address, port: rinfo.port }
    const p = parseRtp(msg)
    if (p) received.push(p)
  })

  const carrier = await startCarrier({ scenario: 'carrier-answer.xml', substitutions: { RTP_PORT: String(rtpPort) }, timeoutSec: 30 })
  const gw = await startGateway({
    outboundYaml: `address: 127.0.0.1:${carrier.port}\ntransport: tcp\nmedia_encryption: disabled`,
    opts: { services: { media } }
  })
  t.teardown(async () => { await gw.close(); await carrier.stop() })

  const before = (await gw.request('GET', '/metrics')).text
  t.equal(metricValue(before, 'trunkgate_active_calls', 'direction="outbound"'), 0)

  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  t.equal(res.status, 201, res.text)
  const id = res.json.conversation_id
  const early = await gw.request('POST', `/v1/calls/${id}/dtmf`, { digits: '1' })
  // The carrier answers within milliseconds; either the call is still dialling (409) or already up (202).
  t.ok(early.status === 409 || early.status === 202, `DTMF before/at answer: ${early.status}`)
  await gw.waitStatus(id, 'in-progress')
  const during = (await gw.request('GET', '/metrics')).text
  t.equal(metricValue(during, 'trunkgate_active_calls', 'direction="outbound"'), 1, 'active calls gauge counts the live call')

  // RTP from the leg (silence) reaches the carrier address; answer it symmetrically with 100 PCMU
  // packets, skipping 5 sequence numbers (loss the record must show).
  const deadline = Date.now() + 5000
  while (legAddr === null && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  t.ok(legAddr, 'the leg sends RTP to the answered address')
  const addr = legAddr as unknown as { address: string, port: number }
  const ssrc = 0x1234abcd
  for (let i = 0; i < 105; i++) {
    if (i >= 50 && i < 55) continue
    const pkt = Buffer.alloc(12 + 160, 0xff)
    pkt[0] = 0x80; pkt[1] = 0
    pkt.writeUInt16BE(1000 + i, 2); pkt.writeUInt32BE(8000 + i * 160, 4); pkt.writeUInt32BE(ssrc, 8)
    rtp.send(pkt, addr.port, addr.address)
    await new Promise(resolve => setTimeout(resolve, 20))
  }

  const sent = await gw.request('POST', `/v1/calls/${id}/dtmf`, { digits: '7#' })
  t.equal(sent.status, 202, sent.text)
  const events = received.filter(p => p.pt === 101)
  const ends = new Map<number, number>()
  for (const e of events) if (e.payload[1] & 0x80) ends.set(e.ts, e.payload[0])
  const digits = [...ends.entries()].sort((a, b) => a[0] - b[0]).map(([, ev]) => ev)
  t.same(digits.slice(-2), [7, 11], `RFC 4733 events for "7#" arrived (events ${digits.join(',')})`)

  const hang = await gw.request('POST', `/v1/calls/${id}/hangup`)
  t.equal(hang.status, 200, hang.text)
  t.equal(hang.json.status, 'completed')
  t.ok(hang.json.dtmf.sent >= 2, `dtmf sent counted (${hang.json.dtmf.sent})`)
  const q = hang.json.media_quality
  t.ok(q, 'media quality recorded')
  t.ok(q.packets_received >= 95 && q.packets_received <= 100, `packets received ${q.packets_received}`)
  t.equal(q.packets_lost, 5, 'the 5 skipped sequence numbers count as lost')
  t.ok(q.mos > 1 && q.mos <= 4.5, `MOS ${q.mos}`)
  t.ok(q.packets_sent > 0)
  t.equal((await carrier.done).exitCode, 0, 'carrier received our BYE')

  const after = (await gw.request('GET', '/metrics')).text
  t.equal(metricValue(after, 'trunkgate_active_calls', 'direction="outbound"'), 0)
  t.equal(metricValue(after, 'trunkgate_calls_total', 'direction="outbound",status="completed"'), 1)
  t.ok(metricValue(after, 'trunkgate_sip_responses_total', 'code="200",direction="received"') >= 2, '200 to INVITE and BYE counted')
  t.ok(metricValue(after, 'trunkgate_sip_responses_total', 'code="183",direction="received"') >= 1)
  t.equal(metricValue(after, 'trunkgate_rtp_packets_lost_total', ''), 5)
  t.ok(metricValue(after, 'trunkgate_rtp_packets_total', 'direction="received"') >= 95)
  t.match(after, /trunkgate_rtp_jitter_ms_count 1/)
  t.match(after, /trunkgate_engine_round_trip_seconds/)
  t.match(after, /trunkgate_webhook_latency_seconds/)
})
