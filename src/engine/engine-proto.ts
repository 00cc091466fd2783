// Loads proto/engine.proto with @grpc/proto-loader. The .proto is read from the source tree, also
// when running from dist/ (tsc does not copy it), so both layouts are searched.
import { existsSync } from 'node:fs'
import path from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { decodeAudio, encodeAudio, isFastAudio } from './audio-wire'

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true
}

export function engineProtoPath (): string {
  const candidates = [
    path.join(__dirname, 'proto', 'engine.proto'),
    path.resolve(__dirname, '..', '..', '..', 'src', 'engine', 'proto', 'engine.proto')
  ]
  const found = candidates.find(p => existsSync(p))
  if (!found) throw new Error(`engine.proto not found (looked in ${candidates.join(', ')})`)
  return found
}

let cached: grpc.ServiceClientConstructor | null = null
let generic: grpc.ServiceClientConstructor | null = null

type Msg = Record<string, unknown> & { audio?: { seq?: unknown; data?: unknown } | null }
type Serialize = (value: Msg) => Buffer
type Deserialize = (bytes: Buffer) => Msg

/** Only `{ audio }` (optionally with msg: 'audio') takes the hand-written path; any other member set goes to protobufjs. */
function audioOnly (m: Msg): boolean {
  if (!isFastAudio(m.audio)) return false
  for (const key in m) if (key !== 'audio' && key !== 'msg' && m[key] !== undefined && m[key] !== null) return false
  return m.msg === undefined || m.msg === 'audio'
}

function fastSerialize (generic: Serialize): Serialize {
  return m => audioOnly(m) ? encodeAudio((m.audio as { seq: number }).seq, (m.audio as { data: Uint8Array }).data) : generic(m)
}

function fastDeserialize (generic: Deserialize): Deserialize {
  return bytes => {
    const audio = decodeAudio(bytes)
    return audio === null ? generic(bytes) : { audio, msg: 'audio' }
  }
}

/** The service exactly as proto-loader builds it (protobufjs for every message): the reference in tests. */
export function genericConversationEngineService (): grpc.ServiceClientConstructor {
  if (generic) return generic
  const def = protoLoader.loadSync(engineProtoPath(), LOADER_OPTIONS)
  const pkg = grpc.loadPackageDefinition(def) as unknown as { trunkgate: { engine: { v1: { ConversationEngine: grpc.ServiceClientConstructor } } } }
  generic = pkg.trunkgate.engine.v1.ConversationEngine
  return generic
}

/**
 * The ConversationEngine service (client constructor; `.service` is the definition for servers).
 * Same wire format as proto-loader's, with Audio messages written and read by src/engine/audio-wire.ts.
 */
export function conversationEngineService (): grpc.ServiceClientConstructor {
  if (cached) return cached
  const base = genericConversationEngineService()
  const converse = base.service.Converse as grpc.MethodDefinition<Msg, Msg>
  cached = grpc.makeGenericClientConstructor({
    Converse: {
      ...converse,
      requestSerialize: fastSerialize(converse.requestSerialize),
      requestDeserialize: fastDeserialize(converse.requestDeserialize),
      responseSerialize: fastSerialize(converse.responseSerialize),
      responseDeserialize: fastDeserialize(converse.responseDeserialize)
    }
  }, base.serviceName)
  return cached
}
