// ElevenLabs Agents over their public conversation WebSocket (contract: elevenlabs-agent.asyncapi.yaml in
// test/vectors/engines). Public agents connect by agent_id; private ones through a signed URL fetched with the
// API key (seed "Agent authentication"). The session is ready when the server's
// conversation_initiation_metadata names the audio formats; the telephony system tools arrive as client tools
// the call carries out; end_call reported as a system agent_tool_response hangs up after queued audio.
import type WebSocket from 'ws'
import type { ElevenLabsEngineConfig } from '../../config/engine-schema'
import type { Logger } from '../../log'
import { audioPath, wireName, type AudioPath, type WireFormat } from '../audio-convert'
import {
  EngineError, frameBytes, type CallEvent, type EngineConnector, type EngineSession, type SessionStart, type ToolOutcome
} from '../engine-session'
import { isSystemTool, SYSTEM_TOOLS, toolCallFromVendor } from '../system-tool-schema'
import {
  AudioBatcher, callEventText, connectWebSocket, dtmfText, int, newCounters, outcomeText, rec, redact, str, WsEngineSession, type EngineLinkCounters
} from '../ws-session'

export interface ElevenLabsConnectorOptions {
  config: ElevenLabsEngineConfig
  env: Readonly<Record<string, string | undefined>>
  log: Logger
}

/** The language codes an ElevenLabs agent override accepts (ASR and TTS); others would refuse the conversation. */
export const ELEVENLABS_LANGUAGES = [
  'en', 'ja', 'zh', 'de', 'hi', 'fr', 'ko', 'pt', 'pt-br', 'it', 'es', 'id', 'nl', 'tr', 'pl', 'sv', 'bg', 'ro', 'ar', 'cs', 'el',
  'fi', 'ms', 'da', 'ta', 'uk', 'ru', 'hu', 'hr', 'sk', 'no', 'vi', 'tl', 'af', 'hy', 'as', 'az', 'be', 'bn', 'bs', 'ca', 'et',
  'gl', 'ka', 'gu', 'ha', 'he', 'is', 'ga', 'jv', 'kn', 'kk', 'ky', 'lv', 'lt', 'lb', 'mk', 'ml', 'mr', 'ne', 'ps', 'fa', 'pa',
  'sr', 'sd', 'sl', 'so', 'sw', 'te', 'th', 'ur', 'cy'
] as const
export type ElevenLabsLanguage = typeof ELEVENLABS_LANGUAGES[number]

function elevenLabsLanguage (code: string): ElevenLabsLanguage | null {
  const c = code.toLowerCase()
  return (ELEVENLABS_LANGUAGES as readonly string[]).includes(c) ? c as ElevenLabsLanguage : null
}

export interface CallVariableNames { caller_id: string; called_number: string; call_sid: string }

export interface ConversationInitiationMsg {
  type: 'conversation_initiation_client_data'
  dynamic_variables: Record<string, string | number | boolean>
  conversation_config_override?: {
    agent?: { prompt?: { prompt: string }; first_message?: string; language?: ElevenLabsLanguage }
    tts?: { voice_id: string }
  }
  custom_llm_extra_body?: Record<string, unknown>
  user_id?: string
}

/** Every message this connector sends (checked against @elevenlabs/types in the tests). */
export type ElevenLabsClientMessage =
  | ConversationInitiationMsg
  | { user_audio_chunk: string }
  | { type: 'pong'; event_id: number }
  | { type: 'client_tool_result'; tool_call_id: string; result: string; is_error: boolean }
  | { type: 'contextual_update'; text: string; context_id?: string }

/**
 * conversation_initiation_client_data for a call: the custom and secret__ variables (the platform keeps
 * secret__ ones away from the LLM itself), the call's facts under the configured names (system__ is the
 * platform's own prefix), the overrides the agent allowed, custom_llm_extra_body and user_id.
 */
