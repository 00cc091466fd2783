// Interop with a real peer: baresip (Debian baresip-core 1.0.0) calls a hand-rolled TCP UAS whose
// SDP answer comes from answerOffer(). baresip must accept the answer (send ACK, establish the call)
// and then send RTP of the negotiated payload type, SRTP-protected exactly when we negotiated SRTP
// (the SRTP auth tag makes the packets 10 or 4 bytes longer, RFC 3711 §3.1).
// The SIP core is not used on purpose: this checks the SDP layer alone.
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import dgram from 'node:dgram'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { parseSdp } from '../../src/sdp/sdp-parser'
import { answerOffer, type MediaPolicy } from '../../src/sdp/negotiate'
import { SipError } from '../../src/sip/sip-error'

const log = pino({ level: 'silent' })

interface Capture {
  offer: string
  ack: boolean
  rtp: Buffer[]
  answeredPt: number | null
  srtpSuite: string | null
  status: number
  /** baresip's own log, for the failure message */
  log: string
}

function header (head: string, name: string): string {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(head)
  return m ? m[1].trim() : ''
}

async function callFromBaresip (t: Test, mediaenc: string, policy: MediaPolicy, codecs?: string): Promise<Capture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-baresip-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, 'config'), [
    'poll_method epoll', 'sip_listen 127.0.0.1:0', 'net_interface 127.0.0.1', 'audio_player aubridge,x', 'audio_source ausine,440', 'ausrc_srate 48000', 'auplay_srate 48000', 'ausrc_channels 2', 'auplay_channels 2',
    'audio_alert aubridge,x', 'module_path /usr/lib/baresip/modules', 'module g711.so', 'module g722.so', 'module ausine.so',
    'module aubridge.so', 'module srtp.so', 'module_app account.so', 'module_app menu.so', ''
  ].join('\n'))
  fs.writeFileSync(path.join(dir, 'accounts'), `<sip:tester@127.0.0.1;transport=tcp>;regint=0${codecs ? `;audio_codecs=${codecs}` : ''}${mediaenc ? `;mediaenc=${mediaenc}` : ''}\n`)

  const udp = dgram.createSocket('udp4')
  await new Promise<void>(resolve => udp.bind(0, '127.0.0.1', resolve))
  const cap: Capture = { offer: '', ack: false, rtp: [], answeredPt: null, srtpSuite: null, status: 0, log: '' }
  udp.on('message', m => { if (cap.rtp.length < 20) cap.rtp.push(m) })

  let child: ChildProcess | null = null
  const done = new Promise<void>(resolve => {
    const server = net.createServer(conn => {
      let buf = ''
      conn.on('data', d => {
        buf += d.toString('latin1')
        for (;;) {
          const end = buf.indexOf('\r\n\r\n')
          if (end < 0) return
          const head = buf.slice(0, end)
          const len = Number(header(head, 'Content-Length') || '0')
          if (buf.length < end + 4 + len) return
          const body = buf.slice(end + 4, end + 4 + len)
          buf = buf.slice(end + 4 + len)
          if (head.startsWith('INVITE ')) {
            cap.offer = body
            const common = ['Via', 'From', 'Call-ID', 'CSeq'].map(h => `${h}: ${header(head, h)}`)
            let status = 200
            let reason = 'OK'
            let extra: string[] = []
            let sdp = ''
            try {
              const r = answerOffer(parseSdp(body), policy, { address: '127.0.0.1', port: (udp.address()).port }, { origin: { username: 'trunkgate', sessionId: '1', sessionVersion: 1n }, log })
              sdp = r.sdp
              cap.answeredPt = r.media.payloadType
              cap.srtpSuite = r.media.srtp?.suite ?? null
            } catch (err) {
              if (!(err instanceof SipError)) throw err
              status = err.status
              reason = err.reason
              extra = err.headers.map(h => `${h.name}: ${h.value}`)
            }
            cap.status = status
            const lines = [`SIP/2.0 ${status} ${reason}`, ...common, `To: ${header(head, 'To')};tag=tg1`, ...extra,
              `Contact: <sip:agent@127.0.0.1:${(server.address() as net.AddressInfo).port};transport=tcp>`]
            if (sdp) lines.push('Content-Type: application/sdp')
            lines.push(`Content-Length: ${Buffer.byteLength(sdp)}`, '', sdp)
            conn.write(lines.join('\r\n'))
            if (status !== 200) setTimeout(finish, 2000)
          } else if (head.startsWith('ACK ')) {
            // A non-2xx is ACKed too (RFC 3261 §17.1.1.3); only the ACK of a 200 means an accepted answer.
            if (cap.status === 200) {
              cap.ack = true
              setTimeout(finish, 700)   // collect RTP for a while
            } else {
              finish()
            }
          } else if (head.startsWith('BYE ')) {
            conn.write(['SIP/2.0 200 OK', ...['Via', 'From', 'To', 'Call-ID', 'CSeq'].map(h => `${h}: ${header(head, h)}`), 'Content-Length: 0', '', ''].join('\r\n'))
          }
        }
      })
      conn.on('error', () => {})
    })
    let finished = false
    const finish = (): void => {
      if (finished) return
      finished = true
      if (child?.pid && child.exitCode === null) child.kill('SIGTERM')
      server.close()
      udp.close()
      resolve()
    }
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      const out = fs.openSync(path.join(dir, 'baresip.log'), 'w')
      child = spawn('baresip', ['-v', '-f', dir, '-e', `/dial sip:agent@127.0.0.1:${port};transport=tcp`, '-t', '6'], { stdio: ['pipe', out, out] })
      child.on('exit', () => finish())
      setTimeout(finish, 8000)   // bounded whatever baresip does
    })
  })
  await done
  cap.log = fs.readFileSync(path.join(dir, 'baresip.log'), 'utf8')
  return cap
}

