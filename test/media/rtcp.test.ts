// RTCP (RFC 3550 §6): the leg sends SR/RR with a report block about the peer, takes LSR/DLSR from
// our SR, and computes RTT, loss and jitter from the peer's RR. RTCP is built and parsed here by
// hand from the RFC layout, independently of the code under test.
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import { tone } from './audio-tools'
import { RtpPeer, waitFor } from './rtp-peer'

const engine = new MediaEngine({ portRange: [28000, 28099], bindAddress: '127.0.0.1', threads: 1 })
t.teardown(() => engine.close())

function ntpNow (): { sec: number, frac: number } {
  const ms = Date.now()
  return { sec: Math.floor(ms / 1000) + 2208988800, frac: Math.floor((ms % 1000) / 1000 * 2 ** 32) }
}

t.test('SR/RR exchange: report block about the peer, LSR echo, RTT and the peer-reported loss/jitter', async t => {
  const leg = engine.createLeg()
  const rtp = await RtpPeer.create()
  const rtcp = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await rtp.close(); await rtcp.close() })
  leg.setRemote('127.0.0.1', rtp.port, { rtcpPort: rtcp.port })
  rtp.sendTo('127.0.0.1', leg.localPort)
  rtp.stream(i => tone(500, 20, 8000, 4000, i * 2 * Math.PI * 500 * 160 / 8000))
  t.teardown(() => rtp.stop())

  // Our SR (§6.4.1): 28 octets, PT 200, length 6
  const sr = Buffer.alloc(28)
  sr[0] = 0x80; sr[1] = 200; sr.writeUInt16BE(6, 2); sr.writeUInt32BE(rtp.ssrc, 4)
  const ntp = ntpNow()
  sr.writeUInt32BE(ntp.sec >>> 0, 8); sr.writeUInt32BE(ntp.frac >>> 0, 12)
  sr.writeUInt32BE(rtp.ts, 16); sr.writeUInt32BE(100, 20); sr.writeUInt32BE(16000, 24)
  rtcp.sendTo('127.0.0.1', leg.localPort + 1)
  // When each report of the leg arrived here: DLSR below is the real delay between that and our RR.
  const reportArrivals: bigint[] = []
  rtcp.socket.on('message', () => reportArrivals.push(process.hrtime.bigint()))
  await new Promise(resolve => setTimeout(resolve, 200))
  rtcp.sendRaw(sr)
  const ourLsr = (((ntp.sec & 0xffff) << 16) | (ntp.frac >>> 16)) >>> 0

  await waitFor(() => rtcp.rtcp.length >= 1, 8000, 'a report from the leg')
  const rep = rtcp.rtcp[0]
  const localSsrc = leg.stats().localSsrc
  t.equal(rep[0] >> 6, 2, 'version 2')
  t.equal(rep[1], 200, 'SR: the leg has been sending (silence) since setRemote')
  t.equal(rep.readUInt32BE(4), localSsrc, 'sender SSRC is the leg SSRC')
  t.equal(rep[0] & 0x1f, 1, 'one report block')
  const block = rep.subarray(28, 52)
  t.equal(block.readUInt32BE(0), rtp.ssrc >>> 0, 'the block reports on the peer SSRC')
  t.equal(block.readUInt32BE(16), ourLsr, 'LSR echoes the middle 32 bits of our SR NTP timestamp')
  t.ok(block.readUInt32BE(20) > 0, 'DLSR set')
  const afterSr = 8 + 20 + 24
  t.equal(rep[afterSr + 1], 202, 'followed by SDES (CNAME), §6.1 compound rule')

  // Answer with an RR about the leg: LSR = the leg's SR NTP middle 32 bits, DLSR = the time we held it
  // (RFC 3550 §6.4.1, units of 1/65536 s), measured right before sending.
  const legNtpMiddle = ((rep.readUInt32BE(8) & 0xffff) << 16 | (rep.readUInt32BE(12) >>> 16)) >>> 0
  const rr = Buffer.alloc(32)
  rr[0] = 0x81; rr[1] = 201; rr.writeUInt16BE(7, 2); rr.writeUInt32BE(rtp.ssrc, 4)
  rr.writeUInt32BE(localSsrc, 8)
  rr[12] = 64                                   // fraction lost 64/256
  rr.writeUIntBE(5, 13, 3)                      // cumulative lost
  rr.writeUInt32BE(12345, 16)                   // extended highest seq
  rr.writeUInt32BE(80, 20)                      // jitter: 80 units = 10 ms at 8 kHz
  rr.writeUInt32BE(legNtpMiddle, 24)
  rr.writeUInt32BE(Math.round(Number(process.hrtime.bigint() - reportArrivals[0]) / 1e9 * 65536), 28)
  rtcp.sendRaw(rr)
  await waitFor(() => leg.stats().rtcpReceived >= 2, 2000, 'RR processed')
  const s = leg.stats()
  t.equal(s.remoteFractionLost, 0.25, 'fraction lost from the peer')
  t.equal(s.remotePacketsLost, 5)
  t.equal(s.remoteJitterMs, 10)
  // The SR is stamped when it leaves and the RR when it arrives (kernel time): on loopback the only
  // delay left is the two socket hops and this process's event loop (was 20-40 ms when the SR was
  // stamped at the tick that scheduled it).
  t.ok(s.rttMs >= 0 && s.rttMs < 2, `RTT = A - LSR - DLSR on loopback is under 2 ms (${s.rttMs} ms)`)
})
