// What the three WebSocket engines (ElevenLabs Agents, OpenAI Realtime, Twilio-compatible media streams)
// share: connecting within connectTimeoutMs, becoming ready within readyTimeoutMs, holding events until the
// call attaches its listeners (resume), JSON framing with malformed and schema-failing messages dropped and
// counted (never a crash), and turning close codes into EngineErrors that say why, logged with the call id.
import { EventEmitter } from 'node:events'
import WebSocket from 'ws'
import type { Logger } from '../log'
import {
  EngineError, PCM16K, type CallEvent, type DtmfSource, type EngineAudioFormat, type EngineSession, type EngineSessionEvents,
  type HangupSide, type ToolOutcome
} from './engine-session'

/** Per-connector counters (exported on /metrics by whoever wires the connector). */
export interface EngineLinkCounters {
  sessionsOpened: number
  sessionsFailed: number
  messagesSent: number
  messagesReceived: number
  /** Not JSON, binary where text was expected, or not an object. */
  malformedDropped: number
  /** JSON whose fields do not match the vendor's schema for its type. */
  invalidDropped: number
  /** Agent audio of an interrupted response that arrived after the interruption. */
  lateAudioDropped: number
}

export function newCounters (): EngineLinkCounters {
  return { sessionsOpened: 0, sessionsFailed: 0, messagesSent: 0, messagesReceived: 0, malformedDropped: 0, invalidDropped: 0, lateAudioDropped: 0 }
}

export interface WsConnectOptions {
  url: string
  headers?: Record<string, string>
  connectTimeoutMs: number
  log: Logger
}

/**
 * Frames that arrive between 'open' and the session attaching its handler: ws parses frames that came with
 * the upgrade response in the same tick as 'open', so a vendor that speaks at once (a greeting, Twilio-style
 * bots, metadata) would otherwise be lost.
 */
const earlyFrames = new WeakMap<WebSocket, { frames: Array<[WebSocket.RawData, boolean]>; listener: (d: WebSocket.RawData, b: boolean) => void }>()

/** Opens the socket; rejects with CONNECT_REFUSED, CONNECT_TIMEOUT or REFUSED (HTTP status as protocolCode). */
export function connectWebSocket (opts: WsConnectOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(opts.url, { headers: opts.headers, perMessageDeflate: false })
    let settled = false
    const settle = (err: EngineError | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err) {
        ws.removeAllListeners()
        ws.on('error', () => {})
        ws.terminate()
        reject(err)
      } else {
        resolve(ws)
      }
    }
    const timer = setTimeout(() => settle(new EngineError('ENGINE_ERR_CONNECT_TIMEOUT', `no WebSocket connection to ${redact(opts.url)} within ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs)
    ws.once('open', () => {
      const frames: Array<[WebSocket.RawData, boolean]> = []
      const listener = (d: WebSocket.RawData, b: boolean): void => { frames.push([d, b]) }
      ws.on('message', listener)
      earlyFrames.set(ws, { frames, listener })
      settle(null)
    })
    ws.on('unexpected-response', (_req, res) => {
      settle(new EngineError('ENGINE_ERR_REFUSED', `engine refused the WebSocket upgrade: HTTP ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`.trim(), { protocolCode: res.statusCode }))
    })
    ws.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code === 'ECONNREFUSED' ? 'ENGINE_ERR_CONNECT_REFUSED' : 'ENGINE_ERR_REFUSED'
      settle(new EngineError(code, `cannot connect to ${redact(opts.url)}: ${err.message}`, { cause: err }))
    })
  })
}

/** URLs may carry signatures (ElevenLabs signed URLs): logs get the origin and path only. */
export function redact (url: string): string {
  try { const u = new URL(url); return `${u.protocol}//${u.host}${u.pathname}` } catch { return '(invalid url)' }
}

/**
 * 20 ms frames per audio message for vendors that take any chunk size (ElevenLabs, OpenAI): 2 halves the
 * message rate (JSON, base64 and WebSocket framing per message) for at most 20 ms more latency, as the gRPC
 * link's framesPerMessage default. Twilio streams stay at one media message per 20 ms, as Twilio sends them.
 */
export const FRAMES_PER_MESSAGE = 2

/** Collects wire audio until FRAMES_PER_MESSAGE frames are in, then hands out their base64. */
export class AudioBatcher {
  private buf = Buffer.alloc(0)
  private filled = 0
  private frames = 0
  private readonly framesPerMessage: number

  constructor (framesPerMessage = FRAMES_PER_MESSAGE) {
    this.framesPerMessage = framesPerMessage
  }

  push (bytes: Uint8Array, frames: number): string | null {
    if (this.filled + bytes.length > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.filled + bytes.length) + 64)
      this.buf.copy(bigger, 0, 0, this.filled)
      this.buf = bigger
    }
    this.buf.set(bytes, this.filled)
    this.filled += bytes.length
    this.frames += frames
    if (this.frames < this.framesPerMessage) return null
    const b64 = this.buf.toString('base64', 0, this.filled)
    this.filled = 0
    this.frames = 0
    return b64
  }
}