const TLS_ALLOWED: MediaPolicy = { mediaEncryption: 'allowed', allowSdesOverTcp: false, signallingTransport: 'tls' }

t.test('baresip srtp-mand (RTP/SAVP): our SDES answer is accepted and SRTP flows', async t => {
  const cap = await callFromBaresip(t, 'srtp-mand', TLS_ALLOWED)
  t.match(cap.offer, /m=audio \d+ RTP\/SAVP/)
  t.equal(cap.status, 200)
  t.equal(cap.srtpSuite, 'AES_CM_128_HMAC_SHA1_80')
  t.ok(cap.ack, 'baresip sent ACK for our answer')
  t.ok(cap.rtp.length >= 5, `received ${cap.rtp.length} media packets`) || console.error(cap.log)
  for (const p of cap.rtp.slice(0, 5)) {
    t.equal(p[0] >> 6, 2, 'RTP version 2 header (left in clear by SRTP)')
    t.equal(p[1] & 0x7f, cap.answeredPt, 'the payload type we answered (G.722 = 9)')
    t.equal(p.length, 12 + 160 + 10, '20 ms of G.722 + the 80-bit SRTP auth tag')
  }
})

t.test('baresip srtp-mandf (RTP/SAVPF) with G.711 only', async t => {
  const cap = await callFromBaresip(t, 'srtp-mandf', TLS_ALLOWED, 'PCMA')
  t.match(cap.offer, /RTP\/SAVPF/)
  t.equal(cap.answeredPt, 8)
  t.ok(cap.ack)
  t.ok(cap.rtp.length >= 5)
  t.equal(cap.rtp[0].length, 12 + 160 + 10)
})

t.test('baresip plain RTP under `disabled`', async t => {
  const cap = await callFromBaresip(t, '', { ...TLS_ALLOWED, mediaEncryption: 'disabled', signallingTransport: 'tcp' })
  t.match(cap.offer, /RTP\/AVP /)
  t.equal(cap.srtpSuite, null)
  t.ok(cap.ack)
  t.ok(cap.rtp.length >= 5)
  t.equal(cap.rtp[0].length, 12 + 160, 'no SRTP tag')
})

t.test('baresip best-effort srtp (RTP/AVP + a=crypto) is answered as plain RTP and baresip goes along', async t => {
  const cap = await callFromBaresip(t, 'srtp', TLS_ALLOWED)
  t.match(cap.offer, /RTP\/AVP /)
  t.match(cap.offer, /a=crypto:/)
  t.equal(cap.srtpSuite, null)
  t.ok(cap.ack)
  t.ok(cap.rtp.length >= 5)
  t.equal(cap.rtp[0].length, 12 + 160, 'plain RTP')
})

t.test('baresip srtp-mand to a trunk with encryption disabled gets 488 and no call', async t => {
  const cap = await callFromBaresip(t, 'srtp-mand', { ...TLS_ALLOWED, mediaEncryption: 'disabled' })
  t.equal(cap.status, 488)
  t.notOk(cap.ack, 'no call established')
  t.equal(cap.rtp.length, 0)
})
