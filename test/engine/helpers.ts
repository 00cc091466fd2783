// Shared fixtures for the engine tests (not a test file itself: no .test.ts suffix).
import * as grpc from '@grpc/grpc-js'
import { conversationEngineService } from '../../src/engine/engine-proto'
import type { EngineMessage, GatewayMessage, StartMsg } from '../../src/engine/engine-messages'

export function makeStart (over: Partial<StartMsg> = {}): StartMsg {
  return {
    conversation_id: 'conv-1',
    agent_id: 'agent-1',
    direction: 'CALL_DIRECTION_INBOUND',
    caller_id: '+15550100',
    called_number: '+15550199',
    call_id: 'call-1',
    call_sid: '',
    sip_headers: [],
    dynamic_variables: [],
    overrides: null,
    custom_llm_extra_body_json: '',
    user_id: '',
    transfer_rules: [],
    input_format: { encoding: 'AUDIO_ENCODING_PCM_S16LE', sample_rate: 16000, frame_ms: 20 },
    output_format: { encoding: 'AUDIO_ENCODING_PCM_S16LE', sample_rate: 16000, frame_ms: 20 },
    call_answered_unix_ms: 0,
    timezone: 'UTC',
    ...over
  }
}

export type Handler = (stream: grpc.ServerDuplexStream<GatewayMessage, EngineMessage>) => void

/** A hand-written engine for protocol edge cases. Returns its port and a stop function. */
export async function customEngine (handler: Handler): Promise<{ port: number; stop: () => Promise<void>; server: grpc.Server }> {
  const server = new grpc.Server()
  server.addService(conversationEngineService().service, { Converse: handler })
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => err ? reject(err) : resolve(p)))
  return {
    port,
    server,
    stop: async () => { server.forceShutdown() }
  }
}

/** 20 ms of a sine at 16 kHz s16le. */
export function toneFrame (freq: number, amplitude: number, phase = 0): Buffer {
  const b = Buffer.alloc(640)
  for (let i = 0; i < 320; i++) b.writeInt16LE(Math.round(amplitude * Math.sin(2 * Math.PI * freq * (i + phase) / 16000)), 2 * i)
  return b
}

export function waitFor<T> (register: (resolve: (v: T) => void) => void, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)
    register(v => { clearTimeout(timer); resolve(v) })
  })
}
