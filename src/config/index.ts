export { loadConfig, parseConfigText, validateConfig } from './load-config'
export { ConfigError } from './schema-builder'
export type {
  TrunkgateConfig, SipConfig, TrunkConfig, DigestAuthConfig, PhoneNumberRoute, AgentConfig, MediaEncryptionMode,
  DigestAlgorithmName, MediaConfig, EngineConfig, LogConfig, HepConfig
} from './schema'
export type { OutboundTrunkConfig, ApiConfig, RecordsConfig } from './schema'
export { parseTrunkAddress, RESERVED_OUTBOUND_HEADERS, type TrunkAddress } from './outbound-schema'
export {
  agentEngineSchema, engineSecretEnv, missingEngineSecrets, engineTypes, isLoopbackHost, systemToolNames, type AgentEngineConfig, type ElevenLabsEngineConfig,
  type EngineType, type GrpcEngineConfig, type MediaStreamEngineConfig, type OpenAiRealtimeEngineConfig
} from './engine-schema'
