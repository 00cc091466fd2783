// OpenAI Realtime (GA events; contract: openai-realtime-events.schema.json in test/vectors/engines).
// session.update carries the agent's instructions rendered with the call's non-secret dynamic variables, the
// voice, turn detection, the audio formats (audio/pcmu end to end for a PCMU trunk; audio/pcm 24 kHz, from
// the core when it offers it, else converted from 16 kHz here) and the system tools as function tools.
// Barge-in: input_audio_buffer.speech_started clears playout and truncates the assistant item at what the
// caller actually heard, known from the playout marks this session places every ≤100 ms of audio.
import type WebSocket from 'ws'
import { renderTemplate } from '../template'
import type { OpenAiRealtimeEngineConfig } from '../../config/engine-schema'
import type { Logger } from '../../log'
import { audioPath, wireMs, type AudioPath, type WireFormat } from '../audio-convert'
import {
  EngineError, frameBytes, MULAW8K, sameFormat, type CallEvent, type EngineConnector, type EngineSession, type SessionStart,
  type ToolName, type ToolOutcome
} from '../engine-session'
import { isSystemTool, systemToolDeclarations, toolCallFromVendor, type FunctionToolDeclaration } from '../system-tool-schema'
import {
  AudioBatcher, callEventText, connectWebSocket, dtmfText, newCounters, outcomeText, rec, str, WsEngineSession, type EngineLinkCounters
} from '../ws-session'

export interface OpenAiConnectorOptions {
  config: OpenAiRealtimeEngineConfig
  env: Readonly<Record<string, string | undefined>>
  log: Logger
}

/** Marks every this many ms of agent audio: the precision of audio_end_ms on barge-in. */
export const MARK_INTERVAL_MS = 100

type OpenAiAudioFormat = { type: 'audio/pcmu' } | { type: 'audio/pcm'; rate: 24000 }

export interface SessionUpdateMsg {
  type: 'session.update'
  session: {
    type: 'realtime'
    instructions: string
    output_modalities: Array<'audio'>
    audio: {
      input: {
        format: OpenAiAudioFormat
        turn_detection: Record<string, unknown> & { type: 'server_vad' | 'semantic_vad' }
        transcription?: { model: string }
      }
      output: { format: OpenAiAudioFormat; voice: string }
    }
    tools: FunctionToolDeclaration[]
    tool_choice: 'auto'
  }
}

type TextContent = [{ type: 'input_text'; text: string }]

/** Every client event this connector sends (checked against the openai package's types in the tests). */
export type OpenAiClientEvent =
  | SessionUpdateMsg
  | { type: 'input_audio_buffer.append'; audio: string }
  | { type: 'conversation.item.truncate'; item_id: string; content_index: number; audio_end_ms: number }
  | { type: 'conversation.item.create'; item: { type: 'function_call_output'; call_id: string; output: string } }
  | { type: 'conversation.item.create'; item: { type: 'message'; role: 'user'; content: TextContent } }
  | { type: 'conversation.item.create'; item: { type: 'message'; role: 'system'; content: TextContent } }
  | { type: 'response.create'; response?: { instructions: string } }

/** The wire format: μ-law end to end when the trunk leg is PCMU, else PCM 24 kHz (the only PCM rate the API takes). */
export function openAiWire (offered: SessionStart['offeredFormats']): WireFormat {
  return offered.some(f => sameFormat(f, MULAW8K)) ? { encoding: 'mulaw', sampleRate: 8000 } : { encoding: 'pcm_s16le', sampleRate: 24000 }
}

function llmVariables (start: SessionStart): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const v of start.dynamicVariables) if (!v.secret) out[v.name] = v.value
  return out
}

/** Renders a prompt with the call's variables; secret__ ones are never rendered (seed "Secret dynamic variables"). */
export function renderForModel (template: string, start: SessionStart): string {
  return renderTemplate(template, llmVariables(start)).text
}

