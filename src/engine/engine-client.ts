// Gateway side of the engine link: one Converse stream per call (proto/engine.proto).
//
// startCall() connects (bounded by connectTimeoutMs; a refused connection fails at once), sends Start
// and waits for Ready (bounded by readyTimeoutMs). Either failure rejects with an EngineError whose
// code tells the call layer what happened, so it can apply the agent's "engine unavailable" behaviour before answering the call.
// There is no reconnect: a stream that breaks mid-call is reported once as an 'error' event with the
// gRPC status as cause; the conversation state lives in the engine and cannot be resumed.
import { EventEmitter } from 'node:events'
import * as grpc from '@grpc/grpc-js'
import { rootLogger, type Logger } from '../log'
import { conversationEngineService } from './engine-proto'
import { EngineError, type EngineErrorCode } from './engine-session'
import {
  PCM16K_FRAME_BYTES, type CallEventMsg, type DtmfSource, type EngineMessage, type GatewayMessage, type StartMsg, type ToolCallMsg
} from './engine-messages'

/** An EngineError from the gRPC link; `grpcCode` is the gRPC status when there was one. */
export class GrpcEngineError extends EngineError {
  constructor (code: EngineErrorCode, message: string, opts: { cause?: unknown; grpcCode?: number } = {}) {
    super(code, message, { cause: opts.cause, protocolCode: opts.grpcCode })
  }

  get grpcCode (): number | undefined { return this.protocolCode }
}

export { EngineError, type EngineErrorCode }

export interface EngineClientOptions {
  /** host:port of the engine, e.g. "127.0.0.1:50051". */
  address: string
  connectTimeoutMs?: number
  readyTimeoutMs?: number
  /**
   * 20 ms frames per Audio message to the engine. 2 (40 ms) halves the message rate for at most
   * 20 ms extra latency; 1 for the lowest latency.
   */
  framesPerMessage?: number
  /** Default insecure: the engine runs next to the gateway or behind a TLS-terminating proxy. */
  credentials?: grpc.ChannelCredentials
  log?: Logger
}

type DuplexStream = grpc.ClientDuplexStream<GatewayMessage, EngineMessage>

export interface EngineCallEvents {
  audio: [data: Buffer, seq: number]
  clear: []
  mark: [name: string]
  toolCall: [call: ToolCallMsg]
  hangup: [reason: string]
  error: [err: EngineError]
  /** The engine closed the stream (after or without Hangup). */
  end: []
}

function statusName (code: number): string {
  return grpc.status[code] ?? String(code)
}

/** One call's stream. Listen for 'error': a broken stream is reported there exactly once. */
export class EngineCall extends EventEmitter<EngineCallEvents> {
  private readonly stream: DuplexStream
  private readonly framesPerMessage: number
  private readonly log: Logger
  /** Frames copied in as they come: the media layer reuses its frame buffer for the next frame. */
  private batch: Buffer
  private batchFrames = 0
  private pendingSeq = 0
  private frameSeq = 0
  private finished = false
  /** Engine messages that arrived before resume(): startCall() resolves asynchronously, and
   *  what the engine sends right after Ready must not be emitted before listeners exist. */
  private held: EngineMessage[] | null = []
  private handshake: { onReady: () => void; onFail: (err: EngineError) => void } | null

