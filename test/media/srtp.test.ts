// SRTP legs against a peer that protects/unprotects with the DSP facade's SrtpSession (real
// libsrtp2): audio both ways, tampered and replayed packets counted and never decoded, SRTCP.
import crypto from 'node:crypto'
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import { SrtpSession, supportedSrtpSuites, type SrtpSuiteName } from '../../src/media/dsp'
import { concat, tone, toneLevel } from './audio-tools'
import { RtpPeer, waitFor } from './rtp-peer'
import { ulawToPCM } from 'g711'

const engine = new MediaEngine({ portRange: [26000, 26999], bindAddress: '127.0.0.1', threads: 2 })
t.teardown(() => engine.close())

const keyLength: Record<SrtpSuiteName, number> = {
  AES_CM_128_HMAC_SHA1_80: 30, AES_CM_128_HMAC_SHA1_32: 30, AEAD_AES_128_GCM: 28, AEAD_AES_256_GCM: 44,
  AES_256_CM_HMAC_SHA1_80: 46, AES_256_CM_HMAC_SHA1_32: 46
}

async function srtpCall (t: { teardown: (fn: () => unknown) => void }, suite: SrtpSuiteName) {
  const legKey = crypto.randomBytes(keyLength[suite])
  const peerKey = crypto.randomBytes(keyLength[suite])
  const leg = engine.createLeg({ rtcpMux: true })
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setSrtp({ suite, localKey: legKey, remoteKey: peerKey.toString('base64') })
  leg.setRemote('127.0.0.1', peer.port, { rtcpMux: true })
  const tx = new SrtpSession()
  tx.setOutbound(suite, peerKey)
  const rx = new SrtpSession()
  rx.setInbound(suite, legKey)
  peer.sendTo('127.0.0.1', leg.localPort)
  const frames: Int16Array[] = []
  leg.on('frames', ({ pcm }) => frames.push(pcm))
  return { leg, peer, tx, rx, frames }
}

const src = (hz: number) => (i: number) => tone(hz, 20, 8000, 8000, i * 2 * Math.PI * hz * 160 / 8000)

t.test('AES_CM_128_HMAC_SHA1_80: audio both ways; tampered and replayed packets are counted, not decoded', async t => {
  const { leg, peer, tx, rx, frames } = await srtpCall(t, 'AES_CM_128_HMAC_SHA1_80')
  let n = 0
  const replay: Buffer[] = []
  peer.stream(src(1000), 'PCMU', pkt => {
    const r = tx.protectRtp(pkt)
    if (!r.ok) throw new Error(r.error)
    const out = Buffer.from(r.packet)
    n++
    if (n % 5 === 0) out[20] ^= 0x01  // one flipped payload bit: RFC 3711 §3.3 authentication must fail
    if (n === 10) replay.push(Buffer.from(out))
    return out
  })
  leg.play(tone(700, 2000, 16000, 10000))
  await waitFor(() => n >= 60, 5000, '60 packets sent')
  for (const p of replay) peer.sendRaw(p)  // (n=10 was also tampered; send an intact replay too)
  peer.stop()
  await new Promise(resolve => setTimeout(resolve, 200))
  const s = leg.stats()
  const tampered = Math.floor(n / 5)
  t.ok(s.srtpFailures >= tampered + 1, `tampered (${tampered}) and replayed packets counted (${s.srtpFailures})`)
  t.equal(s.packetsReceived, n - tampered, 'only authentic packets were accepted')
  const heard = concat(frames).subarray(-16000 * 0.6, -16000 * 0.2)
  t.ok(toneLevel(heard, 1000, 16000) > 5000, 'the authentic audio is decoded (gaps concealed)')

  const audio = peer.received.filter(p => p.payloadType === 0)
  t.ok(audio.length >= 50, 'SRTP came back')
  const decoded: Int16Array[] = []
  let failures = 0
  for (const p of audio) {
    const r = rx.unprotectRtp(p.raw)
    if (!r.ok) { failures++; continue }
    const payload = r.packet.subarray(12)
    t.equal(r.packet.length, p.raw.length - 10, '80-bit tag stripped')
    decoded.push(Int16Array.from(ulawToPCM(new Uint8Array(payload), 16)))
    if (decoded.length > 3) break
  }
  t.equal(failures, 0, 'every packet from the leg authenticates with our key')
  const wire = audio.slice(10, 60)
  const plainOut = wire.map(p => rx.unprotectRtp(p.raw))
  const pcm = concat(plainOut.map(r => r.ok ? Int16Array.from(ulawToPCM(new Uint8Array(r.packet.subarray(12)), 16)) : new Int16Array(0)))
  t.ok(toneLevel(pcm, 700, 8000) > 8000, 'the peer decrypts and hears the 700 Hz tone')
  const r0 = plainOut[0]
  t.ok(r0.ok && !wire[0].raw.subarray(12, 172).equals(r0.packet.subarray(12, 172)), 'the wire payload is encrypted')
})

