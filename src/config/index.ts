export { loadConfig, parseConfigText, validateConfig } from './load-config'
export { ConfigError } from './schema-builder'
export type {
  TrunkgateConfig, SipConfig, TrunkConfig, DigestAuthConfig, PhoneNumberRoute, AgentConfig, MediaEncryptionMode,
  DigestAlgorithmName, MediaConfig, EngineConfig, LogConfig, HepConfig
} from './schema'
export type { OutboundTrunkConfig, ApiConfig, RecordsConfig } from './schema'
export { parseTrunkAddress, RESERVED_OUTBOUND_HEADERS, type TrunkAddress } from './outbound-schema'
