// `npm run bench -- engine-link [--engine grpc|elevenlabs|openai_realtime|media_stream] [--n 200]
//   [--warmup 3] [--seconds 10] [--pcmu]`
// The engine link alone, per engine protocol: N concurrent sessions in this process, each sending one 20 ms
// frame every 20 ms to an echoing engine in a child process (test/bench/load/echo-engine.ts for gRPC,
// ./ws-echo.ts for the WebSocket vendors), and playing back what comes back. Reports this process's CPU per
// session (the link's own cost: framing, base64/JSON or protobuf, conversions, sockets) and the echo round
// trip p50/p99 (frame handed to the session → the same amount of audio back, matched by audio duration).
// Without --pcmu the call side is PCM 16 kHz (a G.722 trunk: ElevenLabs pcm_16000 as is, OpenAI converted to
// 24 kHz, Twilio streams to μ-law 8 kHz); with --pcmu, μ-law passes through (OpenAI audio/pcmu, Twilio).
// The whole-gateway figure (`load calls --engine <type>`) needs the call model's engineFor() wiring.
import path from 'node:path'
import readline from 'node:readline'
import pino from 'pino'
import { option } from '../bench-args'
import { spawnTracked, stopChild } from '../load/children'
import { CpuWindow, percentile } from '../load/proc-stat'
import { EngineClient } from '../../../src/engine/engine-client'
import { createEngineConnector } from '../../../src/engine/connectors'
import { agentEngineSchema, type AgentEngineConfig } from '../../../src/config/engine-schema'
import { frameBytes, MULAW8K, PCM16K, type EngineAudioFormat, type EngineSession, type SessionStart } from '../../../src/engine/engine-session'

interface Link { format: EngineAudioFormat; send: (frame: Int16Array | Uint8Array) => void; close: () => void }

const log = pino({ level: 'silent' })

function start (i: number, offered: EngineAudioFormat[]): SessionStart {
  return {
    conversationId: `conv-${i}`, agentId: 'bench', direction: 'inbound', callerId: '+15550111', calledNumber: '+15550100',
    callId: `call-${i}`, callSid: `CA${i}`, sipHeaders: [], dynamicVariables: [], overrides: null, customLlmExtraBody: null,
    userId: '', transferRules: [], timezone: 'UTC', offeredFormats: offered
  }
}