export function initiationMessage (start: SessionStart, names: CallVariableNames): ConversationInitiationMsg {
  const vars: Record<string, string | number | boolean> = {}
  for (const v of start.dynamicVariables) if (!v.name.startsWith('system__')) vars[v.name] = v.value
  vars[names.caller_id] = start.callerId
  vars[names.called_number] = start.calledNumber
  vars[names.call_sid] = start.callSid || start.callId
  const msg: ConversationInitiationMsg = { type: 'conversation_initiation_client_data', dynamic_variables: vars }
  const o = start.overrides
  if (o) {
    const agent: NonNullable<ConversationInitiationMsg['conversation_config_override']>['agent'] = {}
    if (o.prompt !== undefined) agent.prompt = { prompt: o.prompt }
    if (o.firstMessage !== undefined) agent.first_message = o.firstMessage
    // A language the platform does not know would refuse the whole conversation: the agent's own stays.
    const language = o.language !== undefined ? elevenLabsLanguage(o.language) : null
    if (language) agent.language = language
    const override: NonNullable<ConversationInitiationMsg['conversation_config_override']> = {}
    if (Object.keys(agent).length > 0) override.agent = agent
    if (o.voiceId !== undefined) override.tts = { voice_id: o.voiceId }
    if (Object.keys(override).length > 0) msg.conversation_config_override = override
  }
  if (start.customLlmExtraBody) msg.custom_llm_extra_body = start.customLlmExtraBody
  if (start.userId) msg.user_id = start.userId
  return msg
}

/** "pcm_16000" / "ulaw_8000" as announced in conversation_initiation_metadata. */
export function parseElevenLabsFormat (name: string): WireFormat | null {
  const m = /^(pcm|ulaw)_(\d+)$/.exec(name)
  if (!m) return null
  return { encoding: m[1] === 'ulaw' ? 'mulaw' : 'pcm_s16le', sampleRate: Number(m[2]) }
}

export class ElevenLabsConnector implements EngineConnector {
  readonly protocol = 'elevenlabs'
  readonly counters: EngineLinkCounters = newCounters()
  private readonly config: ElevenLabsEngineConfig
  private readonly env: Readonly<Record<string, string | undefined>>
  private readonly log: Logger

  constructor (opts: ElevenLabsConnectorOptions) {
    this.config = opts.config
    this.env = opts.env
    this.log = opts.log
  }

  async open (start: SessionStart): Promise<EngineSession> {
    const log = this.log.child({ callId: start.callId, engine: this.protocol, agentId: this.config.agent_id })
    let ws: WebSocket
    try {
      const url = await this.sessionUrl()
      ws = await connectWebSocket({ url, connectTimeoutMs: this.config.connect_timeout_ms, log })
    } catch (err) {
      this.counters.sessionsFailed++
      const e = err as EngineError
      log.warn({ code: e.code, protocolCode: e.protocolCode }, e.message)
      throw err
    }
    const session = new ElevenLabsSession(ws, start, this.config.call_variables, {
      callId: start.callId, readyTimeoutMs: this.config.ready_timeout_ms, log, counters: this.counters
    })
    await session.ready
    this.counters.sessionsOpened++
    log.info({ inputFormat: session.wireIn, outputFormat: session.wireOut }, 'elevenlabs: conversation started')
    return session
  }

