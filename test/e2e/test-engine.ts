// A conversation engine for the call tests: a real gRPC server speaking trunkgate.engine.v1 that
// records what the gateway sends (Start, audio energy, DTMF, tool results, events) and does what
// the test tells it (echo, play a tone, send tool calls, hang up, break the stream, refuse).
import { EventEmitter } from 'node:events'
import * as grpc from '@grpc/grpc-js'
import { conversationEngineService } from '../../src/engine/engine-proto'
import type {
  CallEventMsg, DtmfMsg, EngineMessage, GatewayMessage, PlaybackMarkMsg, StartMsg, ToolCallMsg, ToolResultMsg
} from '../../src/engine/engine-messages'

export interface TestEngineBehaviour {
  /** Refuse every call with this status instead of Ready. */
  refuse?: grpc.status
  /** Echo the caller's audio back at once. Default false. */
  echo?: boolean
  /** Called once Ready was sent. */
  onReady?: (conv: TestConversation) => void
}

/** Per-call view: what arrived, and handles to act. */
export class TestConversation extends EventEmitter {
  start: StartMsg
  frames = 0
  /** Frames whose RMS exceeded 500 (speech-like energy). */
  loudFrames = 0
  maxRms = 0
  readonly digits: DtmfMsg[] = []
  readonly toolResults: ToolResultMsg[] = []
  readonly events: CallEventMsg[] = []
  readonly playbackMarks: PlaybackMarkMsg[] = []
  ended = false
  private readonly stream: grpc.ServerDuplexStream<GatewayMessage, EngineMessage>
  private seq = 0

  constructor (stream: grpc.ServerDuplexStream<GatewayMessage, EngineMessage>, start: StartMsg) {
    super()
    this.stream = stream
    this.start = start
  }

  send (m: EngineMessage): void {
    if (!this.ended) this.stream.write(m)
  }

  audio (pcm: Buffer): void { this.send({ audio: { seq: this.seq++, data: pcm } }) }
  mark (name: string): void { this.send({ mark: { name } }) }
  tool (call: ToolCallMsg): void { this.send({ tool_call: call }) }
  hangup (reason: string): void { this.send({ hangup: { reason } }) }
  /** Ends our side cleanly (status OK). */
  end (): void { if (!this.ended) { this.ended = true; this.stream.end() } }
  /** Breaks the stream with an error status, as a crashing engine would. */
  break (code = grpc.status.INTERNAL, details = 'engine crashed'): void {
    if (this.ended) return
    this.ended = true
    this.stream.emit('error', { code, details, name: 'TestEngineError', message: details, metadata: new grpc.Metadata() })
  }

  /** Resolves when `pred` holds, checked after every message from the gateway. */
  until (pred: (c: TestConversation) => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred(this)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = (): void => { if (pred(this)) { cleanup(); resolve() } }
      const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)) }, timeoutMs)
      const cleanup = (): void => { clearTimeout(timer); this.off('message', check) }
      this.on('message', check)
    })
  }

  /** @internal */
  receive (m: GatewayMessage): void {
    switch (m.msg) {
      case 'audio': {
        const d = m.audio.data
        for (let off = 0; off + 640 <= d.length; off += 640) {
          let sum = 0
          for (let i = 0; i < 320; i++) { const s = d.readInt16LE(off + 2 * i); sum += s * s }
          const rms = Math.sqrt(sum / 320)
          this.frames++
          if (rms > 500) this.loudFrames++
          if (rms > this.maxRms) this.maxRms = rms
        }
        break
      }
      case 'dtmf': this.digits.push(m.dtmf); break
      case 'tool_result': this.toolResults.push(m.tool_result); break
      case 'call_event': this.events.push(m.call_event); break
      case 'playback_mark': this.playbackMarks.push(m.playback_mark); break
      default: break
    }
    this.emit('message', m)
  }
}

export class TestEngine extends EventEmitter {
  readonly server = new grpc.Server()
  readonly conversations: TestConversation[] = []
  behaviour: TestEngineBehaviour
  port = 0

  constructor (behaviour: TestEngineBehaviour = {}) {
    super()
    this.behaviour = behaviour
  }

  get address (): string { return `127.0.0.1:${this.port}` }

  async start (): Promise<number> {
    this.server.addService(conversationEngineService().service, {
      Converse: (stream: grpc.ServerDuplexStream<GatewayMessage, EngineMessage>) => this.converse(stream)
    })
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => err ? reject(err) : resolve(p)))
    return this.port
  }

  private converse (stream: grpc.ServerDuplexStream<GatewayMessage, EngineMessage>): void {
    let conv: TestConversation | null = null
    stream.on('data', (m: GatewayMessage) => {
      if (!conv) {
        if (m.msg !== 'start') return
        if (this.behaviour.refuse !== undefined) {
          stream.emit('error', { code: this.behaviour.refuse, details: 'refused by the test engine', metadata: new grpc.Metadata() })
          return
        }
        conv = new TestConversation(stream, m.start)
        this.conversations.push(conv)
        stream.write({ ready: {} })
        this.emit('conversation', conv)
        this.behaviour.onReady?.(conv)
        return
      }
      conv.receive(m)
      if (m.msg === 'audio' && this.behaviour.echo) conv.audio(Buffer.from(m.audio.data))
      if (m.msg === 'call_event' && m.call_event.event === 'hangup') conv.end()
    })
    stream.on('end', () => { if (conv) conv.end(); else stream.end() })
    stream.on('error', () => { if (conv) conv.ended = true })
    stream.on('cancelled', () => { if (conv) conv.ended = true })
  }

  /** The next conversation (or the first one already there when `index` is given). */
  conversation (index: number, timeoutMs = 10000): Promise<TestConversation> {
    const have = this.conversations[index]
    if (have) return Promise.resolve(have)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.off('conversation', on); reject(new Error(`no conversation #${index} within ${timeoutMs} ms`)) }, timeoutMs)
      const on = (): void => {
        const c = this.conversations[index]
        if (c) { clearTimeout(timer); this.off('conversation', on); resolve(c) }
      }
      this.on('conversation', on)
    })
  }

  async stop (): Promise<void> {
    this.server.forceShutdown()
  }
}

/** `ms` of a sine at 16 kHz s16le. */
export function tone16k (freq: number, ms: number, amplitude = 8000): Buffer {
  const n = Math.round(16 * ms)
  const b = Buffer.alloc(n * 2)
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(amplitude * Math.sin(2 * Math.PI * freq * i / 16000)), 2 * i)
  return b
}
