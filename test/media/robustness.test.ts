// Hostile input on the media ports: random datagrams, truncated and inconsistent RTP headers,
// garbage RTCP. Everything is counted and dropped; the leg keeps playing the valid stream.
import crypto from 'node:crypto'
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import { concat, tone, toneLevel } from './audio-tools'
import { RtpPeer } from './rtp-peer'

const engine = new MediaEngine({ portRange: [29700, 29799], bindAddress: '127.0.0.1', threads: 1 })
t.teardown(() => engine.close())

t.test('garbage on the RTP and RTCP ports is counted, never crashes, and does not disturb the call', async t => {
  const leg = engine.createLeg({ inbandDtmf: true })
  const peer = await RtpPeer.create()
  const attacker = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close(); await attacker.close() })
  leg.setCodec({ name: 'PCMU', telephoneEventPayloadType: 101 })
  leg.setRemote('127.0.0.1', peer.port)
  const frames: Int16Array[] = []
  leg.on('frames', ({ pcm }) => frames.push(pcm))
  peer.sendTo('127.0.0.1', leg.localPort)
  peer.stream(i => tone(1000, 20, 8000, 8000, i * 2 * Math.PI * 1000 * 160 / 8000))
  t.teardown(() => peer.stop())
  // RTP-port garbage comes from the peer's own address (spoofed: only the SDP source reaches the parsers,
  // RTP-Bleed), RTCP-port garbage from elsewhere (dropped before any parsing and counted as such).
  const send = (port: number, b: Buffer): void => {
    (port === leg.localPort ? peer.socket : attacker.socket).send(b, port, '127.0.0.1')
  }
  let sent = 0
  for (let i = 0; i < 400; i++) {
    const port = i % 2 === 0 ? leg.localPort : leg.localPort + 1
    const junk = crypto.randomBytes(i % 1500)
    if (port === leg.localPort && junk.length > 0) junk[0] &= 0x3f  // version 0: never valid RTP
    send(port, junk); sent++
    const hdr = Buffer.alloc(12 + (i % 40))
    hdr[0] = 0x8f                     // 15 CSRCs: longer than the packet
    hdr[1] = i % 2 ? 0 : 101
    send(leg.localPort, hdr); sent++
    const padded = Buffer.alloc(20)
    padded[0] = 0xa0; padded[19] = 200 // padding count beyond the payload
    send(leg.localPort, padded); sent++
    const ext = Buffer.alloc(16)
    ext[0] = 0x90; ext.writeUInt16BE(0xffff, 14)  // extension length far past the end
    send(leg.localPort, ext); sent++
    if (i % 50 === 0) await new Promise(resolve => setTimeout(resolve, 5))
  }
  const before = leg.stats().packetsReceived
  await new Promise(resolve => setTimeout(resolve, 600))
  const s = leg.stats()
  // A burst of 200 hostile datagrams every 5 ms is far over the per-tick receive budget of a socket: what
  // the budget reads is parsed and counted, the rest waits in the socket or is dropped by the kernel.
  t.ok(s.malformed >= 200, `malformed datagrams from the peer's address counted (${s.malformed} of ${sent} hostile)`)
  t.ok(engine.stats().workers.some(w => w.receiveBudgetHits > 0), 'the flood hit the receive budget')
  t.ok(s.unexpectedSource >= 150, `garbage from another source dropped unparsed (${s.unexpectedSource})`)
  t.ok(s.packetsReceived - before >= 15, `the valid stream is still received (${s.packetsReceived - before} in 600 ms)`)
  const heard = concat(frames).subarray(-16000 * 0.3)
  t.ok(toneLevel(heard, 1000, 16000) > 5000, `and still played cleanly (${toneLevel(heard, 1000, 16000).toFixed(0)})`)
  t.equal(s.jitterBuffer.resets, 0, 'no hostile packet reached the jitter buffer')
  t.equal(s.dtmfReceived, 0, 'no phantom DTMF from garbage telephone-event packets')
})