  /** Public agent: the conversation URL; private agent: a signed URL fetched with the API key. */
  private async sessionUrl (): Promise<string> {
    const base = this.config.base_url.replace(/\/+$/, '')
    const agent = encodeURIComponent(this.config.agent_id)
    if (!this.config.api_key_env) return `${base}/v1/convai/conversation?agent_id=${agent}`
    const key = this.env[this.config.api_key_env]
    if (!key) throw new EngineError('ENGINE_ERR_REFUSED', `elevenlabs: environment variable ${this.config.api_key_env} (engine.api_key_env) is not set`)
    const httpBase = base.replace(/^ws/, 'http')
    const url = `${httpBase}/v1/convai/conversation/get-signed-url?agent_id=${agent}`
    let res: Response
    try {
      res = await fetch(url, { headers: { 'xi-api-key': key }, signal: AbortSignal.timeout(this.config.connect_timeout_ms) })
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } }
      if (e.name === 'TimeoutError') throw new EngineError('ENGINE_ERR_CONNECT_TIMEOUT', `elevenlabs: no signed URL from ${redact(url)} within ${this.config.connect_timeout_ms} ms`)
      const code = e.cause?.code === 'ECONNREFUSED' ? 'ENGINE_ERR_CONNECT_REFUSED' : 'ENGINE_ERR_REFUSED'
      throw new EngineError(code, `elevenlabs: signed URL request to ${redact(url)} failed: ${e.message}`, { cause: err })
    }
    if (!res.ok) {
      throw new EngineError('ENGINE_ERR_REFUSED', `elevenlabs: signed URL request refused: HTTP ${res.status} (check ${this.config.api_key_env} and agent_id)`, { protocolCode: res.status })
    }
    const body = await res.json().catch(() => null) as { signed_url?: unknown } | null
    const signed = body?.signed_url
    if (typeof signed !== 'string' || !/^wss?:\/\//.test(signed)) {
      throw new EngineError('ENGINE_ERR_PROTOCOL', 'elevenlabs: signed URL response has no signed_url')
    }
    return signed
  }

  async probe (): Promise<{ ok: true } | { ok: false; detail: string }> {
    try {
      await this.sessionUrl()
      return { ok: true }
    } catch (err) {
      return { ok: false, detail: (err as Error).message }
    }
  }

  close (): void {}
}

class ElevenLabsSession extends WsEngineSession {
  readonly protocol = 'elevenlabs'
  wireIn = ''
  wireOut = ''
  private inPath: AudioPath | null = null
  private outPath: AudioPath | null = null
  /** Audio events with an id at or below the last interruption belong to the interrupted response. */
  private lastInterruptId = -1
  private readonly pendingTools = new Set<string>()
  private readonly batch = new AudioBatcher()
  private readonly offered: SessionStart['offeredFormats']

  constructor (ws: WebSocket, start: SessionStart, names: CallVariableNames, opts: ConstructorParameters<typeof WsEngineSession>[1]) {
    super(ws, opts)
    this.offered = start.offeredFormats
    this.out(initiationMessage(start, names))
  }

  private out (msg: ElevenLabsClientMessage): void {
    this.send(msg)
  }

  protected onMessage (msg: Record<string, unknown>): void {
    const type = str(msg, 'type')
    switch (type) {
      case 'conversation_initiation_metadata': return this.onMetadata(msg)
      case 'audio': return this.onAudio(msg)
      case 'interruption': {
        const id = int(rec(msg, 'interruption_event') ?? {}, 'event_id')
        if (id === null) return this.dropInvalid('interruption', 'interruption_event.event_id is not an integer')
        this.lastInterruptId = Math.max(this.lastInterruptId, id)
        this.deliver('clear')
        return
      }
      case 'ping': {
        const id = int(rec(msg, 'ping_event') ?? {}, 'event_id')
        if (id === null) return this.dropInvalid('ping', 'ping_event.event_id is not an integer')
        this.out({ type: 'pong', event_id: id })
        return
      }
      case 'client_tool_call': return this.onClientToolCall(msg)
      case 'agent_tool_response': {
        const r = rec(msg, 'agent_tool_response')
        if (!r || str(r, 'tool_name') === null) return this.dropInvalid('agent_tool_response', 'agent_tool_response.tool_name missing')
        // seed "End call": the platform ran its system end_call; the call ends once its queued audio played.
        if (r.tool_name === 'end_call' && r.is_error !== true) this.deliver('hangup', 'end_call')
        return
      }
      case 'error': {
        const e = rec(msg, 'error_event') ?? {}
        this.lastVendorError = [str(e, 'error_type'), str(e, 'message') ?? str(e, 'reason')].filter(Boolean).join(': ') || `error code ${String(e.code)}`
        this.log.warn({ vendorError: e }, `elevenlabs: server error: ${this.lastVendorError}`)
        return
      }
      case null: return this.dropInvalid('a message', 'no type field')
      default:
        // Transcripts, agent text, VAD scores, metadata: not needed to carry the call.
        this.log.trace({ type }, 'elevenlabs: event not used')
    }
  }

