// trunkgate.engine.v1 over gRPC as one EngineConnector: maps the engine-neutral messages of
// engine-session.ts to and from the proto messages of engine-messages.ts. The wire format is
// engine-client.ts's, unchanged; nothing proto-shaped leaves this file and the gRPC client.
import { EventEmitter } from 'node:events'
import { rootLogger, type Logger } from '../log'
import { EngineClient, type EngineCall, type EngineClientOptions } from './engine-client'
import type {
  CallEventMsg, DtmfSource as ProtoDtmfSource, DynamicVariableMsg, HangupSide as ProtoHangupSide, StartMsg, ToolCallMsg,
  TransferState as ProtoTransferState
} from './engine-messages'
import {
  PCM16K, type CallEvent, type DtmfSource, type DynamicVariable, type EngineConnector, type EngineError, type EngineSession,
  type EngineSessionEvents, type HangupSide, type SessionStart, type ToolCall, type ToolOutcome, type TransferState
} from './engine-session'

const PROTO_DTMF_SOURCE: Record<DtmfSource, ProtoDtmfSource> = {
  rfc4733: 'DTMF_SOURCE_RFC4733', info: 'DTMF_SOURCE_INFO', inband: 'DTMF_SOURCE_INBAND'
}
const PROTO_HANGUP_SIDE: Record<HangupSide, Exclude<ProtoHangupSide, 'HANGUP_SIDE_UNSPECIFIED'>> = {
  caller: 'HANGUP_SIDE_CALLER', gateway: 'HANGUP_SIDE_GATEWAY', engine: 'HANGUP_SIDE_ENGINE'
}
const PROTO_TRANSFER_STATE: Record<TransferState, ProtoTransferState> = {
  trying: 'STATE_TRYING', ringing: 'STATE_RINGING', answered: 'STATE_ANSWERED', failed: 'STATE_FAILED'
}
const PROTO_PCM16K = { encoding: 'AUDIO_ENCODING_PCM_S16LE', sample_rate: 16000, frame_ms: 20 } as const

function dynamicVariableMsg (v: DynamicVariable): DynamicVariableMsg {
  return typeof v.value === 'string'
    ? { name: v.name, secret: v.secret, string_value: v.value }
    : typeof v.value === 'number'
      ? { name: v.name, secret: v.secret, number_value: v.value }
      : { name: v.name, secret: v.secret, bool_value: v.value }
}

/** The proto Start for a session start; the engine hears 16 kHz PCM both ways (the v1 protocol's only format). */
export function toStartMsg (s: SessionStart, answeredAtMs: number): StartMsg {
  const o = s.overrides
  return {
    conversation_id: s.conversationId,
    agent_id: s.agentId,
    direction: s.direction === 'outbound' ? 'CALL_DIRECTION_OUTBOUND' : 'CALL_DIRECTION_INBOUND',
    caller_id: s.callerId,
    called_number: s.calledNumber,
    call_id: s.callId,
    call_sid: s.callSid,
    sip_headers: s.sipHeaders,
    dynamic_variables: s.dynamicVariables.map(dynamicVariableMsg),
    overrides: o === null
      ? null
      : {
          ...(o.prompt !== undefined ? { prompt: o.prompt } : {}),
          ...(o.firstMessage !== undefined ? { first_message: o.firstMessage } : {}),
          ...(o.language !== undefined ? { language: o.language } : {}),
          ...(o.voiceId !== undefined ? { voice_id: o.voiceId } : {})
        },
    custom_llm_extra_body_json: s.customLlmExtraBody ? JSON.stringify(s.customLlmExtraBody) : '',
    user_id: s.userId,
    transfer_rules: s.transferRules.map(r => ({
      destination_type: r.destinationType,
      destination: r.destination,
      condition: r.condition,
      transfer_type: r.transferType === 'sip_refer' ? 'TRANSFER_TYPE_SIP_REFER' : 'TRANSFER_TYPE_CONFERENCE'
    })),
    input_format: PROTO_PCM16K,
    output_format: PROTO_PCM16K,
    call_answered_unix_ms: answeredAtMs,
    timezone: s.timezone
  }
}