  /** @internal created by EngineClient.startCall */
  constructor (stream: DuplexStream, framesPerMessage: number, log: Logger, handshake: { onReady: () => void; onFail: (err: EngineError) => void }) {
    super()
    this.stream = stream
    this.framesPerMessage = framesPerMessage
    this.batch = Buffer.allocUnsafe(framesPerMessage * PCM16K_FRAME_BYTES)
    this.log = log
    this.handshake = handshake
    stream.on('data', (m: EngineMessage) => {
      if (this.handshake) {
        const h = this.handshake
        this.handshake = null
        if (m.msg === 'ready') h.onReady()
        else h.onFail(new GrpcEngineError('ENGINE_ERR_PROTOCOL', `engine sent ${m.msg ?? 'an empty message'} before Ready`))
        return
      }
      if (this.held) this.held.push(m)
      else this.dispatch(m)
    })
    stream.on('error', (err: grpc.ServiceError) => {
      if (this.handshake) {
        const h = this.handshake
        this.handshake = null
        h.onFail(new GrpcEngineError('ENGINE_ERR_REFUSED', `engine refused the call: ${statusName(err.code)}: ${err.details}`, { cause: err, grpcCode: err.code }))
        return
      }
      if (this.finished && err.code === grpc.status.CANCELLED) return
      this.finished = true
      this.log.warn({ grpcCode: statusName(err.code), details: err.details }, 'engine stream broke mid-call')
      this.emit('error', new GrpcEngineError('ENGINE_ERR_STREAM', `engine stream failed: ${statusName(err.code)}: ${err.details}`, { cause: err, grpcCode: err.code }))
    })
    stream.on('end', () => {
      if (this.handshake) {
        const h = this.handshake
        this.handshake = null
        h.onFail(new GrpcEngineError('ENGINE_ERR_REFUSED', 'engine closed the stream before Ready'))
        return
      }
      this.finished = true
      if (this.held) this.held.push({ msg: undefined, end: true } as unknown as EngineMessage)
      else this.emit('end')
    })
  }

  /** Starts delivering engine messages as events (held ones first). Call once, after attaching listeners. */
  resume (): void {
    const held = this.held
    this.held = null
    for (const m of held ?? []) {
      if ((m as unknown as { end?: boolean }).end) this.emit('end')
      else this.dispatch(m)
    }
  }

  /** @internal aborts a call whose handshake failed */
  abandon (): void {
    this.handshake = null
    this.finished = true
    this.stream.on('error', () => {})
    this.stream.cancel()
  }

  private dispatch (m: EngineMessage): void {
    switch (m.msg) {
      case 'audio': this.emit('audio', m.audio.data, m.audio.seq); break
      case 'clear': this.emit('clear'); break
      case 'mark': this.emit('mark', m.mark.name); break
      case 'tool_call': this.emit('toolCall', m.tool_call); break
      case 'hangup': this.emit('hangup', m.hangup.reason); break
      default: this.log.debug({ msg: m.msg }, 'engine message ignored')
    }
  }

  private write (m: GatewayMessage): void {
    if (this.finished) return
    this.stream.write(m)
  }

  /**
   * Queues one 20 ms frame (640 bytes of 16 kHz s16le). Frames go out framesPerMessage at a time;
   * any other message flushes the queue first so the engine sees events in audio order.
   */
  sendAudio (frame: Buffer): void {
    if (frame.length !== PCM16K_FRAME_BYTES) throw new RangeError(`audio frame must be ${PCM16K_FRAME_BYTES} bytes (20 ms of 16 kHz s16le), got ${frame.length}`)
    if (this.batchFrames === 0) this.pendingSeq = this.frameSeq
    frame.copy(this.batch, this.batchFrames * PCM16K_FRAME_BYTES)
    this.batchFrames++
    this.frameSeq++
    if (this.batchFrames >= this.framesPerMessage) this.flushAudio()
  }

  /**
   * Queues `frames` consecutive 20 ms frames read from `pcm` (the media layer's reused buffer; copied
   * here), as sendAudio() would one by one but without a Buffer view per frame.
   */
  sendAudioFrames (pcm: Int16Array, frames: number): void {
    const bytes = frames * PCM16K_FRAME_BYTES
    if (!Number.isInteger(frames) || frames < 0 || pcm.byteLength < bytes) throw new RangeError(`${frames} frames need ${bytes} bytes of 16 kHz s16le, got ${pcm.byteLength}`)
    const src = new Uint8Array(pcm.buffer, pcm.byteOffset, bytes)
    let offset = 0
    while (offset < bytes) {
      if (this.batchFrames === 0) this.pendingSeq = this.frameSeq
      const take = Math.min(this.framesPerMessage - this.batchFrames, (bytes - offset) / PCM16K_FRAME_BYTES)
      this.batch.set(src.subarray(offset, offset + take * PCM16K_FRAME_BYTES), this.batchFrames * PCM16K_FRAME_BYTES)
      offset += take * PCM16K_FRAME_BYTES
      this.batchFrames += take
      this.frameSeq += take
      if (this.batchFrames >= this.framesPerMessage) this.flushAudio()
    }
  }

