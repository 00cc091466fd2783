// One call inside the demo engine: greets, echoes the caller after a delay, maps keypad digits to the
// system tools, and barges in (Clear) when the caller talks over the greeting. It exists so a SIP
// engineer can test trunkgate end to end with a softphone and no AI service.
import * as grpc from '@grpc/grpc-js'
import type { Logger } from '../log'
import { FRAME_MS, PCM16K_FRAME_BYTES, type EngineMessage, type GatewayMessage, type StartMsg, type ToolCallMsg } from './engine-messages'
import { SpeechDetector } from './speech-detector'
import type { GreetingAudio } from './greeting'
import { renderTemplate, type DynamicValue } from './template'

export type DemoState = 'awaiting-start' | 'greeting' | 'listening' | 'ended'

export interface DemoConversationOptions {
  greeting: Buffer
  echoDelayMs: number
  speechThreshold: number
  log: Logger
  /** Frames sent per greeting chunk; chunks are paced in real time. */
  chunkFrames?: number
  /** Renders a personalised first message (Start.overrides.first_message); default: none, use greeting. */
  renderSpeech?: ((text: string) => Promise<GreetingAudio>) | null
}

/** The Start's variables as a plain map (the oneof value resolved). */
export function startVariables (start: StartMsg): Record<string, DynamicValue> {
  const out: Record<string, DynamicValue> = {}
  for (const v of start.dynamic_variables) {
    const value = v.value ? v[v.value] : undefined
    if (value !== undefined) out[v.name] = value
  }
  return out
}

type Stream = grpc.ServerDuplexStream<GatewayMessage, EngineMessage>

/** Digit → tool, per the demo's keypad menu (documented in proto/README.md). */
export function demoToolFor (digit: string, start: StartMsg | null, id: string): ToolCallMsg | null {
  switch (digit) {
    case '2': return { tool_call_id: id, play_keypad_touch_tone: { reason: 'caller pressed 2', dtmf_tones: '123w4W#' } }
    case '5': return { tool_call_id: id, skip_turn: { reason: 'caller pressed 5' } }
    case '7': return { tool_call_id: id, voicemail_detection: { reason: 'caller pressed 7' } }
    case '9': return { tool_call_id: id, end_call: { reason: 'caller pressed 9' } }
    case '0': {
      const rule = start?.transfer_rules[0]
      if (!rule) return null
      return {
        tool_call_id: id,
        transfer_to_number: {
          reason: 'caller pressed 0',
          transfer_number: rule.destination,
          client_message: 'Transferring you to a human, please hold.',
          agent_message: `Demo call from ${start?.caller_id ?? 'unknown'} (condition: ${rule.condition})`
        }
      }
    }
    default: return null
  }
}

export class DemoConversation {
  state: DemoState = 'awaiting-start'
  private readonly stream: Stream
  private readonly opts: Required<DemoConversationOptions>
  private readonly detector: SpeechDetector
  private start: StartMsg | null = null
  private greeting: Buffer
  private greetingOffset = 0
  private greetingTimer: NodeJS.Timeout | null = null
  private readonly echoTimers = new Set<NodeJS.Timeout>()
  private outSeq = 0
  /** The transfer_to_number in flight: no echo (it would reach the human during the whisper). */
  private transfer: { id: string, agentMessage: string } | null = null
  private toolSeq = 0
  private log: Logger

  constructor (stream: Stream, opts: DemoConversationOptions) {
    this.stream = stream
    this.opts = { chunkFrames: 5, renderSpeech: null, ...opts }
    this.log = opts.log
    this.greeting = opts.greeting
    this.detector = new SpeechDetector({ threshold: opts.speechThreshold })
    stream.on('data', (m: GatewayMessage) => this.onMessage(m))
    stream.on('end', () => this.finish())
    stream.on('error', () => this.finish(false))
    stream.on('cancelled', () => this.finish(false))
  }

  private send (m: EngineMessage): void {
    if (this.state === 'ended') return
    this.stream.write(m)
  }

  private sendAudio (data: Buffer): void {
    this.send({ audio: { seq: this.outSeq++, data } })
  }

  private onMessage (m: GatewayMessage): void {
    if (this.state === 'ended') return
    if (this.state === 'awaiting-start') {
      if (m.msg !== 'start') {
        this.fail(grpc.status.FAILED_PRECONDITION, `first message must be Start, got ${m.msg ?? 'nothing'}`)
        return
      }
      this.onStart(m.start)
      return
    }
    switch (m.msg) {
      case 'start': this.fail(grpc.status.FAILED_PRECONDITION, 'Start sent twice'); break
      case 'audio': this.onAudio(m.audio.data); break
      case 'dtmf': this.onDtmf(m.dtmf.digit); break
      case 'tool_result': this.log.info({ toolCallId: m.tool_result.tool_call_id, ok: m.tool_result.ok, error: m.tool_result.error }, 'tool result'); break
      case 'playback_mark': this.log.debug({ mark: m.playback_mark.name, cleared: m.playback_mark.cleared }, 'playback mark'); break
      case 'call_event':
        if (m.call_event.event === 'hangup') this.finish()
        if (m.call_event.event === 'transfer') this.onTransferProgress(m.call_event.transfer.tool_call_id, m.call_event.transfer.state)
        break
      default: break
    }
  }