  private onMetadata (msg: Record<string, unknown>): void {
    const m = rec(msg, 'conversation_initiation_metadata_event')
    const inName = m ? str(m, 'user_input_audio_format') : null
    const outName = m ? str(m, 'agent_output_audio_format') : null
    if (!m || inName === null || outName === null) return this.dropInvalid('conversation_initiation_metadata', 'audio formats missing')
    const wireIn = parseElevenLabsFormat(inName)
    const wireOut = parseElevenLabsFormat(outName)
    this.inPath = wireIn ? audioPath(wireIn, this.offered, 'in') : null
    this.outPath = wireOut ? audioPath(wireOut, this.offered, 'out') : null
    if (!this.inPath || !this.outPath) {
      this.failHandshake(new EngineError('ENGINE_ERR_PROTOCOL',
        `elevenlabs: agent uses ${inName} in / ${outName} out; trunkgate carries pcm_8000, pcm_16000, pcm_24000, pcm_48000 and ulaw_8000 (set the agent's audio formats to pcm_16000 or ulaw_8000)`))
      return
    }
    this.wireIn = wireName(wireIn!)
    this.wireOut = wireName(wireOut!)
    this.inputFormat = this.inPath.callFormat
    this.outputFormat = this.outPath.callFormat
    this.becomeReady()
  }

  private onAudio (msg: Record<string, unknown>): void {
    const a = rec(msg, 'audio_event')
    const b64 = a ? str(a, 'audio_base_64') : null
    const id = a ? int(a, 'event_id') : null
    if (b64 === null || id === null) return this.dropInvalid('audio', 'audio_event.audio_base_64 or event_id missing')
    if (!this.isReady || !this.outPath) return this.dropInvalid('audio', 'audio before conversation_initiation_metadata')
    if (id <= this.lastInterruptId) { this.counters.lateAudioDropped++; return }
    const bytes = Buffer.from(b64, 'base64')
    this.deliver('audio', this.outPath.convert ? Buffer.from(this.outPath.convert(bytes)) : bytes)
  }

  private onClientToolCall (msg: Record<string, unknown>): void {
    const c = rec(msg, 'client_tool_call')
    const name = c ? str(c, 'tool_name') : null
    const id = c ? str(c, 'tool_call_id') : null
    const params = c ? rec(c, 'parameters') : null
    if (!c || name === null || id === null || params === null) return this.dropInvalid('client_tool_call', 'tool_name, tool_call_id or parameters missing')
    const call = isSystemTool(name) ? toolCallFromVendor(id, name, params) : null
    if (!call) {
      this.out({ type: 'client_tool_result', tool_call_id: id, result: `unknown client tool "${name}": trunkgate carries out ${SYSTEM_TOOLS.join(', ')}`, is_error: true })
      return
    }
    this.pendingTools.add(id)
    this.deliver('toolCall', call)
  }

  sendAudioFrames (audio: Int16Array | Uint8Array, frames: number): void {
    if (!this.inPath) return
    const n = Math.min(audio.byteLength, frames * frameBytes(this.inputFormat))
    const bytes = new Uint8Array(audio.buffer, audio.byteOffset, n)
    const wire = this.inPath.convert ? this.inPath.convert(bytes) : bytes
    const b64 = this.batch.push(wire, frames)
    // = JSON.stringify({ user_audio_chunk: base64 }) (ElevenLabsClientMessage), without the object
    if (b64 !== null) this.sendText(`{"user_audio_chunk":"${b64}"}`)
  }

  sendDtmf (digit: string): void {
    this.out({ type: 'contextual_update', text: dtmfText(digit) })
  }

  sendPlaybackMark (): void {}

  sendToolResult (toolCallId: string, outcome: ToolOutcome): void {
    if (!this.pendingTools.delete(toolCallId)) return
    this.out({ type: 'client_tool_result', tool_call_id: toolCallId, result: outcomeText(outcome), is_error: !outcome.ok })
  }

  sendCallEvent (event: CallEvent): void {
    // context_id keeps only the latest state of one transfer (or of hold) in the agent's context.
    const contextId = event.type === 'transfer' ? `transfer_${event.toolCallId}` : 'hold'
    this.out({ type: 'contextual_update', text: callEventText(event), context_id: contextId })
  }
}
