// Twilio-compatible media streams (`media_stream`, protocol twilio): trunkgate connects to the bot's WebSocket
// as Twilio's <Connect><Stream> would (Pipecat, Vocode, the OpenAI Agents SDK's Twilio transport, Ultravox...)
// and speaks Twilio's bidirectional Media Streams protocol
// (https://www.twilio.com/docs/voice/media-streams/websocket-messages; schema in
// test/vectors/engines/twilio-media-streams.schema.json): connected, start, media every 20 ms, dtmf, mark
// (echoed once the audio before it has played or was cleared), stop; from the bot: media, mark, clear.
// Such bots control the call through the control API (hang-up, DTMF, transfer) with start.callSid as call id.
import { randomBytes } from 'node:crypto'
import type WebSocket from 'ws'
import type { MediaStreamEngineConfig } from '../../config/engine-schema'
import type { Logger } from '../../log'
import { audioPath, type AudioPath } from '../audio-convert'
import { EngineError, frameBytes, FRAME_MS, type EngineConnector, type EngineSession, type SessionStart } from '../engine-session'
import { connectWebSocket, newCounters, rec, str, WsEngineSession, type EngineLinkCounters } from '../ws-session'

export interface MediaStreamConnectorOptions {
  config: MediaStreamEngineConfig
  env: Readonly<Record<string, string | undefined>>
  log: Logger
}

/** Twilio-shaped SIDs: two letters and 32 hex digits. */
function sid (prefix: string): string {
  return prefix + randomBytes(16).toString('hex')
}

/** The account SID bots see: trunkgate has no Twilio account, so a fixed, recognisable one. */
export const TRUNKGATE_ACCOUNT_SID = 'AC' + '0'.repeat(32)

/** start.customParameters: the non-secret dynamic variables (values as strings, as Twilio's <Parameter>). */
export function customParameters (start: SessionStart): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of start.dynamicVariables) if (!v.secret) out[v.name] = String(v.value)
  return out
}

export class MediaStreamConnector implements EngineConnector {
  readonly protocol = 'media_stream'
  readonly counters: EngineLinkCounters = newCounters()
  private readonly config: MediaStreamEngineConfig
  private readonly env: Readonly<Record<string, string | undefined>>
  private readonly log: Logger

  constructor (opts: MediaStreamConnectorOptions) {
    this.config = opts.config
    this.env = opts.env
    this.log = opts.log
  }

  private headers (): Record<string, string> {
    if (!this.config.auth_token_env) return {}
    const token = this.env[this.config.auth_token_env]
    if (!token) throw new EngineError('ENGINE_ERR_REFUSED', `media_stream: environment variable ${this.config.auth_token_env} (engine.auth_token_env) is not set`)
    return { Authorization: `Bearer ${token}` }
  }

  async open (start: SessionStart): Promise<EngineSession> {
    const log = this.log.child({ callId: start.callId, engine: this.protocol })
    let ws: WebSocket
    try {
      ws = await connectWebSocket({ url: this.config.url, headers: this.headers(), connectTimeoutMs: this.config.connect_timeout_ms, log })
    } catch (err) {
      this.counters.sessionsFailed++
      const e = err as EngineError
      log.warn({ code: e.code, protocolCode: e.protocolCode }, e.message)
      throw err
    }
    const session = new MediaStreamSession(ws, start, { callId: start.callId, readyTimeoutMs: this.config.ready_timeout_ms, log, counters: this.counters })
    await session.ready
    this.counters.sessionsOpened++
    log.info({ streamSid: session.streamSid, inputFormat: session.inputFormat }, 'media_stream: stream started')
    return session
  }

  async probe (): Promise<{ ok: true } | { ok: false; detail: string }> {
    try { this.headers(); return { ok: true } } catch (err) { return { ok: false, detail: (err as Error).message } }
  }

  close (): void {}
}

