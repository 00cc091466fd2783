// The telephony system tools as JSON vendors see them: parameter names as in the seed ("Transfer to human",
// "Play keypad touch tone", "Skip turn", "Voicemail detection", "End call"), declared as OpenAI function tools
// and defined by the user as ElevenLabs client tools (README). Arguments are passed on as given: the call
// checks them (a transfer_number not in the rules is a tool error), exactly as for the gRPC engine.
import type { ToolCall, ToolName, TransferRule } from './engine-session'

export const SYSTEM_TOOLS: readonly ToolName[] = ['transfer_to_number', 'play_keypad_touch_tone', 'skip_turn', 'voicemail_detection', 'end_call']

export function isSystemTool (name: string): name is ToolName {
  return (SYSTEM_TOOLS as readonly string[]).includes(name)
}

function text (v: unknown): string {
  return typeof v === 'string' ? v : ''
}

function optionalText (v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** A vendor's tool call as the engine-neutral ToolCall; null for a tool the call does not carry out. */
export function toolCallFromVendor (id: string, name: string, params: Record<string, unknown>): ToolCall | null {
  const reason = optionalText(params.reason)
  switch (name) {
    case 'transfer_to_number':
      return {
        id,
        name,
        args: { reason, transferNumber: text(params.transfer_number), clientMessage: text(params.client_message), agentMessage: text(params.agent_message) }
      }
    case 'play_keypad_touch_tone': return { id, name, args: { reason, dtmfTones: text(params.dtmf_tones) } }
    case 'skip_turn': return { id, name, args: { reason } }
    case 'voicemail_detection': return { id, name, args: { reason: reason ?? '' } }
    case 'end_call': return { id, name, args: { reason } }
    default: return null
  }
}

export interface FunctionToolDeclaration {
  type: 'function'
  name: ToolName
  description: string
  parameters: { type: 'object'; properties: Record<string, unknown>; required: string[] }
}

const reasonParam = { type: 'string', description: 'Why the tool is used (for the call record).' }

/** Function-tool declarations (OpenAI Realtime) for the tools this agent may use. */
export function systemToolDeclarations (tools: readonly ToolName[], rules: readonly TransferRule[]): FunctionToolDeclaration[] {
  const out: FunctionToolDeclaration[] = []
  for (const name of tools) {
    switch (name) {
      case 'transfer_to_number': {
        if (rules.length === 0) break
        const when = rules.map(r => `- ${r.destination}: ${r.condition}`).join('\n')
        out.push({
          type: 'function',
          name,
          description: `Transfer the caller to a human. Use exactly one of these destinations, under its condition:\n${when}`,
          parameters: {
            type: 'object',
            properties: {
              transfer_number: { type: 'string', enum: rules.map(r => r.destination), description: 'The destination, exactly as listed.' },
              client_message: { type: 'string', description: 'What the caller is told while being transferred.' },
              agent_message: { type: 'string', description: 'What the human is told before the caller is connected.' },
              reason: reasonParam
            },
            required: ['transfer_number', 'client_message', 'agent_message']
          }
        })
        break
      }
      case 'play_keypad_touch_tone':
        out.push({
          type: 'function',
          name,
          description: 'Send keypad tones to the other side of the call (IVR menus, extensions). 0-9, * and #; w pauses 0.5 s, W 1 s.',
          parameters: { type: 'object', properties: { dtmf_tones: { type: 'string', description: 'The keys to press, e.g. "1w23#".' }, reason: reasonParam }, required: ['dtmf_tones'] }
        })
        break
      case 'skip_turn':
        out.push({
          type: 'function',
          name,
          description: 'Say nothing and wait for the caller, when they ask for a moment.',
          parameters: { type: 'object', properties: { reason: reasonParam }, required: [] }
        })
        break
      case 'voicemail_detection':
        out.push({
          type: 'function',
          name,
          description: 'Call this when the call reached a voicemail box or answering machine instead of a person.',
          parameters: { type: 'object', properties: { reason: reasonParam }, required: ['reason'] }
        })
        break
      case 'end_call':
        out.push({
          type: 'function',
          name,
          description: 'End the call, after saying goodbye, when the conversation is over.',
          parameters: { type: 'object', properties: { reason: reasonParam }, required: [] }
        })
        break
    }
  }
  return out
}
