// Loads proto/engine.proto with @grpc/proto-loader. The .proto is read from the source tree, also
// when running from dist/ (tsc does not copy it), so both layouts are searched.
import { existsSync } from 'node:fs'
import path from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

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

/** The ConversationEngine service (client constructor; `.service` is the definition for servers). */
export function conversationEngineService (): grpc.ServiceClientConstructor {
  if (cached) return cached
  const def = protoLoader.loadSync(engineProtoPath(), LOADER_OPTIONS)
  const pkg = grpc.loadPackageDefinition(def) as unknown as { trunkgate: { engine: { v1: { ConversationEngine: grpc.ServiceClientConstructor } } } }
  cached = pkg.trunkgate.engine.v1.ConversationEngine
  return cached
}
