// Outgoing messages type-checked against the vendors' own TypeScript types (dev dependencies
// @elevenlabs/types and openai): `npm test` runs tsc over this file first, so a message shape that drifts
// from a vendor's published types fails the build. At run time the same messages, built by the connectors'
// own builders, pass the vendors' JSON schemas.
import t from 'tap'
import type { Outgoing } from '@elevenlabs/types'
import type { RealtimeClientEvent } from 'openai/resources/realtime/realtime'
import { initiationMessage, type ElevenLabsClientMessage } from '../../../src/engine/elevenlabs/elevenlabs-connector'
import { sessionUpdateMessage, type OpenAiClientEvent } from '../../../src/engine/openai-realtime/openai-realtime-connector'
import { agentEngineSchema, type OpenAiRealtimeEngineConfig } from '../../../src/config/engine-schema'
import { elevenLabsClientCheck, openAiClientCheck } from './contracts'
import { sessionStart } from './fake-vendor'

type ElevenLabsVendorMessage =
  | Outgoing.ConversationInitiationClientToOrchestratorEvent
  | Outgoing.UserAudio
  | Outgoing.PongClientToOrchestratorEvent
  | Outgoing.ClientToolResultClientToOrchestratorEvent
  | Outgoing.ContextualUpdateClientToOrchestratorEvent

// Every member of our union must be assignable to the vendor's union (compile-time check).
const asElevenLabs = (m: ElevenLabsClientMessage): ElevenLabsVendorMessage => m
const asOpenAi = (m: OpenAiClientEvent): RealtimeClientEvent => m

t.test('messages built by the connectors are vendor-typed and pass the vendor schemas', async t => {
  const start = sessionStart({ overrides: { prompt: 'p', firstMessage: 'f', language: 'en', voiceId: 'v' }, userId: 'u', customLlmExtraBody: { a: 1 } })
  const el = asElevenLabs(initiationMessage(start, { caller_id: 'from', called_number: 'to', call_sid: 'sid' }))
  t.equal(elevenLabsClientCheck()(el), null)
  t.same(initiationMessage(sessionStart({ overrides: { language: 'xx-klingon' } }), { caller_id: 'a', called_number: 'b', call_sid: 'c' }).conversation_config_override, undefined, 'a language ElevenLabs does not know is not sent')
  const cfg = agentEngineSchema.check({ type: 'openai_realtime', instructions: 'Hi {{customer_name}}' }, 'engine') as OpenAiRealtimeEngineConfig
  const su = asOpenAi(sessionUpdateMessage(start, cfg, { encoding: 'mulaw', sampleRate: 8000 }))
  t.equal(openAiClientCheck()(su), null)
  t.equal(openAiClientCheck()(asOpenAi({ type: 'conversation.item.truncate', item_id: 'i', content_index: 0, audio_end_ms: 120 })), null)
})