  private onStart (start: StartMsg): void {
    const fmt = start.output_format
    if (fmt && fmt.encoding !== 'AUDIO_ENCODING_UNSPECIFIED' && (fmt.encoding !== 'AUDIO_ENCODING_PCM_S16LE' || fmt.sample_rate !== 16000)) {
      this.fail(grpc.status.INVALID_ARGUMENT, `the demo engine only produces PCM_S16LE 16000 Hz, not ${fmt.encoding} ${fmt.sample_rate} Hz`)
      return
    }
    this.start = start
    this.log = this.log.child({ conversationId: start.conversation_id })
    this.send({ ready: {} })
    this.state = 'greeting'
    const firstMessage = start.overrides?.first_message
    if (firstMessage && this.opts.renderSpeech) {
      // seed "Dynamic variables": {{name}} in the first message; secret__ values never go into it.
      const r = renderTemplate(firstMessage, startVariables(start))
      this.log.info({ text: r.text, missing: r.missing, secretsRemoved: r.secretsRemoved }, 'personalised first message')
      void this.opts.renderSpeech(r.text).then(audio => {
        if (this.state !== 'greeting') return   // barged in or hung up while rendering
        this.greeting = audio.pcm
        this.startGreeting()
      })
      return
    }
    this.startGreeting()
  }

  private startGreeting (): void {
    // Two chunks up front so the gateway's playout never starves, then one per chunk period.
    this.sendGreetingChunk()
    this.sendGreetingChunk()
    this.greetingTimer = setInterval(() => this.sendGreetingChunk(), this.opts.chunkFrames * FRAME_MS)
  }

  private sendGreetingChunk (): void {
    if (this.state !== 'greeting') return
    const chunkBytes = this.opts.chunkFrames * PCM16K_FRAME_BYTES
    const g = this.greeting
    if (this.greetingOffset >= g.length) {
      this.stopGreeting()
      this.send({ mark: { name: 'greeting-end' } })
      this.state = 'listening'
      return
    }
    this.sendAudio(g.subarray(this.greetingOffset, Math.min(g.length, this.greetingOffset + chunkBytes)))
    this.greetingOffset += chunkBytes
  }

  private stopGreeting (): void {
    if (this.greetingTimer) clearInterval(this.greetingTimer)
    this.greetingTimer = null
  }

  private onAudio (data: Buffer): void {
    for (let off = 0; off + PCM16K_FRAME_BYTES <= data.length; off += PCM16K_FRAME_BYTES) {
      if (this.detector.push(data.subarray(off, off + PCM16K_FRAME_BYTES)) === 'start' && this.state === 'greeting') {
        // Barge-in: stop producing the greeting and drop what the gateway still has queued.
        this.stopGreeting()
        this.send({ clear: {} })
        this.state = 'listening'
        this.log.info('caller spoke over the greeting: cleared')
      }
    }
    if (this.state !== 'listening' || this.transfer !== null) return
    const copy = Buffer.from(data)
    const timer = setTimeout(() => {
      this.echoTimers.delete(timer)
      this.sendAudio(copy)
    }, this.opts.echoDelayMs)
    this.echoTimers.add(timer)
  }

  private onDtmf (digit: string): void {
    const call = demoToolFor(digit, this.start, `demo-tool-${++this.toolSeq}`)
    if (!call) {
      this.log.info({ digit }, 'digit has no demo action')
      return
    }
    this.log.info({ digit, tool: call.tool }, 'keypad digit → tool call')
    if ('transfer_to_number' in call) {
      if (this.transfer !== null) return
      const args = (call as { transfer_to_number: { agent_message: string } }).transfer_to_number
      this.transfer = { id: call.tool_call_id, agentMessage: args.agent_message }
      for (const t of this.echoTimers) clearTimeout(t)
      this.echoTimers.clear()
      if (this.state === 'greeting') {
        // The rest of the greeting must not become the human's whisper: the caller gets hold audio instead.
        this.stopGreeting()
        this.send({ clear: {} })
        this.state = 'listening'
      }
    }
    this.send({ tool_call: call })
  }

  /**
   * Transfer progress (proto README "Tools"): on ANSWERED the human hears what we send next, so we
   * speak agent_message and end it with a Mark (the gateway bridges when it plays); on FAILED the
   * conversation with the caller goes on.
   */
  private onTransferProgress (toolCallId: string, state: string): void {
    const t = this.transfer
    if (t === null || t.id !== toolCallId) return
    if (state === 'STATE_FAILED') { this.transfer = null; return }
    if (state !== 'STATE_ANSWERED') return
    const whisper = (pcm: Buffer): void => {
      if (this.state === 'ended') return
      this.sendAudio(pcm.subarray(0, pcm.length - (pcm.length % PCM16K_FRAME_BYTES)))
      this.send({ mark: { name: 'whisper-end' } })
    }
    if (this.opts.renderSpeech) {
      this.opts.renderSpeech(t.agentMessage).then(a => whisper(a.pcm), () => whisper(Buffer.alloc(0)))
    } else {
      whisper(Buffer.alloc(0))
    }
  }

  private fail (code: grpc.status, details: string): void {
    if (this.state === 'ended') return
    this.log.warn({ details }, 'demo engine refuses the stream')
    this.clearTimers()
    this.state = 'ended'
    this.stream.emit('error', { code, details, name: 'DemoEngineError', message: details, metadata: new grpc.Metadata() })
  }

  private clearTimers (): void {
    this.stopGreeting()
    for (const t of this.echoTimers) clearTimeout(t)
    this.echoTimers.clear()
  }

  /** The gateway hung up or closed its side: stop everything and end our side cleanly. */
  finish (endStream = true): void {
    if (this.state === 'ended') return
    this.clearTimers()
    this.state = 'ended'
    if (endStream) this.stream.end()
  }
}
