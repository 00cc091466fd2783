// What a call needs from any conversation engine, whatever its wire protocol (gRPC trunkgate.engine.v1,
// ElevenLabs Agents, OpenAI Realtime, Twilio-compatible media streams, the embedded demo).
//
// The call owns the telephony: it carries out the system tools (transfer, keypad tones, skip turn,
// voicemail, end call), decides hang-ups and writes the record. An engine implementation only
// translates between these engine-neutral messages and its own protocol. Nothing here is
// protocol-shaped: the gRPC implementation maps these types to and from engine.proto.
import type { EventEmitter } from 'node:events'

/** Audio formats a session may ask for. 20 ms frames throughout. */
export type EngineAudioFormat =
  | { encoding: 'pcm_s16le'; sampleRate: 16000 }
  | { encoding: 'pcm_s16le'; sampleRate: 24000 }
  | { encoding: 'mulaw'; sampleRate: 8000 }

export const PCM16K: EngineAudioFormat = { encoding: 'pcm_s16le', sampleRate: 16000 }
export const PCM24K: EngineAudioFormat = { encoding: 'pcm_s16le', sampleRate: 24000 }
/** μ-law 8 kHz: passed through from a PCMU trunk leg without decode/encode when the media core offers it. */
export const MULAW8K: EngineAudioFormat = { encoding: 'mulaw', sampleRate: 8000 }

export const FRAME_MS = 20

/** Bytes of one 20 ms frame in a format. */
export function frameBytes (f: EngineAudioFormat): number {
  return f.encoding === 'mulaw' ? (f.sampleRate * FRAME_MS) / 1000 : (f.sampleRate * FRAME_MS * 2) / 1000
}

export function sameFormat (a: EngineAudioFormat, b: EngineAudioFormat): boolean {
  return a.encoding === b.encoding && a.sampleRate === b.sampleRate
}

export function formatName (f: EngineAudioFormat): string {
  return f.encoding === 'mulaw' ? 'mulaw_8000' : `pcm_${f.sampleRate}`
}

export type CallDirection = 'inbound' | 'outbound'
export type DtmfSource = 'rfc4733' | 'info' | 'inband'
export type HangupSide = 'caller' | 'gateway' | 'engine'
export type TransferType = 'conference' | 'sip_refer'

export interface DynamicVariable { name: string; value: string | number | boolean; secret: boolean }

export interface TransferRule {
  destinationType: 'phone' | 'sip_uri'
  destination: string
  condition: string
  transferType: TransferType
}

export interface EngineOverrides { prompt?: string; firstMessage?: string; language?: string; voiceId?: string }

/** Everything an engine is told when the session opens (while the call rings). */
export interface SessionStart {
  conversationId: string
  agentId: string
  direction: CallDirection
  callerId: string
  calledNumber: string
  /** The gateway's call id (X-CALL-ID / SIP Call-ID derived); also used as a Twilio-style call SID. */
  callId: string
  callSid: string
  sipHeaders: Array<{ name: string; value: string }>
  /** Custom and secret__ dynamic variables plus the platform's system__ ones (flagged secret where secret). */
  dynamicVariables: DynamicVariable[]
  overrides: EngineOverrides | null
  customLlmExtraBody: Record<string, unknown> | null
  userId: string
  transferRules: TransferRule[]
  timezone: string
  /**
   * Formats the call can carry to and from this engine, best first. PCM16K is always present; MULAW8K
   * when the trunk leg is PCMU and the media core passes it through; PCM24K when the media core offers it.
   * The session picks from these (inputFormat/outputFormat).
   */
  offeredFormats: EngineAudioFormat[]
}

export type ToolName = 'transfer_to_number' | 'play_keypad_touch_tone' | 'skip_turn' | 'voicemail_detection' | 'end_call'

export interface TransferToNumberArgs { reason?: string; transferNumber: string; clientMessage: string; agentMessage: string }

/** A system tool the engine asked for; arguments as the engine gave them (the call validates them). */
export type ToolCall = { id: string } & (
  | { name: 'transfer_to_number'; args: TransferToNumberArgs }
  | { name: 'play_keypad_touch_tone'; args: { reason?: string; dtmfTones: string } }
  | { name: 'skip_turn'; args: { reason?: string } }
  | { name: 'voicemail_detection'; args: { reason: string } }
  | { name: 'end_call'; args: { reason?: string } }
)

