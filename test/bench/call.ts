// `npm run bench -- call [--calls N] [--rate R] [--latency-calls M]`: AI calls through the whole gateway
// (in this process: SIP, AiCall, native media, gRPC to an in-process engine), driven by SIPp over TCP.
//
//   call.invite_to_200_p99_ms   SIPp's own INVITE → 200 OK time (-trace_rtt, per call) over N calls at
//                               R calls/s, each with RTP (g711a.pcap) and a key press, up to 2 R at once.
//                               It includes the engine round trip (Start → Ready), as a real call does.
//   call.rtp_to_engine_p99_us   from a speech onset's first RTP packet arriving on loopback (kernel time
//                               stamp, tshark) to the engine receiving the Audio message holding the first
//                               loud frame (wall clock in the engine callback), over M sequential calls of
//                               g711a.pcap. It is everything inside the gateway on that path: socket, jitter
//                               buffer (its target delay dominates), decode + resample, the 20 ms tick,
//                               the hand-off to JS, batching 2 frames per Audio message, and gRPC on loopback.
// Stops by itself: SIPp runs are bounded by -m and -timeout, tshark by -a duration.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseConfigText } from '../../src/config'
import { startServer } from '../../src/server'
import { freePort, SIPP } from '../integration/sipp-runner'
import { TestEngine, type TestConversation } from '../e2e/test-engine'
import { alawToLinear } from '../e2e/rtp-capture'
import { option } from './bench-args'

function repoRoot (): string {
  let dir = __dirname
  while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') dir = path.dirname(dir)
  return dir
}

function quantile (values: number[], q: number): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]
}

/** Wall-clock microseconds with sub-millisecond resolution (same clock as tshark's epoch stamps). */
function nowUs (): number {
  return (performance.timeOrigin + performance.now()) * 1000
}

const MEDIA_MIN = 30000 + 2 * Math.floor(Math.random() * 4000)
const MEDIA_MAX = MEDIA_MIN + 1998

interface SippResult { code: number | null; rttMs: number[]; stdout: string }

