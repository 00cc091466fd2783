// The system tools the gateway itself performs for the engine (seed "Play keypad touch tone",
// "Skip turn", "Voicemail detection"; proto README "Tools"). Every ToolCall gets exactly one
// ToolResult; a tool that cannot run is an ok:false result with a readable error, never a dropped
// stream or a dropped call.
import type { Logger } from '../log'
import type { ToolCall, ToolName, ToolOutcome, TransferToNumberArgs } from '../engine/engine-session'

export type { ToolOutcome }

/** What a tool may do to its call. Implemented by AiCall. */
export interface ToolHost {
  /** The call has an answered phone leg that can carry tones. */
  phoneLegReady: () => boolean
  /** Sends digits to the caller side (RFC 4733 when negotiated, else in-band); resolves after the last tone. */
  sendDigits: (digits: string) => Promise<{ mode: 'rfc4733' | 'inband' }>
  /** The agent's voicemail message, or null. */
  voicemailMessage: () => string | null
  markVoicemail: (reason: string) => void
  /** Hang up once the engine's next Mark has played (the voicemail message), at the latest after timeoutMs. */
  hangupAfterNextMark: (cause: string, timeoutMs: number) => void
  /** Hang up after the audio already queued has played. */
  hangupAfterPlayout: (cause: string) => void
  voicemailTimeoutMs: () => number
  /** transfer_to_number (src/transfer): resolves when the transfer succeeded or failed. */
  transferToNumber?: (toolCallId: string, args: TransferToNumberArgs) => Promise<{ outcome: ToolOutcome; after?: () => void }>
}

/** seed "Supported characters": 0-9 * # and the pauses w (0.5 s) and W (1 s). */
const KEYPAD_TONES = /^[0-9*#wW]+$/
/** The media core refuses longer strings; a PIN or extension is far shorter. */
const MAX_TONES = 128

export interface ToolRun {
  name: ToolName | 'unknown'
  outcome: ToolOutcome
  /** Runs after the ToolResult is sent (end_call: the result reaches the engine before the hang-up event). */
  after?: () => void
}

export class SystemTools {
  private readonly host: ToolHost
  private readonly log: Logger
  private readonly seenIds = new Set<string>()

  constructor (host: ToolHost, log: Logger) {
    this.host = host
    this.log = log
  }

  async run (call: ToolCall): Promise<ToolRun> {
    const name = call.name ?? 'unknown'
    if (this.seenIds.has(call.id)) {
      return { name, outcome: { ok: false, error: `tool_call_id "${call.id}" was already used in this call` } }
    }
    this.seenIds.add(call.id)
    switch (call.name) {
      case 'play_keypad_touch_tone': return { name, outcome: await this.keypad(call.args.dtmfTones) }
      case 'skip_turn':
        // seed "Skip turn": nothing is said; the engine waits for the caller.
        this.log.info({ reason: call.args.reason }, 'skip_turn: agent waits for the caller')
        return { name, outcome: { ok: true } }
      case 'voicemail_detection': return this.voicemail(call.args.reason)
      case 'end_call':
        return {
          name,
          outcome: { ok: true },
          after: () => this.host.hangupAfterPlayout('end_call')
        }
      case 'transfer_to_number': {
        if (!this.host.transferToNumber) {
          return { name, outcome: { ok: false, error: 'transfer_to_number is not available on this gateway; continue the conversation' } }
        }
        const r = await this.host.transferToNumber(call.id, call.args)
        return { name, outcome: r.outcome, after: r.after }
      }
      default:
        return { name: 'unknown', outcome: { ok: false, error: 'unknown tool: ToolCall carries no tool the gateway knows' } }
    }
  }

  private async keypad (tones: string): Promise<ToolOutcome> {
    if (typeof tones !== 'string' || tones.length === 0) return { ok: false, error: 'dtmf_tones is empty' }
    if (tones.length > MAX_TONES) return { ok: false, error: `dtmf_tones has ${tones.length} characters; at most ${MAX_TONES}` }
    if (!KEYPAD_TONES.test(tones)) {
      const bad = [...tones].find(c => !/[0-9*#wW]/.test(c)) ?? ''
      return { ok: false, error: `dtmf_tones contains ${JSON.stringify(bad)}; allowed are 0-9 * # and pauses w (0.5 s) W (1 s)` }
    }
    if (!this.host.phoneLegReady()) return { ok: false, error: 'the call has no phone leg to play touch tones on' }
    try {
      const { mode } = await this.host.sendDigits(tones)
      return { ok: true, result: { sent: tones, mode } }
    } catch (err) {
      return { ok: false, error: `touch tones not sent: ${(err as Error).message}` }
    }
  }

  private voicemail (reason: string): ToolRun {
    this.host.markVoicemail(reason)
    const message = this.host.voicemailMessage()
    if (message === null) {
      // seed: without a voicemail message the call ends immediately.
      return { name: 'voicemail_detection', outcome: { ok: true, result: { action: 'hangup' } }, after: () => this.host.hangupAfterPlayout('voicemail') }
    }
    const timeoutMs = this.host.voicemailTimeoutMs()
    return {
      name: 'voicemail_detection',
      outcome: { ok: true, result: { action: 'leave_message', voicemail_message: message, hangup_after_mark: true, timeout_ms: timeoutMs } },
      after: () => this.host.hangupAfterNextMark('voicemail', timeoutMs)
    }
  }
}