t.test('SRTCP: the leg\'s RTCP reports are protected and authenticate at the peer', async t => {
  const { leg, peer, rx } = await srtpCall(t, 'AES_CM_128_HMAC_SHA1_80')
  // RFC 3550 §6.3.5: first report after ~half an interval (2.5 s here)
  await waitFor(() => peer.rtcp.length >= 1, 6000, 'an RTCP packet')
  const r = rx.unprotectRtcp(peer.rtcp[0])
  t.ok(r.ok, 'SRTCP authenticates')
  if (r.ok) {
    t.ok(r.packet[1] === 200 || r.packet[1] === 201, 'SR or RR first (RFC 3550 §6.1)')
    t.equal(r.packet.readUInt32BE(4), leg.stats().localSsrc, `reporter SSRC is the leg SSRC (${r.packet.toString('hex')})`)
  }
  await waitFor(() => leg.stats().rtcpSent >= 1, 1000, 'rtcpSent in stats')
})

for (const suite of ['AEAD_AES_128_GCM', 'AEAD_AES_256_GCM', 'AES_256_CM_HMAC_SHA1_80'] as const) {
  t.test(`${suite} (RFC 7714 / RFC 6188): audio from the peer is decoded, the leg's SRTP authenticates`, async t => {
    t.ok(supportedSrtpSuites().includes(suite), 'every OpenSSL 3 has AES-GCM and AES-256-CTR')
    const { leg, peer, tx, rx, frames } = await srtpCall(t, suite)
    peer.stream(src(900), 'PCMU', pkt => {
      const r = tx.protectRtp(pkt)
      if (!r.ok) throw new Error(r.error)
      return Buffer.from(r.packet)
    })
    leg.play(tone(700, 2000, 16000, 10000))
    await waitFor(() => concat(frames).length > 16000, 5000, '1 s of frames')
    peer.stop()
    t.equal(leg.stats().srtpFailures, 0)
    t.ok(toneLevel(concat(frames).subarray(-16000 * 0.4), 900, 16000) > 5000, 'protected audio decoded')
    const back = peer.received.filter(p => p.payloadType === 0).slice(5, 15).map(p => rx.unprotectRtp(p.raw))
    t.ok(back.length === 10 && back.every(r => r.ok), 'the leg\'s packets authenticate at the peer')
  })
}

t.test('SRTP key checks before C++', async t => {
  const leg = engine.createLeg()
  t.teardown(() => leg.close())
  t.throws(() => leg.setSrtp({ suite: 'AES_CM_128_HMAC_SHA1_80', localKey: Buffer.alloc(16), remoteKey: Buffer.alloc(30) }),
    new RangeError('localKey must be 30 octets (master key + salt)'))
  t.throws(() => leg.setSrtp({ suite: 'NULL' as SrtpSuiteName, localKey: Buffer.alloc(30), remoteKey: Buffer.alloc(30) }),
    new RangeError('srtp suite must be one of AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM, AES_256_CM_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_32'))
})