export function sessionUpdateMessage (start: SessionStart, config: OpenAiRealtimeEngineConfig, wire: WireFormat): SessionUpdateMsg {
  const format: OpenAiAudioFormat = wire.encoding === 'mulaw' ? { type: 'audio/pcmu' } : { type: 'audio/pcm', rate: 24000 }
  const td = config.turn_detection
  const turnDetection: SessionUpdateMsg['session']['audio']['input']['turn_detection'] = td.type === 'semantic_vad'
    ? { type: 'semantic_vad', ...(td.eagerness ? { eagerness: td.eagerness } : {}) }
    : {
        type: 'server_vad',
        ...(td.threshold_percent !== undefined ? { threshold: td.threshold_percent / 100 } : {}),
        ...(td.prefix_padding_ms !== undefined ? { prefix_padding_ms: td.prefix_padding_ms } : {}),
        ...(td.silence_duration_ms !== undefined ? { silence_duration_ms: td.silence_duration_ms } : {})
      }
  const input: SessionUpdateMsg['session']['audio']['input'] = { format, turn_detection: turnDetection }
  if (config.transcription_model) input.transcription = { model: config.transcription_model }
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      instructions: renderForModel(start.overrides?.prompt ?? config.instructions, start),
      output_modalities: ['audio'],
      audio: { input, output: { format, voice: start.overrides?.voiceId ?? config.voice } },
      tools: systemToolDeclarations(config.system_tools, start.transferRules),
      tool_choice: 'auto'
    }
  }
}

export class OpenAiRealtimeConnector implements EngineConnector {
  readonly protocol = 'openai_realtime'
  readonly counters: EngineLinkCounters = newCounters()
  private readonly config: OpenAiRealtimeEngineConfig
  private readonly env: Readonly<Record<string, string | undefined>>
  private readonly log: Logger

  constructor (opts: OpenAiConnectorOptions) {
    this.config = opts.config
    this.env = opts.env
    this.log = opts.log
  }

  private target (): { url: string; headers: Record<string, string> } {
    const key = this.env[this.config.api_key_env]
    if (!key) throw new EngineError('ENGINE_ERR_REFUSED', `openai_realtime: environment variable ${this.config.api_key_env} (engine.api_key_env) is not set`)
    const u = new URL(this.config.url)
    u.searchParams.set('model', this.config.model)
    return { url: u.toString(), headers: { Authorization: `Bearer ${key}` } }
  }

  async open (start: SessionStart): Promise<EngineSession> {
    const log = this.log.child({ callId: start.callId, engine: this.protocol, model: this.config.model })
    let ws: WebSocket
    try {
      const t = this.target()
      ws = await connectWebSocket({ ...t, connectTimeoutMs: this.config.connect_timeout_ms, log })
    } catch (err) {
      this.counters.sessionsFailed++
      const e = err as EngineError
      log.warn({ code: e.code, protocolCode: e.protocolCode }, e.message)
      throw err
    }
    const session = new OpenAiRealtimeSession(ws, start, this.config, {
      callId: start.callId, readyTimeoutMs: this.config.ready_timeout_ms, log, counters: this.counters
    })
    await session.ready
    this.counters.sessionsOpened++
    log.info({ format: session.wire.encoding === 'mulaw' ? 'audio/pcmu' : 'audio/pcm 24k', inputFormat: session.inputFormat }, 'openai_realtime: session ready')
    return session
  }

  async probe (): Promise<{ ok: true } | { ok: false; detail: string }> {
    try { this.target(); return { ok: true } } catch (err) { return { ok: false, detail: (err as Error).message } }
  }

  close (): void {}
}

interface ItemPlayout { sentMs: number; playedMs: number }