export type ToolOutcome = { ok: true; result?: Record<string, unknown> } | { ok: false; error: string }

export type TransferState = 'trying' | 'ringing' | 'answered' | 'failed'

export type CallEvent =
  | { type: 'hold' }
  | { type: 'unhold' }
  | { type: 'transfer'; toolCallId: string; state: TransferState; sipStatus: number; detail: string }

export type EngineErrorCode =
  | 'ENGINE_ERR_CONNECT_REFUSED'  // nothing listens there: fails at once
  | 'ENGINE_ERR_CONNECT_TIMEOUT'  // no connection in time (engine down, wrong address)
  | 'ENGINE_ERR_READY_TIMEOUT'    // connected but not ready in time
  | 'ENGINE_ERR_REFUSED'          // the engine refused or closed the session before it was ready
  | 'ENGINE_ERR_PROTOCOL'         // the engine sent something the protocol does not allow
  | 'ENGINE_ERR_STREAM'           // the session broke mid-call

export class EngineError extends Error {
  readonly code: EngineErrorCode
  /** Protocol-specific status (gRPC status code, WebSocket close code), when there is one. */
  readonly protocolCode: number | undefined
  constructor (code: EngineErrorCode, message: string, opts: { cause?: unknown; protocolCode?: number } = {}) {
    super(message, { cause: opts.cause })
    this.name = 'EngineError'
    this.code = code
    this.protocolCode = opts.protocolCode
  }
}

export interface EngineSessionEvents {
  /** Agent audio in outputFormat, any whole number of samples. */
  audio: [data: Buffer]
  /** Barge-in: drop queued agent audio. */
  clear: []
  /** Tell the engine (sendPlaybackMark) when the audio queued before this mark has played or was cleared. */
  mark: [name: string]
  toolCall: [call: ToolCall]
  /** The engine ends the conversation (after the audio it queued). */
  hangup: [reason: string]
  /** The session broke; reported once. */
  error: [err: EngineError]
  /** The engine closed the session (after or without hangup). */
  end: []
}

/** One call's conversation with an engine. Events are held until resume(). */
export interface EngineSession extends EventEmitter<EngineSessionEvents> {
  /** 'grpc', 'elevenlabs', 'openai_realtime', 'media_stream', 'demo'. */
  readonly protocol: string
  /** What the engine hears: the call sends frames in this format. */
  readonly inputFormat: EngineAudioFormat
  /** What the engine speaks: 'audio' events carry this format. */
  readonly outputFormat: EngineAudioFormat
  /** Starts delivering events (held ones first). Call once, after attaching listeners. */
  resume: () => void
  /** The call was answered: an engine that speaks first may start now. */
  answered: () => void
  /** `frames` consecutive 20 ms frames in inputFormat from a reused buffer (copy what you keep). */
  sendAudioFrames: (audio: Int16Array | Uint8Array, frames: number) => void
  sendDtmf: (digit: string, durationMs: number, source: DtmfSource) => void
  /** A mark the engine placed came back: played, or cleared before playing. */
  sendPlaybackMark: (name: string, cleared: boolean) => void
  sendToolResult: (toolCallId: string, outcome: ToolOutcome) => void
  sendCallEvent: (event: CallEvent) => void
  /** The call is over: the engine hears who ended it and why; the session then closes. */
  hangup: (side: HangupSide, cause: string, sipStatus: number) => void
  /** Drop the session at once (shutdown, abandoned setup). */
  cancel: () => void
}

/** Opens sessions of one engine protocol (one per configured engine). */
export interface EngineConnector {
  readonly protocol: string
  /** Opens a session and resolves once the engine is ready; rejects with an EngineError otherwise. */
  open: (start: SessionStart) => Promise<EngineSession>
  /** Checks once that the engine answers (startup warning); never throws. */
  probe: () => Promise<{ ok: true } | { ok: false; detail: string }>
  close: () => void
}
