export { loadConfig, parseConfigText, validateConfig } from './load-config'
export { ConfigError } from './schema-builder'
export type {
  TrunkgateConfig, SipConfig, TrunkConfig, DigestAuthConfig, PhoneNumberRoute, AgentConfig, MediaEncryptionMode,
  DigestAlgorithmName
} from './schema'
