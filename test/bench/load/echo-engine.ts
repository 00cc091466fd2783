// Child process for the AI-call load bench: a conversation engine (trunkgate.engine.v1 over gRPC)
// that echoes every audio message back and counts what it received, so the gateway under test is
// charged only for its own work. Per conversation it checks the gateway's audio sequence numbers
// (the first frame's seq per message) for gaps.
// stdout: first line the port. stdin commands (one per line) -> one JSON line each:
//   stats -> {"conversations":n,"active":n,"frames":n,"seqGaps":n,"atMs":t}
import http2 from 'node:http2'
import readline from 'node:readline'
import * as grpc from '@grpc/grpc-js'
import { conversationEngineService } from '../../../src/engine/engine-proto'
import type { EngineMessage, GatewayMessage } from '../../../src/engine/engine-messages'

const FRAME_BYTES = 640  // 20 ms of 16 kHz s16le
let conversations = 0
let active = 0
let frames = 0
let seqGaps = 0

function converse (stream: grpc.ServerDuplexStream<GatewayMessage, EngineMessage>): void {
  let started = false
  let nextSeq = -1
  let outSeq = 0
  let done = false
  const finish = (): void => { if (!done) { done = true; if (started) active-- } }
  stream.on('data', (m: GatewayMessage) => {
    if (!started) {
      if (m.msg !== 'start') return
      started = true
      conversations++
      active++
      stream.write({ ready: {} })
      return
    }
    if (m.msg === 'audio') {
      const n = Math.floor(m.audio.data.length / FRAME_BYTES)
      if (nextSeq >= 0 && m.audio.seq !== nextSeq) seqGaps += Math.abs(m.audio.seq - nextSeq)
      nextSeq = m.audio.seq + n
      frames += n
      stream.write({ audio: { seq: outSeq, data: m.audio.data } })
      outSeq += n
    } else if (m.msg === 'call_event' && m.call_event.event === 'hangup') {
      finish()
      stream.end()
    }
  })
  stream.on('end', () => { finish(); stream.end() })
  stream.on('error', finish)
  stream.on('cancelled', finish)
}

// HTTP/2 flow control (RFC 9113 §5.2): node's default receive window is 64 KiB per stream AND per
// connection, and the gateway multiplexes every call's audio (32 kB/s each) on one connection, so
// the engine's window, not its CPU, caps the calls it can hear (window / round trip). grpc-js has no
// server option for it; an engine serving many calls needs a large connection window: FLOW_WINDOW
// bytes here (0 = node's default, to show the stall); per stream at most 1 MiB (30 s of one call's
// audio). Not larger: with 16 MiB (connection and stream) the session stalled outright once the
// gateway opened its 1,025th stream — not even Ready got through — while 1,024 ran clean, and with an
// 8 MiB connection window it stalled at 1,200 streams; 4 MiB ran 1,800 streams clean. Reproduced with a
// bare grpc-js client against this engine, no gateway involved; a raw node http2 pair with 3,000
// streams did not show it. Root cause not pinned down (grpc-js server or node's http2 session).
const FLOW_WINDOW = Number(process.env.LOAD_ENGINE_FLOW_WINDOW ?? 4 * 1024 * 1024)
const STREAM_WINDOW = Math.min(FLOW_WINDOW, 1024 * 1024)

function enlargeWindows (): void {
  if (FLOW_WINDOW <= 65535) return
  const create = http2.createServer
  ;(http2 as { createServer: typeof http2.createServer }).createServer = ((opts: http2.ServerOptions, ...rest: unknown[]) => {
    const server = (create as (...a: unknown[]) => http2.Http2Server)({ ...opts, settings: { ...opts.settings, initialWindowSize: STREAM_WINDOW } }, ...rest)
    server.on('session', (session: http2.ServerHttp2Session) => {
      session.once('localSettings', () => { try { session.setLocalWindowSize(FLOW_WINDOW) } catch { /* old node */ } })
    })
    return server
  }) as typeof http2.createServer
}

async function main (): Promise<void> {
  enlargeWindows()
  const server = new grpc.Server()
  server.addService(conversationEngineService().service, { Converse: converse })
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => err ? reject(err) : resolve(p)))
  process.stdout.write(`${port}\n`)
  const lines = readline.createInterface({ input: process.stdin })
  lines.on('line', line => {
    if (line.trim() === 'stats') process.stdout.write(JSON.stringify({ conversations, active, frames, seqGaps, atMs: performance.now() }) + '\n')
  })
  lines.on('close', () => { server.forceShutdown(); process.exit(0) })
}

main().catch(err => { console.error(err); process.exit(1) })