class OpenAiRealtimeSession extends WsEngineSession {
  readonly protocol = 'openai_realtime'
  readonly wire: WireFormat
  private readonly inPath: AudioPath
  private readonly outPath: AudioPath
  private readonly start: SessionStart
  private readonly config: OpenAiRealtimeEngineConfig
  private readonly items = new Map<string, ItemPlayout>()
  private readonly marks = new Map<string, { itemId: string; endMs: number }>()
  private markSeq = 0
  /** The assistant item whose audio was queued last (the one a barge-in truncates). */
  private currentItem: string | null = null
  private readonly truncated = new Set<string>()
  private readonly pendingTools = new Map<string, ToolName>()
  private readonly batch = new AudioBatcher()
  private responseActive = false
  /** A voicemail message is being spoken: one mark after the whole response (the call hangs up on it). */
  private markAtResponseEnd = false

  constructor (ws: WebSocket, start: SessionStart, config: OpenAiRealtimeEngineConfig, opts: ConstructorParameters<typeof WsEngineSession>[1]) {
    super(ws, opts)
    this.start = start
    this.config = config
    this.wire = openAiWire(start.offeredFormats)
    this.inPath = audioPath(this.wire, start.offeredFormats, 'in')!
    this.outPath = audioPath(this.wire, start.offeredFormats, 'out')!
    this.inputFormat = this.inPath.callFormat
    this.outputFormat = this.outPath.callFormat
    this.out(sessionUpdateMessage(start, config, this.wire))
  }

  private out (msg: OpenAiClientEvent): void {
    this.send(msg)
  }

  protected onMessage (msg: Record<string, unknown>): void {
    const type = str(msg, 'type')
    switch (type) {
      case 'session.updated': this.becomeReady(); return
      case 'response.output_audio.delta': return this.onAudioDelta(msg)
      case 'input_audio_buffer.speech_started': this.bargeIn(); return
      case 'response.created': this.responseActive = true; return
      case 'response.done':
        this.responseActive = false
        if (this.markAtResponseEnd) { this.markAtResponseEnd = false; this.placeMark(this.currentItem ?? '') }
        return
      case 'response.function_call_arguments.done': return this.onFunctionCall(msg)
      case 'error': {
        const e = rec(msg, 'error') ?? {}
        this.lastVendorError = [str(e, 'code') ?? str(e, 'type'), str(e, 'message')].filter(Boolean).join(': ')
        this.log.warn({ vendorError: e }, `openai_realtime: server error: ${this.lastVendorError}`)
        return
      }
      case null: return this.dropInvalid('an event', 'no type field')
      default: this.log.trace({ type }, 'openai_realtime: event not used')
    }
  }

  private onAudioDelta (msg: Record<string, unknown>): void {
    const itemId = str(msg, 'item_id')
    const delta = str(msg, 'delta')
    if (itemId === null || delta === null) return this.dropInvalid('response.output_audio.delta', 'item_id or delta missing')
    if (this.truncated.has(itemId)) { this.counters.lateAudioDropped++; return }
    const bytes = Buffer.from(delta, 'base64')
    let item = this.items.get(itemId)
    if (!item) { item = { sentMs: 0, playedMs: 0 }; this.items.set(itemId, item) }
    this.currentItem = itemId
    // Pieces of at most MARK_INTERVAL_MS, each followed by a mark, so barge-in knows what was heard.
    const step = this.wire.encoding === 'mulaw' ? 8 * MARK_INTERVAL_MS : 48 * MARK_INTERVAL_MS
    for (let off = 0; off < bytes.length; off += step) {
      const piece = bytes.subarray(off, Math.min(bytes.length, off + step))
      this.deliver('audio', this.outPath.convert ? Buffer.from(this.outPath.convert(piece)) : piece)
      item.sentMs += wireMs(this.wire, piece.length)
      if (!this.markAtResponseEnd) this.placeMark(itemId)
    }
  }

  private placeMark (itemId: string): void {
    const name = `oai-${++this.markSeq}`
    this.marks.set(name, { itemId, endMs: this.items.get(itemId)?.sentMs ?? 0 })
    this.deliver('mark', name)
  }

