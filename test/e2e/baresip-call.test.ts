// baresip as the trunk: SIP over TLS, SDES-SRTP (srtp-mand), G.722. baresip's microphone is a
// 440 Hz sine: the engine must hear 440 Hz. The engine plays 1 kHz: baresip's decoded audio (its
// sndfile dump) must hold 1 kHz. Both directions cross SRTP and G.722. DTMF and hang-up from
// each side.
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { TestEngine, tone16k, type TestConversation } from './test-engine'
import { Baresip } from './baresip'
import { nextRecord, startGateway } from './helpers'

/** 16-bit PCM frames of `ms` from a WAV file (mono or the first channel), with its rate. */
function wavFrames (file: string, ms: number): { rate: number; frames: Buffer[] } {
  const b = fs.readFileSync(file)
  let off = 12
  let rate = 0; let channels = 1; let data: Buffer | null = null
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4)
    const size = b.readUInt32LE(off + 4)
    if (id === 'fmt ') { channels = b.readUInt16LE(off + 10); rate = b.readUInt32LE(off + 12) }
    if (id === 'data') { data = b.subarray(off + 8, Math.min(b.length, off + 8 + size)); break }
    off += 8 + size + (size % 2)
  }
  if (!data || rate === 0) return { rate, frames: [] }
  const n = rate * ms / 1000
  const frames: Buffer[] = []
  for (let i = 0; i + n * 2 * channels <= data.length; i += n * 2 * channels) {
    const f = Buffer.alloc(n * 2)
    for (let k = 0; k < n; k++) f.writeInt16LE(data.readInt16LE(i + k * 2 * channels), 2 * k)
    frames.push(f)
  }
  return { rate, frames }
}

/** Goertzel power ratio of `freq` in a 16 kHz s16le frame against the frame energy. */
export function toneShare (frame: Buffer, freq: number, rate = 16000): number {
  const n = frame.length / 2
  const k = 2 * Math.cos(2 * Math.PI * freq / rate)
  let s1 = 0; let s2 = 0; let energy = 0
  for (let i = 0; i < n; i++) {
    const x = frame.readInt16LE(2 * i)
    energy += x * x
    const s = x + k * s1 - s2
    s2 = s1; s1 = s
  }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2
  return energy === 0 ? 0 : power / (energy * n / 2)
}

function rms (frame: Buffer): number {
  let sum = 0
  for (let i = 0; i + 1 < frame.length; i += 2) sum += frame.readInt16LE(i) ** 2
  return Math.sqrt(sum / (frame.length / 2))
}

function playToneWhileUp (conv: TestConversation): void {
  // 200 ms chunks, a bit ahead of real time, while the call lasts.
  const timer = setInterval(() => { if (conv.ended) clearInterval(timer); else conv.audio(tone16k(1000, 200, 6000)) }, 200)
  conv.audio(tone16k(1000, 400, 6000))
}

async function setup (t: Test): Promise<{ engine: TestEngine; server: Awaited<ReturnType<typeof startGateway>>; baresip: Baresip; tones: { at440: number } }> {
  const tones = { at440: 0 }
  const engine = new TestEngine({ onReady: conv => playToneWhileUp(conv) })
  engine.on('conversation', (conv: TestConversation) => {
    conv.on('message', m => {
      if (m.msg !== 'audio') return
      for (let off = 0; off + 640 <= m.audio.data.length; off += 640) {
        const f = m.audio.data.subarray(off, off + 640)
        if (rms(f) > 300 && toneShare(f, 440) > 0.5) tones.at440++
      }
    })
  })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, tls: true, trunkYaml: '    media_encryption: required' })
  t.teardown(() => server.close())
  const baresip = new Baresip({ mediaenc: 'srtp-mand', codecs: 'G722/16000/1', transport: 'tls' })
  t.teardown(() => baresip.stop())
  return { engine, server, baresip, tones }
}

t.test('baresip TLS + SRTP + G.722: audio both ways, DTMF, caller hangs up', async t => {
  const { engine, server, baresip, tones } = await setup(t)
  const ended = nextRecord(server, 30000)
  await baresip.dial(`sip:+15550100@127.0.0.1:${server.ports.tls!};transport=tls`)
  const conv = await engine.conversation(0, 15000)
  await conv.until(() => tones.at440 >= 50, 10000, '1 s of baresip\'s 440 Hz').catch(err => { t.fail(`${err.message}\n${baresip.log.slice(-3000)}`) })
  t.ok(tones.at440 >= 50, `engine heard baresip's 440 Hz sine (${tones.at440} frames)`)
  await baresip.command('sndcode', '5')
  await conv.until(c => c.digits.length >= 1, 5000, 'DTMF from baresip').catch(err => t.fail(err.message))
  t.match(conv.digits[0], { digit: '5' }, 'baresip key press reached the engine')
  await baresip.command('hangup')
  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'caller', cause: 'normal_clearing' })
  await conv.until(c => c.events.some(e => e.event === 'hangup'), 3000, 'hang-up event').catch(err => t.fail(err.message))
  t.match(conv.events.find(e => e.event === 'hangup'), { hangup: { side: 'HANGUP_SIDE_CALLER', cause: 'normal_clearing' } }, 'the engine hears the caller hung up')
  t.match(baresip.log, /SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_80\)/, 'baresip ran SRTP')
  t.match(baresip.log, /Set audio decoder: G722/, 'and G.722')
  const dump = fs.readdirSync(baresip.directory).find(f => f.endsWith('-dec.wav'))
  t.ok(dump, 'baresip dumped what it decoded')
  if (dump) {
    const { rate, frames } = wavFrames(path.join(baresip.directory, dump), 20)
    const at1k = frames.filter(f => rms(f) > 300 && toneShare(f, 1000, rate) > 0.5).length
    t.ok(at1k >= 50, `baresip heard the engine's 1 kHz tone (${at1k} of ${frames.length} frames at ${rate} Hz)`)
  }
})

t.test('baresip TLS + SRTP + G.722: the agent hangs up (end_call), baresip sees the BYE', async t => {
  const { engine, server, baresip } = await setup(t)
  const ended = nextRecord(server, 30000)
  engine.behaviour.onReady = conv => {
    playToneWhileUp(conv)
    setTimeout(() => conv.tool({ tool_call_id: 'bye', end_call: { reason: 'test' } }), 1500)
  }
  await baresip.dial(`sip:+15550100@127.0.0.1:${server.ports.tls!};transport=tls`)
  const record = await ended
  t.match(record, { outcome: 'completed', endedBy: 'gateway', cause: 'end_call' })
  // baresip logs the remote BYE as "session closed" on its call.
  await baresip.waitForLog(/session closed/, 5000).catch(err => t.fail(err.message))
  const conv = await engine.conversation(0)
  t.match(conv.toolResults, [{ tool_call_id: 'bye', ok: true }])
})
