// media_encryption: required, outbound over TLS to a real baresip that answers with SDES-SRTP
// (srtp-mand): baresip's 440 Hz microphone reaches our leg decrypted, the 1 kHz tone our leg plays is
// in what baresip decoded (its sndfile dump), and the record shows a completed call with clean media.
// Run twice: G.722, and Opus (a trunk with codecs: [opus], baresip's libopus-based opus module).
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MediaEngine } from '../../src/media/media-engine'
import type { Leg } from '../../src/media/media-engine'
import { legMediaFactory, type OutboundMedia } from '../../src/outbound'
import { freePort } from '../integration/sipp-runner'
import { makeCarrierCert } from './carrier'
import { startGateway } from './gateway'

function goertzelShare (pcm: Int16Array, freq: number, rate: number): number {
  const k = 2 * Math.cos(2 * Math.PI * freq / rate)
  let s1 = 0; let s2 = 0; let energy = 0
  for (const x of pcm) { energy += x * x; const s = x + k * s1 - s2; s2 = s1; s1 = s }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2
  return energy === 0 ? 0 : power / (energy * pcm.length / 2)
}

function tone16k (freq: number, ms: number, amp: number): Int16Array {
  const n = 16 * ms
  const out = new Int16Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin(2 * Math.PI * freq * i / 16000))
  return out
}

function wavMono (file: string): { rate: number, pcm: Int16Array } {
  const b = fs.readFileSync(file)
  let off = 12; let rate = 0; let channels = 1
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4)
    const size = b.readUInt32LE(off + 4)
    if (id === 'fmt ') { channels = b.readUInt16LE(off + 10); rate = b.readUInt32LE(off + 12) }
    if (id === 'data') {
      const data = b.subarray(off + 8, Math.min(b.length, off + 8 + size))
      const n = Math.floor(data.length / 2 / channels)
      const pcm = new Int16Array(n)
      for (let i = 0; i < n; i++) pcm[i] = data.readInt16LE(i * 2 * channels)
      return { rate, pcm }
    }
    off += 8 + size + (size % 2)
  }
  return { rate, pcm: new Int16Array(0) }
}