/** A proto ToolCall as the neutral one; null for a ToolCall naming no tool the protocol knows. */
export function fromToolCallMsg (m: ToolCallMsg): ToolCall | null {
  const id = m.tool_call_id
  switch (m.tool) {
    case 'transfer_to_number': {
      const a = m.transfer_to_number
      return { id, name: 'transfer_to_number', args: { reason: a.reason, transferNumber: a.transfer_number, clientMessage: a.client_message, agentMessage: a.agent_message } }
    }
    case 'play_keypad_touch_tone':
      return { id, name: 'play_keypad_touch_tone', args: { reason: m.play_keypad_touch_tone.reason, dtmfTones: m.play_keypad_touch_tone.dtmf_tones } }
    case 'skip_turn': return { id, name: 'skip_turn', args: { reason: m.skip_turn.reason } }
    case 'voicemail_detection': return { id, name: 'voicemail_detection', args: { reason: m.voicemail_detection.reason } }
    case 'end_call': return { id, name: 'end_call', args: { reason: m.end_call.reason } }
    default: return null
  }
}

export function toCallEventMsg (ev: CallEvent): CallEventMsg {
  switch (ev.type) {
    case 'hold': return { hold: {} }
    case 'unhold': return { unhold: {} }
    case 'transfer':
      return { transfer: { tool_call_id: ev.toolCallId, state: PROTO_TRANSFER_STATE[ev.state], sip_status: ev.sipStatus, detail: ev.detail } }
  }
}

/** One call's Converse stream as an EngineSession. */
class GrpcSession extends EventEmitter<EngineSessionEvents> implements EngineSession {
  readonly protocol = 'grpc'
  readonly inputFormat = PCM16K
  readonly outputFormat = PCM16K

  constructor (private readonly call: EngineCall, log: Logger) {
    super()
    call.on('audio', data => this.emit('audio', data))
    call.on('clear', () => this.emit('clear'))
    call.on('mark', name => this.emit('mark', name))
    call.on('toolCall', m => {
      const tool = fromToolCallMsg(m)
      if (tool !== null) { this.emit('toolCall', tool); return }
      // Every ToolCall gets exactly one ToolResult (proto README "Tools"), even one we cannot read.
      log.warn({ toolCallId: m.tool_call_id }, 'engine ToolCall names no known tool')
      call.sendToolResult(m.tool_call_id, { ok: false, error: 'unknown tool: ToolCall carries no tool the gateway knows' })
    })
    call.on('hangup', reason => this.emit('hangup', reason))
    call.on('error', (err: EngineError) => this.emit('error', err))
    call.on('end', () => this.emit('end'))
  }

  resume (): void { this.call.resume() }
  /** v1 engines learn of the answer from the Start (sent while ringing, Ready before the 200). */
  answered (): void {}
  sendAudioFrames (audio: Int16Array | Uint8Array, frames: number): void {
    this.call.sendAudioFrames(audio instanceof Int16Array ? audio : new Int16Array(audio.buffer, audio.byteOffset, audio.byteLength >> 1), frames)
  }

  sendDtmf (digit: string, durationMs: number, source: DtmfSource): void { this.call.sendDtmf(digit, durationMs, PROTO_DTMF_SOURCE[source]) }
  sendPlaybackMark (name: string, cleared: boolean): void { this.call.sendPlaybackMark(name, cleared) }
  sendToolResult (toolCallId: string, outcome: ToolOutcome): void { this.call.sendToolResult(toolCallId, outcome) }
  sendCallEvent (event: CallEvent): void { this.call.sendCallEvent(toCallEventMsg(event)) }
  hangup (side: HangupSide, cause: string, sipStatus: number): void { this.call.hangup(PROTO_HANGUP_SIDE[side], cause, sipStatus) }
  cancel (): void { this.call.cancel() }
}

/** The configured gRPC engine (engine.address, or the embedded demo engine). */
export class GrpcConnector implements EngineConnector {
  readonly protocol = 'grpc'
  private readonly client: EngineClient
  private readonly log: Logger

  constructor (opts: EngineClientOptions) {
    this.client = new EngineClient(opts)
    this.log = opts.log ?? rootLogger.child({ component: 'engine-client' })
  }

  async open (start: SessionStart): Promise<EngineSession> {
    const call = await this.client.startCall(toStartMsg(start, Date.now()))
    return new GrpcSession(call, this.log.child({ conversationId: start.conversationId }))
  }

  probe (): Promise<{ ok: true } | { ok: false; detail: string }> { return this.client.probe() }
  close (): void { this.client.close() }
}