  flushAudio (): void {
    if (this.batchFrames === 0) return
    // The written buffer belongs to gRPC from here on: start a fresh one (one allocation per message).
    const data = this.batchFrames === this.framesPerMessage ? this.batch : this.batch.subarray(0, this.batchFrames * PCM16K_FRAME_BYTES)
    this.batch = Buffer.allocUnsafe(this.framesPerMessage * PCM16K_FRAME_BYTES)
    this.batchFrames = 0
    this.write({ audio: { seq: this.pendingSeq, data } })
  }

  sendDtmf (digit: string, durationMs: number, source: DtmfSource): void {
    if (!/^[0-9*#A-D]$/.test(digit)) throw new RangeError(`DTMF digit must be one of 0-9 * # A-D, got ${JSON.stringify(digit)}`)
    this.flushAudio()
    this.write({ dtmf: { digit, duration_ms: durationMs, source } })
  }

  sendPlaybackMark (name: string, cleared = false): void {
    this.flushAudio()
    this.write({ playback_mark: { name, cleared } })
  }

  sendToolResult (toolCallId: string, result: { ok: true; result?: Record<string, unknown> } | { ok: false; error: string }): void {
    this.flushAudio()
    this.write({
      tool_result: result.ok
        ? { tool_call_id: toolCallId, ok: true, error: '', result_json: result.result ? JSON.stringify(result.result) : '' }
        : { tool_call_id: toolCallId, ok: false, error: result.error, result_json: '' }
    })
  }

  sendCallEvent (event: CallEventMsg): void {
    this.flushAudio()
    this.write({ call_event: event })
  }

  /** Ends the call from the gateway side: reports the hang-up, then half-closes the stream. */
  hangup (side: 'HANGUP_SIDE_CALLER' | 'HANGUP_SIDE_GATEWAY' | 'HANGUP_SIDE_ENGINE', cause: string, sipStatus = 0): void {
    if (this.finished) return
    this.sendCallEvent({ hangup: { side, cause, sip_status: sipStatus } })
    this.finished = true
    this.stream.end()
  }

  /** Drops the stream at once (shutdown). */
  cancel (): void {
    this.finished = true
    this.stream.cancel()
  }
}

/** HTTP/2 receive window (bytes) of the engine link, per stream and for the connection. */
export const ENGINE_FLOW_CONTROL_WINDOW = 4 * 1024 * 1024

/** Longest wait between two connection attempts to the engine. */
export const RECONNECT_BACKOFF_MAX_MS = 1000

export class EngineClient {
  private readonly client: grpc.Client & { Converse: () => DuplexStream }
  private readonly opts: Required<Omit<EngineClientOptions, 'credentials' | 'log'>>
  private readonly log: Logger

  constructor (opts: EngineClientOptions) {
    const Service = conversationEngineService()
    // Every call's stream shares one HTTP/2 connection, and each carries 32 kB/s of engine audio back;
    // node's default 64 KiB receive window (RFC 9113 §6.9.2, per stream and per connection) then caps
    // how many calls can hear the engine at window / round trip — the load bench saw half the echoed
    // audio go missing at 700 calls. 4 MiB holds ~1.3 s of audio for 1,000 calls in flight.
    this.client = new Service(opts.address, opts.credentials ?? grpc.credentials.createInsecure(), {
      'grpc-node.flow_control_window': ENGINE_FLOW_CONTROL_WINDOW,
      // A Converse stream is never retried (the conversation lives in the engine), yet grpc-js keeps every
      // written message for a possible retry until 256 KiB per call (~8 s of audio) or 16 MiB for the
      // channel: with hundreds of calls that is tens of MB of audio buffers surviving into V8's old
      // generation (GC cost seen in the load bench). No retries and no retry buffer: each message is
      // released once written.
      'grpc.enable_retries': 0,
      'grpc.per_rpc_retry_buffer_size': 0,
      // A refused connection fails calls at once (waitForReady); retrying at least every second keeps
      // that window short once the engine is back (grpc-js would otherwise back off up to 120 s).
      'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_MAX_MS,
      'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MAX_MS
    }) as unknown as grpc.Client & { Converse: () => DuplexStream }
    this.opts = {
      address: opts.address,
      connectTimeoutMs: opts.connectTimeoutMs ?? 2000,
      readyTimeoutMs: opts.readyTimeoutMs ?? 3000,
      framesPerMessage: opts.framesPerMessage ?? 2
    }
    if (!Number.isInteger(this.opts.framesPerMessage) || this.opts.framesPerMessage < 1 || this.opts.framesPerMessage > 50) {
      throw new RangeError(`framesPerMessage must be an integer 1..50, got ${this.opts.framesPerMessage}`)
    }
    this.log = opts.log ?? rootLogger.child({ component: 'engine-client' })
  }

  /**
   * Resolves once the channel is READY. A connection attempt that fails (refused, unreachable) puts the
   * channel in TRANSIENT_FAILURE: that rejects at once (ENGINE_ERR_CONNECT_REFUSED) instead of waiting
   * out connectTimeoutMs while the caller hears ringing; only an attempt that hangs (no SYN-ACK, no
   * HTTP/2 settings) runs into the timeout. Reconnect backoff is capped at RECONNECT_BACKOFF_MAX_MS, so
   * an engine that comes back is used again within that time.
   */
  private waitForReady (): Promise<void> {
    const channel = this.client.getChannel()
    const deadline = Date.now() + this.opts.connectTimeoutMs
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const state = channel.getConnectivityState(true)
        if (state === grpc.connectivityState.READY) { resolve(); return }
        if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
          reject(new GrpcEngineError('ENGINE_ERR_CONNECT_REFUSED', `engine at ${this.opts.address} refused the connection or is unreachable`))
          return
        }
        channel.watchConnectivityState(state, deadline, err => {
          if (!err) { check(); return }
          reject(new GrpcEngineError('ENGINE_ERR_CONNECT_TIMEOUT',
            `engine at ${this.opts.address} not reachable within ${this.opts.connectTimeoutMs} ms: ${err.message}`, { cause: err }))
        })
      }
      check()
    })
  }

  /** Connects once (bounded by connectTimeoutMs): the startup check that the engine answers. */
  async probe (): Promise<{ ok: true } | { ok: false; detail: string }> {
    try {
      await this.waitForReady()
      return { ok: true }
    } catch (err) {
      return { ok: false, detail: (err as Error).message }
    }
  }

  /** Opens the call's stream, sends Start and resolves once the engine sent Ready. */
  async startCall (start: StartMsg): Promise<EngineCall> {
    await this.waitForReady()
    const stream = this.client.Converse()
    const log = this.log.child({ conversationId: start.conversation_id, callId: start.call_id })
    return await new Promise<EngineCall>((resolve, reject) => {
      const timer = setTimeout(() => {
        call.abandon()
        reject(new GrpcEngineError('ENGINE_ERR_READY_TIMEOUT', `engine at ${this.opts.address} sent no Ready within ${this.opts.readyTimeoutMs} ms after Start`))
      }, this.opts.readyTimeoutMs)
      const call = new EngineCall(stream, this.opts.framesPerMessage, log, {
        onReady: () => { clearTimeout(timer); resolve(call) },
        onFail: err => { clearTimeout(timer); call.abandon(); reject(err) }
      })
      stream.write({ start })
    })
  }

  close (): void {
    this.client.close()
  }
}
