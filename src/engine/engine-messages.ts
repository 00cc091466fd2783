// TypeScript shapes of the messages in proto/engine.proto, as @grpc/proto-loader delivers them with
// the options in engine-proto.ts (keepCase, enums as strings, longs as numbers, bytes as Buffer,
// oneof name in a virtual field). Keep in step with the .proto file.

export type CallDirection = 'CALL_DIRECTION_UNSPECIFIED' | 'CALL_DIRECTION_INBOUND' | 'CALL_DIRECTION_OUTBOUND'
export type AudioEncoding = 'AUDIO_ENCODING_UNSPECIFIED' | 'AUDIO_ENCODING_PCM_S16LE' | 'AUDIO_ENCODING_MULAW'
export type TransferType = 'TRANSFER_TYPE_UNSPECIFIED' | 'TRANSFER_TYPE_CONFERENCE' | 'TRANSFER_TYPE_SIP_REFER'
export type DtmfSource = 'DTMF_SOURCE_UNSPECIFIED' | 'DTMF_SOURCE_RFC4733' | 'DTMF_SOURCE_INFO' | 'DTMF_SOURCE_INBAND'
export type HangupSide = 'HANGUP_SIDE_UNSPECIFIED' | 'HANGUP_SIDE_CALLER' | 'HANGUP_SIDE_GATEWAY' | 'HANGUP_SIDE_ENGINE'
export type TransferState = 'STATE_UNSPECIFIED' | 'STATE_TRYING' | 'STATE_RINGING' | 'STATE_ANSWERED' | 'STATE_FAILED'

export interface AudioFormat { encoding: AudioEncoding; sample_rate: number; frame_ms: number }

export interface DynamicVariableMsg {
  name: string
  string_value?: string
  number_value?: number
  bool_value?: boolean
  value?: 'string_value' | 'number_value' | 'bool_value'
  secret: boolean
}

export interface TransferRuleMsg { destination_type: string; destination: string; condition: string; transfer_type: TransferType }

export interface OverridesMsg { prompt?: string; first_message?: string; language?: string; voice_id?: string }

export interface StartMsg {
  conversation_id: string
  agent_id: string
  direction: CallDirection
  caller_id: string
  called_number: string
  call_id: string
  call_sid: string
  sip_headers: Array<{ name: string; value: string }>
  dynamic_variables: DynamicVariableMsg[]
  overrides?: OverridesMsg | null
  custom_llm_extra_body_json: string
  user_id: string
  transfer_rules: TransferRuleMsg[]
  input_format?: AudioFormat | null
  output_format?: AudioFormat | null
  call_answered_unix_ms: number
  timezone: string
}

export interface AudioMsg { seq: number; data: Buffer }
export interface DtmfMsg { digit: string; duration_ms: number; source: DtmfSource }
export interface PlaybackMarkMsg { name: string; cleared: boolean }
export interface ToolResultMsg { tool_call_id: string; ok: boolean; error: string; result_json: string }
export interface TransferProgressMsg { tool_call_id: string; state: TransferState; sip_status: number; detail: string }
export interface CallHangupMsg { side: HangupSide; cause: string; sip_status: number }

export type CallEventMsg =
  | { event?: 'hold'; hold: Record<string, never> }
  | { event?: 'unhold'; unhold: Record<string, never> }
  | { event?: 'transfer'; transfer: TransferProgressMsg }
  | { event?: 'hangup'; hangup: CallHangupMsg }

export type GatewayMessage =
  | { msg?: 'start'; start: StartMsg }
  | { msg?: 'audio'; audio: AudioMsg }
  | { msg?: 'dtmf'; dtmf: DtmfMsg }
  | { msg?: 'playback_mark'; playback_mark: PlaybackMarkMsg }
  | { msg?: 'tool_result'; tool_result: ToolResultMsg }
  | { msg?: 'call_event'; call_event: CallEventMsg }

export interface TransferToNumberArgs { reason?: string; transfer_number: string; client_message: string; agent_message: string }
export interface PlayKeypadTouchToneArgs { reason?: string; dtmf_tones: string }
export interface ReasonArgs { reason?: string }
export interface VoicemailDetectionArgs { reason: string }

export type ToolCallMsg = { tool_call_id: string } & (
  | { tool?: 'transfer_to_number'; transfer_to_number: TransferToNumberArgs }
  | { tool?: 'play_keypad_touch_tone'; play_keypad_touch_tone: PlayKeypadTouchToneArgs }
  | { tool?: 'skip_turn'; skip_turn: ReasonArgs }
  | { tool?: 'voicemail_detection'; voicemail_detection: VoicemailDetectionArgs }
  | { tool?: 'end_call'; end_call: ReasonArgs }
)

export type ToolName = 'transfer_to_number' | 'play_keypad_touch_tone' | 'skip_turn' | 'voicemail_detection' | 'end_call'

export type EngineMessage =
  | { msg?: 'ready'; ready: Record<string, never> }
  | { msg?: 'audio'; audio: AudioMsg }
  | { msg?: 'clear'; clear: Record<string, never> }
  | { msg?: 'mark'; mark: { name: string } }
  | { msg?: 'tool_call'; tool_call: ToolCallMsg }
  | { msg?: 'hangup'; hangup: { reason: string } }

/** 20 ms of 16 kHz s16le mono: the gateway's frame. */
export const PCM16K_FRAME_BYTES = 640
export const FRAME_MS = 20