type Held = { [K in keyof EngineSessionEvents]: [K, ...EngineSessionEvents[K]] }[keyof EngineSessionEvents]

export interface WsSessionOptions {
  callId: string
  readyTimeoutMs: number
  log: Logger
  counters: EngineLinkCounters
}

/** The parts of an EngineSession every WebSocket vendor shares; subclasses map their protocol. */
export abstract class WsEngineSession extends EventEmitter<EngineSessionEvents> implements EngineSession {
  abstract readonly protocol: string
  inputFormat: EngineAudioFormat = PCM16K
  outputFormat: EngineAudioFormat = PCM16K
  protected readonly ws: WebSocket
  protected readonly log: Logger
  protected readonly counters: EngineLinkCounters
  protected readonly callId: string
  /** Resolves when the vendor's handshake is done; rejects with an EngineError. */
  readonly ready: Promise<void>
  private readyState: 'waiting' | 'ready' | 'failed' = 'waiting'
  private resolveReady!: () => void
  private rejectReady!: (err: EngineError) => void
  private readonly readyTimer: NodeJS.Timeout
  private held: Held[] | null = []
  /** We closed (hangup/cancel): the close that follows is no failure. */
  protected closing = false
  /** The vendor's last error message, to explain the close that usually follows it. */
  protected lastVendorError: string | null = null
  private warned = 0