async function srtpCall (t: Test, codec: 'G722' | 'opus'): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-baresip-callee-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const { cert, key } = makeCarrierCert(dir)
  fs.writeFileSync(path.join(dir, 'both.pem'), fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'))
  // baresip listens for TLS on sip_listen port + 1.
  let base = await freePort()
  if (base % 2 === 1) base -= 1
  fs.writeFileSync(path.join(dir, 'config'), [
    'poll_method epoll', `sip_listen 127.0.0.1:${base}`, `sip_certificate ${path.join(dir, 'both.pem')}`, 'net_interface 127.0.0.1',
    'audio_player aubridge,sink', 'audio_source ausine,440', 'ausrc_srate 48000', 'auplay_srate 48000', 'ausrc_channels 2', 'auplay_channels 2',
    'module_path /usr/lib/baresip/modules', 'module g711.so', 'module g722.so', 'module opus.so', 'module aubridge.so', 'module ausine.so', 'module srtp.so',
    'module sndfile.so', `snd_path ${dir}`, 'module_app account.so', 'module_app menu.so', ''
  ].join('\n'))
  fs.writeFileSync(path.join(dir, 'accounts'), `<sip:+15550199@127.0.0.1;transport=tls>;regint=0;answermode=auto;audio_codecs=${codec === 'opus' ? 'opus/48000/2' : 'G722/16000/1,PCMU'};mediaenc=srtp-mand\n`)
  const logFd = fs.openSync(path.join(dir, 'baresip.log'), 'w')
  const baresip = spawn('baresip', ['-v', '-f', dir, '-t', '40'], { stdio: ['pipe', logFd, logFd] })
  fs.closeSync(logFd)
  const log = (): string => fs.readFileSync(path.join(dir, 'baresip.log'), 'utf8')
  const exited = new Promise(resolve => baresip.once('exit', resolve))
  t.teardown(async () => { if (baresip.exitCode === null) { baresip.kill('SIGTERM'); await exited } })
  for (let i = 0; i < 50 && !/baresip is ready/.test(log()); i++) await new Promise(resolve => setTimeout(resolve, 100))
  t.match(log(), /baresip is ready/)

  const media = new MediaEngine({ portRange: [32000, 32999], bindAddress: '127.0.0.1', threads: 1 })
  t.teardown(() => media.close())
  let outbound: OutboundMedia | null = null
  const factory = legMediaFactory(media)
  const gw = await startGateway({
    tls: { ca: cert },
    outboundYaml: `address: 127.0.0.1:${base + 1}\ntransport: tls\nmedia_encryption: required`,
    trunkYaml: codec === 'opus' ? 'codecs: [opus, PCMU]' : '',
    opts: { services: { outboundMedia: ctx => { outbound = factory(ctx); return outbound } } }
  })
  t.teardown(() => gw.close())

  const res = await gw.request('POST', '/v1/calls', { agent_id: 'support', from_number: '+15550100', to: '+15550199' })
  t.equal(res.status, 201, res.text)
  const id = res.json.conversation_id
  await gw.waitStatus(id, 'in-progress', 10000).catch(err => { t.comment(log().slice(-4000)); throw err })
  const leg = (outbound as OutboundMedia | null)?.leg as Leg
  t.ok(leg, 'the call has a native leg')
  t.equal(leg.codec, codec, `negotiated ${codec}`)
  let heard440 = 0
  let frames = 0
  leg.on('frames', (ev: { pcm: Int16Array }) => {
    for (let i = 0; i + 320 <= ev.pcm.length; i += 320) {
      const f = ev.pcm.subarray(i, i + 320)
      frames++
      if (goertzelShare(f, 440, 16000) > 0.5) heard440++
    }
  })
  for (let i = 0; i < 10; i++) {
    leg.play(tone16k(1000, 200, 8000))
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  const stats = leg.stats()
  const hang = await gw.request('POST', `/v1/calls/${id}/hangup`)
  t.equal(hang.json.status, 'completed')
  t.ok(heard440 >= 50, `baresip's 440 Hz reached us through SRTP (${heard440}/${frames} frames)`)
  t.equal(stats.srtpFailures, 0, 'no SRTP authentication failures')
  t.ok(hang.json.media_quality.packets_received >= 50, `packets received ${hang.json.media_quality.packets_received}`)
  t.match(log(), /SRTP is Enabled/, 'baresip ran SRTP')
  // Our offer lists the native core's suites, AEAD first; baresip takes the first it supports.
  t.equal(/SRTP is Enabled \(cryptosuite=([A-Z0-9_]+)\)/.exec(log())?.[1], 'AEAD_AES_256_GCM', 'RFC 7714 GCM with a real peer, both directions')
  await new Promise(resolve => setTimeout(resolve, 300))
  const dump = fs.readdirSync(dir).find(f => f.endsWith('-dec.wav'))
  t.ok(dump, 'baresip dumped what it decoded')
  if (dump) {
    const { rate, pcm } = wavMono(path.join(dir, dump))
    const n = rate / 50
    let at1k = 0
    for (let i = 0; i + n <= pcm.length; i += n) if (goertzelShare(pcm.subarray(i, i + n), 1000, rate) > 0.5) at1k++
    t.ok(at1k >= 50, `baresip heard our 1 kHz through SRTP (${at1k} frames at ${rate} Hz)`)
  }
  t.match((await gw.request('GET', `/v1/calls/${id}`)).json, { status: 'completed', direction: 'outbound' })
}

t.test('SRTP required, TLS, baresip answers: audio both ways', t => srtpCall(t, 'G722'))
t.test('SRTP required, TLS, Opus: baresip answers opus/48000/2, audio both ways', t => srtpCall(t, 'opus'))