  private bargeIn (): void {
    const itemId = this.currentItem
    const item = itemId ? this.items.get(itemId) : undefined
    if (!itemId || !item || item.playedMs >= item.sentMs || this.truncated.has(itemId)) return
    this.truncated.add(itemId)
    this.deliver('clear')
    this.out({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: Math.floor(item.playedMs) })
  }

  private onFunctionCall (msg: Record<string, unknown>): void {
    const callId = str(msg, 'call_id')
    const name = str(msg, 'name')
    const args = str(msg, 'arguments')
    if (callId === null || name === null || args === null) return this.dropInvalid('response.function_call_arguments.done', 'call_id, name or arguments missing')
    let params: unknown
    try { params = JSON.parse(args) } catch { params = null }
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      this.answerTool(callId, null, { ok: false, error: `arguments of ${name} are not a JSON object` })
      return
    }
    const call = isSystemTool(name) ? toolCallFromVendor(callId, name, params as Record<string, unknown>) : null
    if (!call) { this.answerTool(callId, null, { ok: false, error: `unknown function "${name}"` }); return }
    this.pendingTools.set(callId, call.name)
    this.deliver('toolCall', call)
  }

  /** function_call_output, then a response unless the tool means silence (skip_turn, a successful end_call). */
  private answerTool (callId: string, name: ToolName | null, outcome: ToolOutcome): void {
    this.out({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output: outcomeText(outcome) } })
    if (outcome.ok && (name === 'skip_turn' || name === 'end_call')) return
    const message = outcome.ok ? outcome.result?.voicemail_message : undefined
    if (typeof message === 'string' && outcome.ok && outcome.result?.hangup_after_mark === true) {
      this.markAtResponseEnd = true
      this.out({ type: 'response.create', response: { instructions: `Leave this voicemail message, word for word, then stop: "${message}"` } })
      return
    }
    this.out({ type: 'response.create' })
  }

  override answered (): void {
    const first = this.start.overrides?.firstMessage ?? this.config.first_message
    if (!first) return
    const text = renderForModel(first, this.start)
    this.out({ type: 'response.create', response: { instructions: `Greet the caller by saying exactly: "${text}"` } })
  }

  sendAudioFrames (audio: Int16Array | Uint8Array, frames: number): void {
    if (!this.isReady) return
    const n = Math.min(audio.byteLength, frames * frameBytes(this.inputFormat))
    const bytes = new Uint8Array(audio.buffer, audio.byteOffset, n)
    const wire = this.inPath.convert ? this.inPath.convert(bytes) : bytes
    const b64 = this.batch.push(wire, frames)
    // = JSON.stringify({ type: 'input_audio_buffer.append', audio: base64 }) (OpenAiClientEvent), without the object
    if (b64 !== null) this.sendText(`{"type":"input_audio_buffer.append","audio":"${b64}"}`)
  }

  sendDtmf (digit: string): void {
    this.out({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: dtmfText(digit) }] } })
    if (!this.responseActive) this.out({ type: 'response.create' })
  }

  sendPlaybackMark (name: string, cleared: boolean): void {
    const m = this.marks.get(name)
    if (!m) return
    this.marks.delete(name)
    if (cleared) return
    const item = this.items.get(m.itemId)
    if (item && m.endMs > item.playedMs) item.playedMs = m.endMs
  }

  sendToolResult (toolCallId: string, outcome: ToolOutcome): void {
    const name = this.pendingTools.get(toolCallId)
    if (name === undefined) return
    this.pendingTools.delete(toolCallId)
    this.answerTool(toolCallId, name, outcome)
  }

  sendCallEvent (event: CallEvent): void {
    // Progress (trying/ringing) is noise to the model; the tool result already says how a transfer ended.
    if (event.type === 'transfer' && (event.state === 'trying' || event.state === 'ringing')) return
    this.out({ type: 'conversation.item.create', item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: callEventText(event) }] } })
  }
}
