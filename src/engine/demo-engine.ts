// The embedded demo engine: a ConversationEngine gRPC server on 127.0.0.1:50051 by default, so
// trunkgate works out of the box with a softphone and no AI service (see DemoConversation).
import * as grpc from '@grpc/grpc-js'
import { ListenError } from '../listen-error'
import { rootLogger, type Logger } from '../log'
import { conversationEngineService } from './engine-proto'
import type { EngineMessage, GatewayMessage } from './engine-messages'
import { DemoConversation } from './demo-conversation'
import { renderGreeting, renderSpeech, type GreetingAudio } from './greeting'

export const DEFAULT_DEMO_ENGINE_PORT = 50051
export const DEFAULT_GREETING_TEXT = 'Hello, this is the trunk gate demo agent. Talk and I will repeat what you say. ' +
  'Press 2 to hear touch tones, 0 for a transfer, or 9 to hang up.'

export interface DemoEngineOptions {
  host?: string
  /** 0 picks a free port (tests). */
  port?: number
  greetingText?: string
  /** Skip espeak-ng and use this 16 kHz s16le audio (whole 20 ms frames) as the greeting. */
  greetingPcm?: Buffer
  echoDelayMs?: number
  speechThreshold?: number
  /** espeak-ng binary (tests point it at a missing path to exercise the tone fallback). */
  espeakBinary?: string
  log?: Logger
}

export class DemoEngine {
  private readonly server = new grpc.Server()
  private readonly opts: DemoEngineOptions
  private readonly log: Logger
  private readonly conversations = new Set<DemoConversation>()
  greeting: GreetingAudio | null = null
  port = 0

  constructor (opts: DemoEngineOptions = {}) {
    this.opts = opts
    this.log = opts.log ?? rootLogger.child({ component: 'demo-engine' })
  }

  get activeCalls (): number {
    return this.conversations.size
  }

  /** Renders the greeting, then binds. Resolves with the bound port. */
  async start (): Promise<number> {
    this.greeting = this.opts.greetingPcm
      ? { pcm: this.opts.greetingPcm, source: 'tone' }
      : renderGreeting(this.opts.greetingText ?? DEFAULT_GREETING_TEXT, this.log, this.opts.espeakBinary)
    const greeting = this.greeting.pcm
    this.server.addService(conversationEngineService().service, {
      Converse: (stream: grpc.ServerDuplexStream<GatewayMessage, EngineMessage>) => {
        const conv = new DemoConversation(stream, {
          greeting,
          echoDelayMs: this.opts.echoDelayMs ?? 500,
          speechThreshold: this.opts.speechThreshold ?? 1000,
          log: this.log,
          renderSpeech: text => renderSpeech(text, this.log, this.opts.espeakBinary)
        })
        this.conversations.add(conv)
        const drop = (): void => { this.conversations.delete(conv) }
        stream.on('close', drop)
        stream.on('finish', drop)
        stream.on('cancelled', drop)
      }
    })
    const address = `${this.opts.host ?? '127.0.0.1'}:${this.opts.port ?? DEFAULT_DEMO_ENGINE_PORT}`
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => err ? reject(new ListenError('embedded demo engine (engine.demoPort)', address, err)) : resolve(port))
    })
    this.log.info({ address, port: this.port, greeting: this.greeting.source }, 'demo engine listening')
    return this.port
  }

  /** Ends every call and stops the server; forced after graceMs. */
  async stop (graceMs = 1000): Promise<void> {
    for (const c of this.conversations) c.finish()
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { this.server.forceShutdown(); resolve() }, graceMs)
      this.server.tryShutdown(() => { clearTimeout(timer); resolve() })
    })
  }
}