async function child (script: string, args: string[]): Promise<{ port: number; stats: () => Promise<{ frames: number }>; stop: () => Promise<void> }> {
  const proc = spawnTracked(process.execPath, [path.join(__dirname, '..', script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = readline.createInterface({ input: proc.stdout! })
  const queue: string[] = []
  let wake: (() => void) | null = null
  lines.on('line', l => { queue.push(l); wake?.() })
  const next = async (): Promise<string> => {
    while (queue.length === 0) await new Promise<void>(resolve => { wake = resolve })
    return queue.shift()!
  }
  const port = Number(await next())
  return {
    port,
    stats: async () => { proc.stdin!.write('stats\n'); return JSON.parse(await next()) },
    stop: async () => { proc.stdin!.end(); await stopChild(proc) }
  }
}

async function openLinks (engine: string, port: number, n: number, offered: EngineAudioFormat[], onAudio: (i: number, bytes: number) => void): Promise<Link[]> {
  const links: Link[] = []
  if (engine === 'grpc') {
    const client = new EngineClient({ address: `127.0.0.1:${port}`, log })
    for (let i = 0; i < n; i++) {
      const call = await client.startCall({
        conversation_id: `conv-${i}`, agent_id: 'bench', direction: 'CALL_DIRECTION_INBOUND', caller_id: '+15550111', called_number: '+15550100',
        call_id: `call-${i}`, call_sid: '', sip_headers: [], dynamic_variables: [], overrides: null, custom_llm_extra_body_json: '', user_id: '',
        transfer_rules: [], input_format: { encoding: 'AUDIO_ENCODING_PCM_S16LE', sample_rate: 16000, frame_ms: 20 },
        output_format: { encoding: 'AUDIO_ENCODING_PCM_S16LE', sample_rate: 16000, frame_ms: 20 }, call_answered_unix_ms: 0, timezone: 'UTC'
      })
      call.on('audio', data => onAudio(i, data.length))
      call.resume()
      links.push({ format: PCM16K, send: f => call.sendAudioFrames(f as Int16Array, 1), close: () => call.cancel() })
    }
    return links
  }
  const raw: Record<string, unknown> = engine === 'elevenlabs'
    ? { type: 'elevenlabs', agent_id: 'bench', base_url: `ws://127.0.0.1:${port}` }
    : engine === 'openai_realtime'
      ? { type: 'openai_realtime', url: `ws://127.0.0.1:${port}/v1/realtime`, api_key_env: 'BENCH_KEY', instructions: 'echo' }
      : { type: 'media_stream', url: `ws://127.0.0.1:${port}/media` }
  const connector = createEngineConnector(agentEngineSchema.check(raw, 'engine') as AgentEngineConfig, { log, env: { BENCH_KEY: 'k' } })
  for (let i = 0; i < n; i++) {
    const s: EngineSession = await connector.open(start(i, offered))
    s.on('audio', data => onAudio(i, data.length))
    s.resume()
    s.answered()
    links.push({ format: s.inputFormat, send: f => s.sendAudioFrames(f, 1), close: () => s.cancel() })
  }
  return links
}

async function runEngine (engine: string, n: number, warmupS: number, measureS: number, pcmu: boolean): Promise<void> {
  const offered = pcmu ? [MULAW8K, PCM16K] : [PCM16K]
  const echo = engine === 'grpc'
    ? await child('load/echo-engine.js', [])
    : await child('engine-link/ws-echo.js', [engine, pcmu && engine === 'elevenlabs' ? 'ulaw' : 'pcm'])
  // Per session: send times of the frames in flight and the audio (ms) received but not yet matched.
  const inFlight: number[][] = Array.from({ length: n }, () => [])
  const receivedMs = new Float64Array(n)
  const rtts: number[] = []
  let measuring = false
  let links: Link[] = []
  const onAudio = (i: number, bytes: number): void => {
    const fmt = links[i]?.format ?? PCM16K
    receivedMs[i] += (bytes / frameBytes(fmt)) * 20
    const now = performance.now()
    while (receivedMs[i] >= 19.5 && inFlight[i].length > 0) {
      const sent = inFlight[i].shift()!
      receivedMs[i] -= 20
      if (measuring) rtts.push(now - sent)
    }
  }
  links = await openLinks(engine, echo.port, n, offered, onAudio)
  const frames = links.map(l => l.format.encoding === 'mulaw' ? new Uint8Array(frameBytes(l.format)).fill(0x55) : new Int16Array(320).fill(1000))
  let sent = 0
  const timer = setInterval(() => {
    const now = performance.now()
    for (let i = 0; i < links.length; i++) { inFlight[i].push(now); links[i].send(frames[i]) }
    if (measuring) sent += links.length
  }, 20)
  await new Promise(resolve => setTimeout(resolve, warmupS * 1000))
  const cpu = new CpuWindow('self')
  const before = await echo.stats()
  measuring = true
  cpu.start()
  await new Promise(resolve => setTimeout(resolve, measureS * 1000))
  const used = cpu.stop()
  measuring = false
  const after = await echo.stats()
  clearInterval(timer)
  for (const l of links) l.close()
  await echo.stop()
  const timerRate = sent / (n * used.wallSeconds * 50)
  const p = `engine_link.${engine}${pcmu ? '_pcmu' : ''}`
  console.log(`${p}.sessions ${n}`)
  console.log(`${p}.cpu_pct_per_session ${((used.cores * 100) / n).toFixed(4)}`)
  // Frames the engine counted over frames handed to the sessions (gRPC batches 2 per message: ±1 per session).
  console.log(`${p}.frames_at_engine_ratio ${((after.frames - before.frames) / Math.max(1, sent)).toFixed(3)}`)
  console.log(`${p}.frame_timer_rate ${timerRate.toFixed(3)}`)
  // On a starved host the 20 ms timer fires late: CPU per session scaled to the full 50 frames/s.
  console.log(`${p}.cpu_pct_per_session_at_50fps ${((used.cores * 100) / n / Math.max(0.01, timerRate)).toFixed(4)}`)
  console.log(`${p}.echo_rtt_p50_ms ${percentile(rtts, 50).toFixed(2)}`)
  console.log(`${p}.echo_rtt_p99_ms ${percentile(rtts, 99).toFixed(2)}`)
}

export async function run (args: string[]): Promise<void> {
  const i = args.indexOf('--engine')
  const engines = i >= 0 ? [args[i + 1]] : ['grpc', 'elevenlabs', 'openai_realtime', 'media_stream']
  for (const e of engines) {
    if (!['grpc', 'elevenlabs', 'openai_realtime', 'media_stream'].includes(e)) throw new Error(`--engine: unknown engine ${e}`)
    await runEngine(e, option(args, '--n', 200), option(args, '--warmup', 3), option(args, '--seconds', 10), args.includes('--pcmu'))
  }
  process.exit(0)
}