class MediaStreamSession extends WsEngineSession {
  readonly protocol = 'media_stream'
  readonly streamSid = sid('MZ')
  private readonly callSid: string
  private readonly path: { in: AudioPath; out: AudioPath }
  private seq = 0
  private chunk = 0
  /** Bot marks travel under their own names; ours would be prefixed if we ever placed any. */
  private readonly botMarks = new Set<string>()

  constructor (ws: WebSocket, start: SessionStart, opts: ConstructorParameters<typeof WsEngineSession>[1]) {
    super(ws, opts)
    // The call's id is the callSid: the bot uses it with the control API (hang-up, DTMF, transfer).
    this.callSid = start.callId
    const wire = { encoding: 'mulaw' as const, sampleRate: 8000 }
    this.path = { in: audioPath(wire, start.offeredFormats, 'in')!, out: audioPath(wire, start.offeredFormats, 'out')! }
    this.inputFormat = this.path.in.callFormat
    this.outputFormat = this.path.out.callFormat
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' })
    this.sendSeq({
      event: 'start',
      start: {
        streamSid: this.streamSid,
        accountSid: TRUNKGATE_ACCOUNT_SID,
        callSid: this.callSid,
        tracks: ['inbound'],
        customParameters: customParameters(start),
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }
      }
    })
    // Twilio expects nothing back before media flows: the stream is ready once start is sent.
    this.becomeReady()
  }

  /** Every message after connected carries sequenceNumber (a string counting from "1") and streamSid. */
  private sendSeq (msg: Record<string, unknown>): void {
    this.send({ ...msg, sequenceNumber: String(++this.seq), streamSid: this.streamSid })
  }

  protected onMessage (msg: Record<string, unknown>): void {
    const event = str(msg, 'event')
    switch (event) {
      case 'media': {
        const payload = str(rec(msg, 'media') ?? {}, 'payload')
        if (payload === null) return this.dropInvalid('media', 'media.payload missing')
        const bytes = Buffer.from(payload, 'base64')
        this.deliver('audio', this.path.out.convert ? Buffer.from(this.path.out.convert(bytes)) : bytes)
        return
      }
      case 'mark': {
        const name = str(rec(msg, 'mark') ?? {}, 'name')
        if (name === null) return this.dropInvalid('mark', 'mark.name missing')
        this.botMarks.add(name)
        this.deliver('mark', name)
        return
      }
      case 'clear': this.deliver('clear'); return
      case null: return this.dropInvalid('a message', 'no event field')
      default: this.dropInvalid(`event "${event}"`, 'not one of media, mark, clear')
    }
  }

  sendAudioFrames (audio: Int16Array | Uint8Array, frames: number): void {
    const fb = frameBytes(this.inputFormat)
    // One media message per 20 ms frame, as Twilio sends them; timestamp = ms since the stream started.
    for (let f = 0; f < frames; f++) {
      const bytes = new Uint8Array(audio.buffer, audio.byteOffset + f * fb, fb)
      const wire = this.path.in.convert ? this.path.in.convert(bytes) : bytes
      const n = ++this.chunk
      const payload = Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength).toString('base64')
      // The media message of Twilio's documentation, written as text (the hot path: one per 20 ms).
      this.sendText(`{"event":"media","sequenceNumber":"${++this.seq}","media":{"track":"inbound","chunk":"${n}","timestamp":"${(n - 1) * FRAME_MS}","payload":"${payload}"},"streamSid":"${this.streamSid}"}`)
    }
  }

  sendDtmf (digit: string): void {
    this.sendSeq({ event: 'dtmf', dtmf: { track: 'inbound_track', digit } })
  }

  sendPlaybackMark (name: string): void {
    // Played or cleared: Twilio answers a mark either way.
    if (!this.botMarks.delete(name)) return
    this.sendSeq({ event: 'mark', mark: { name } })
  }

  sendToolResult (): void {}
  sendCallEvent (): void {}

  protected override farewell (): void {
    this.sendSeq({ event: 'stop', stop: { accountSid: TRUNKGATE_ACCOUNT_SID, callSid: this.callSid } })
  }
}