async function sipp (target: number, opts: { calls: number; rate: number; limit: number; speechMs: number; dir: string }): Promise<SippResult> {
  const root = repoRoot()
  const testdata = path.resolve(root, 'test', 'vectors', 'pcap')
  let xml = fs.readFileSync(path.join(root, 'test', 'e2e', 'sipp', 'uac-audio-dtmf.xml'), 'latin1')
  const subs: Record<string, string> = {
    HANGUP: fs.readFileSync(path.join(root, 'test', 'e2e', 'sipp', 'hangup-bye.xml.part'), 'latin1'),
    SPEECH_PCAP: path.join(testdata, 'g711a.pcap'),
    DTMF_PCAP: path.join(testdata, 'dtmf_2833_5.pcap'),
    SPEECH_MS: String(opts.speechMs)
  }
  for (const [k, v] of Object.entries(subs)) xml = xml.split(`__${k}__`).join(v)
  const scenario = path.join(opts.dir, 'bench-call.xml')
  fs.writeFileSync(scenario, xml, 'latin1')
  for (const f of fs.readdirSync(opts.dir)) if (f.endsWith('_rtt.csv')) fs.rmSync(path.join(opts.dir, f))
  const args = ['-sf', scenario, '-t', 't1', '-i', '127.0.0.1', '-p', String(await freePort()), '-mi', '127.0.0.1', '-mp', String(await freePort()),
    '-m', String(opts.calls), '-r', String(opts.rate), '-l', String(opts.limit), '-s', '+15550100',
    '-timeout', `${Math.ceil(opts.calls / opts.rate + opts.speechMs / 1000 + 30)}s`, '-timeout_error', '-nostdin',
    '-trace_rtt', '-rtt_freq', '1', `127.0.0.1:${target}`]
  const child = spawn(SIPP, args, { cwd: opts.dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => { stdout = (stdout + d.toString('latin1')).slice(-4000) })
  child.stderr.on('data', (d: Buffer) => { stdout = (stdout + d.toString('latin1')).slice(-4000) })
  const code = await new Promise<number | null>(resolve => child.once('close', c => resolve(c)))
  const rttMs: number[] = []
  for (const f of fs.readdirSync(opts.dir).filter(n => n.endsWith('_rtt.csv'))) {
    // date_ms;response_time_ms;rtd_no — rtd 1 is INVITE → 200 (rtd="true" on the 200 in the scenario)
    for (const line of fs.readFileSync(path.join(opts.dir, f), 'latin1').split('\n').slice(1)) {
      const [, rt, no] = line.split(';')
      if (no?.trim() === '1' && rt) rttMs.push(Number(rt))
    }
  }
  return { code, rttMs, stdout }
}

/** Start times (µs) of loud stretches after ≥ 200 ms of quiet in a series of (time, loud) samples. */
function onsets (samples: Array<{ atUs: number; loud: boolean }>): number[] {
  const out: number[] = []
  let quietSinceUs: number | null = samples.length > 0 ? samples[0].atUs : null
  for (const s of samples) {
    if (!s.loud) { quietSinceUs ??= s.atUs; continue }
    if (quietSinceUs !== null && s.atUs - quietSinceUs >= 200_000) out.push(s.atUs)
    quietSinceUs = null
  }
  return out
}

export async function run (args: string[]): Promise<void> {
  const calls = option(args, '--calls', 200)
  const rate = option(args, '--rate', 20)
  const latencyCalls = option(args, '--latency-calls', 4)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-bench-call-'))
  const engine = new TestEngine()
  await engine.start()
  const config = parseConfigText(`
sip:
  listen: {tcp: {host: 127.0.0.1, port: 0}}
  maxConcurrentCalls: 10000
trunks: [{name: bench, inbound: {acl: [127.0.0.0/8]}}]
phone_numbers: [{number: '+15550100', agent: bench}]
agents: [{id: bench, name: Bench}]
engine: {address: '${engine.address}'}
media: {port_min: ${MEDIA_MIN}, port_max: ${MEDIA_MAX}, bind_address: 127.0.0.1}
log: {level: silent}
`)
  const server = await startServer(config, { aiCalls: true })
  try {
    // ---- INVITE → 200 under load
    const load = await sipp(server.ports.tcp!, { calls, rate, limit: 2 * rate, speechMs: 1000, dir })
    console.log(`call.calls ${calls}`)
    console.log(`call.rate_cps ${rate}`)
    console.log(`call.sipp_exit ${load.code}`)
    console.log(`call.invite_to_200_samples ${load.rttMs.length}`)
    console.log(`call.invite_to_200_p50_ms ${quantile(load.rttMs, 0.5).toFixed(1)}`)
    console.log(`call.invite_to_200_p99_ms ${quantile(load.rttMs, 0.99).toFixed(1)}`)
    if (load.code !== 0) console.error(load.stdout)

    // ---- RTP arrival → engine frame, one call at a time so every packet belongs to the live call
    const capFile = path.join(dir, 'rtp.pcap')
    const tshark = spawn('tshark', ['-i', 'lo', '-q', '-f', `udp dst portrange ${MEDIA_MIN}-${MEDIA_MAX}`, '-w', capFile, '-a', 'duration:120'],
      { stdio: ['ignore', 'ignore', 'pipe'] })
    await new Promise<void>((resolve, reject) => {
      let err = ''
      tshark.stderr.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('Capturing on')) resolve() })
      tshark.once('exit', () => reject(new Error(`tshark: ${err}`)))
    })
    const frames: Array<{ atUs: number; loud: boolean }> = []
    const onConversation = (conv: TestConversation): void => {
      conv.on('message', m => {
        if (m.msg !== 'audio') return
        const at = nowUs()
        const d = m.audio.data
        for (let off = 0; off + 640 <= d.length; off += 640) {
          let sum = 0
          for (let i = 0; i < 320; i++) { const s = d.readInt16LE(off + 2 * i); sum += s * s }
          // Half the packet threshold: a 30 ms packet's loud start can be split over two 20 ms frames.
          frames.push({ atUs: at, loud: Math.sqrt(sum / 320) > 500 })
        }
      })
    }
    engine.on('conversation', onConversation)
    const seq = await sipp(server.ports.tcp!, { calls: latencyCalls, rate: 1, limit: 1, speechMs: 7200, dir })
    engine.off('conversation', onConversation)
    const exited = new Promise<void>(resolve => tshark.once('exit', () => resolve()))
    tshark.kill('SIGINT')
    await exited
    const out = spawnSync('tshark', ['-r', capFile, '-d', `udp.port==${MEDIA_MIN}-${MEDIA_MAX},rtp`, '-T', 'fields',
      '-e', 'frame.time_epoch', '-e', 'rtp.p_type', '-e', 'rtp.payload'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
    const packets: Array<{ atUs: number; loud: boolean }> = []
    for (const line of out.stdout.split('\n')) {
      const [t, pt, payload] = line.trim().split('\t')
      if (pt !== '8' || !payload) continue
      const bytes = Buffer.from(payload.replace(/:/g, ''), 'hex')
      let sum = 0
      for (const b of bytes) { const s = alawToLinear(b); sum += s * s }
      packets.push({ atUs: Math.round(Number(t) * 1e6), loud: Math.sqrt(sum / bytes.length) > 1000 })
    }
    // For each RTP speech onset, the first loud frame the engine received after it (within 300 ms).
    const rtpOnsets = onsets(packets)
    const loudFrames = frames.filter(f => f.loud)
    const latUs: number[] = []
    for (const a of rtpOnsets) {
      const e = loudFrames.find(x => x.atUs >= a)
      if (e !== undefined && e.atUs - a < 300_000) latUs.push(e.atUs - a)
    }
    if (process.env.BENCH_VERBOSE) console.error(`rtp_to_engine samples (ms): ${latUs.map(x => (x / 1000).toFixed(1)).join(" ")}`)
    console.log(`call.rtp_to_engine_calls ${latencyCalls}`)
    console.log(`call.rtp_to_engine_sipp_exit ${seq.code}`)
    console.log(`call.rtp_to_engine_samples ${latUs.length} (of ${rtpOnsets.length} RTP speech onsets)`)
    console.log(`call.rtp_to_engine_p50_us ${Math.round(quantile(latUs, 0.5))}`)
    console.log(`call.rtp_to_engine_p99_us ${Math.round(quantile(latUs, 0.99))}`)
  } finally {
    await server.close()
    await engine.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