  constructor (ws: WebSocket, opts: WsSessionOptions) {
    super()
    this.ws = ws
    this.callId = opts.callId
    this.log = opts.log
    this.counters = opts.counters
    this.ready = new Promise<void>((resolve, reject) => { this.resolveReady = resolve; this.rejectReady = reject })
    this.ready.catch(() => {})
    this.readyTimer = setTimeout(() => {
      this.failHandshake(new EngineError('ENGINE_ERR_READY_TIMEOUT', `${this.protocol}: connected but not ready within ${opts.readyTimeoutMs} ms`))
    }, opts.readyTimeoutMs)
    const early = earlyFrames.get(ws)
    if (early) {
      ws.off('message', early.listener)
      earlyFrames.delete(ws)
      // After the subclass constructor has run (its fields exist, its first message is sent).
      if (early.frames.length > 0) process.nextTick(() => { for (const [d, b] of early.frames) this.onRaw(d, b) })
    }
    ws.on('message', (data, isBinary) => this.onRaw(data, isBinary))
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()))
    ws.on('error', err => { this.log.debug({ err: err.message }, 'engine WebSocket error') })
  }

  // ---- for subclasses ----
  protected abstract onMessage (msg: Record<string, unknown>): void

  protected becomeReady (): void {
    if (this.readyState !== 'waiting') return
    this.readyState = 'ready'
    clearTimeout(this.readyTimer)
    this.resolveReady()
  }

  protected failHandshake (err: EngineError): void {
    if (this.readyState !== 'waiting') return
    this.readyState = 'failed'
    clearTimeout(this.readyTimer)
    this.counters.sessionsFailed++
    this.log.warn({ code: err.code, protocolCode: err.protocolCode }, err.message)
    this.closing = true
    this.ws.terminate()
    this.rejectReady(err)
  }

  protected get isReady (): boolean { return this.readyState === 'ready' }

  /** Emits now, or after resume() when the call has not attached its listeners yet. */
  protected deliver<K extends keyof EngineSessionEvents> (event: K, ...args: EngineSessionEvents[K]): void {
    if (this.held) { this.held.push([event, ...args] as unknown as Held); return }
    ;(this.emit as (e: K, ...a: EngineSessionEvents[K]) => boolean)(event, ...args)
  }

  protected send (msg: object): void {
    if (this.ws.readyState !== WebSocket.OPEN) return
    this.counters.messagesSent++
    this.ws.send(JSON.stringify(msg))
  }

  /**
   * An audio message written as text: base64 needs no JSON escaping, and building the string directly
   * skips an object and JSON.stringify's scan of ~1 kB per 20 ms frame (the per-call hot path).
   */
  protected sendText (json: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return
    this.counters.messagesSent++
    this.ws.send(json)
  }

  /** A message that does not fit the vendor's schema: dropped, counted, logged (first few at warn). */
  protected dropInvalid (what: string, detail: string): void {
    this.counters.invalidDropped++
    this.logDrop(`${this.protocol}: dropped ${what}: ${detail}`)
  }

  private logDrop (text: string): void {
    if (this.warned++ < 5) this.log.warn(text)
    else this.log.debug(text)
  }

  // ---- EngineSession ----
  resume (): void {
    const held = this.held
    this.held = null
    for (const h of held ?? []) (this.emit as (...a: unknown[]) => boolean)(...h)
  }

  answered (): void {}
  abstract sendAudioFrames (audio: Int16Array | Uint8Array, frames: number): void
  abstract sendDtmf (digit: string, durationMs: number, source: DtmfSource): void
  abstract sendPlaybackMark (name: string, cleared: boolean): void
  abstract sendToolResult (toolCallId: string, outcome: ToolOutcome): void
  abstract sendCallEvent (event: CallEvent): void

  /** Vendor-specific goodbye before the close (Twilio's stop); default none. */
  protected farewell (_side: HangupSide, _cause: string, _sipStatus: number): void {}

  hangup (side: HangupSide, cause: string, sipStatus: number): void {
    if (this.closing) return
    this.farewell(side, cause, sipStatus)
    this.closing = true
    this.ws.close(1000, 'call ended')
  }

  cancel (): void {
    clearTimeout(this.readyTimer)
    if (this.readyState === 'waiting') { this.readyState = 'failed'; this.rejectReady(new EngineError('ENGINE_ERR_REFUSED', 'session cancelled before ready')) }
    this.closing = true
    this.ws.terminate()
  }

  // ---- socket ----
  private onRaw (data: WebSocket.RawData, isBinary: boolean): void {
    this.counters.messagesReceived++
    if (isBinary) { this.counters.malformedDropped++; this.logDrop(`${this.protocol}: dropped a binary frame`); return }
    let msg: unknown
    try {
      msg = JSON.parse(data.toString())
    } catch {
      this.counters.malformedDropped++
      this.logDrop(`${this.protocol}: dropped a frame that is not JSON`)
      return
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      this.counters.malformedDropped++
      this.logDrop(`${this.protocol}: dropped a JSON frame that is not an object`)
      return
    }
    try {
      this.onMessage(msg as Record<string, unknown>)
    } catch (err) {
      // A mapping bug must not take the call down: the message is lost, the call goes on.
      this.counters.invalidDropped++
      this.log.error({ err: (err as Error).message }, `${this.protocol}: message handling failed`)
    }
  }

  private onClose (code: number, reason: string): void {
    clearTimeout(this.readyTimer)
    const why = [reason, this.lastVendorError].filter(Boolean).join('; ')
    if (this.readyState === 'waiting') {
      this.failHandshake(new EngineError('ENGINE_ERR_REFUSED', `${this.protocol}: engine closed the session before it was ready (close code ${code}${why ? `: ${why}` : ''})`, { protocolCode: code }))
      return
    }
    if (this.closing) return
    this.closing = true
    if (code === 1000 && !this.lastVendorError) {
      this.log.info({ closeCode: code, reason }, `${this.protocol}: engine ended the session`)
      this.deliver('end')
      return
    }
    const err = new EngineError('ENGINE_ERR_STREAM', `${this.protocol}: engine closed the session mid-call (close code ${code}${why ? `: ${why}` : ''})`, { protocolCode: code })
    this.log.warn({ code: err.code, closeCode: code }, err.message)
    this.deliver('error', err)
  }
}

/** Field checks for incoming messages: a failed check names the field for the drop log. */
export function str (o: Record<string, unknown>, key: string): string | null {
  const v = o[key]
  return typeof v === 'string' ? v : null
}

export function int (o: Record<string, unknown>, key: string): number | null {
  const v = o[key]
  return typeof v === 'number' && Number.isInteger(v) ? v : null
}

export function rec (o: Record<string, unknown>, key: string): Record<string, unknown> | null {
  const v = o[key]
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null
}

/** The outcome as the text a model reads (vendors take tool results as strings). */
export function outcomeText (outcome: ToolOutcome): string {
  return outcome.ok ? JSON.stringify(outcome.result ?? { ok: true }) : outcome.error
}

/** Plain words for a call event, as context for the model. */
export function callEventText (e: CallEvent): string {
  switch (e.type) {
    case 'hold': return 'The caller put the call on hold.'
    case 'unhold': return 'The caller took the call off hold.'
    case 'transfer': return `Transfer (tool call ${e.toolCallId}) ${e.state}${e.sipStatus ? ` (SIP ${e.sipStatus})` : ''}${e.detail ? `: ${e.detail}` : ''}.`
  }
}

export function dtmfText (digit: string): string {
  return `The caller pressed the key ${digit} on the phone keypad.`
}
