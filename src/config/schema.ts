// The trunkgate configuration: one description gives both the validator and the TypeScript type.
// Field meanings are documented in config/default.yaml; cross-field rules live in validate-config.ts.
import { bool, ConfigError, int, list, obj, oneOf, optional, refine, str, type Infer } from './schema-builder'
import { parseCidr } from '../sip/policy/cidr'
import { audioCodecs, codecByName } from '../media/codec-registry'
import { apiSchema, outboundTrunkSchema, recordsSchema } from './outbound-schema'
import { transferRule, transferSettings, trunkTransferFields } from './transfer-schema'
import { trunkRegistrationFields } from './registration-schema'
import { agentEngineSchema } from './engine-schema'

const host = str({ minLength: 1 })
const port = int({ min: 0, max: 65535 })
const positive = int({ min: 1 })
/** Names used in logs and references (trunk names, agent ids): a token without spaces. */
const name = str({ pattern: /^[A-Za-z0-9._-]{1,64}$/, patternName: 'a name of 1-64 letters, digits, ".", "_" or "-"' })
/**
 * A number or identifier compared byte-for-byte with the Request-URI user part: '+15550100',
 * '1000', 'john'. Characters that cannot appear unescaped in a SIP user part are refused.
 */
const phoneNumber = str({ pattern: /^[A-Za-z0-9+\-_.!~*'()&=$,/]{1,64}$/, patternName: 'a phone number or identifier (e.g. "+15550100")' })

const headerName = str({ pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, patternName: 'an HTTP/SIP header name' })

const cidr = refine(str({ minLength: 1 }), (v, path) => {
  if (!parseCidr(v)) throw new ConfigError(path, `${JSON.stringify(v)} is not an IPv4/IPv6 address or CIDR (e.g. "203.0.113.0/24", "2001:db8::/32")`)
})

export const digestAlgorithms = ['SHA-256', 'MD5'] as const
export type DigestAlgorithmName = typeof digestAlgorithms[number]
export const mediaEncryptionModes = ['disabled', 'allowed', 'required'] as const

// Defaults are those of config/default.yaml: a minimal file needs no sip section at all.
const tcpListen = obj({ host: optional(host, () => '0.0.0.0'), port: optional(port, () => 5060) })
const udpListen = obj({ host: optional(host, () => '0.0.0.0'), port: optional(port, () => 5060) })
const tlsListen = obj({
  host: optional(host, () => '0.0.0.0'),
  port: optional(port, () => 5061),
  cert: optional(str({ minLength: 1 })),
  key: optional(str({ minLength: 1 })),
  ca: optional(str({ minLength: 1 }))
})

const limits = obj({
  maxMessageBytes: optional(int({ min: 1024, max: 16 * 1024 * 1024 }), () => 65535),
  maxHeaders: optional(int({ min: 8, max: 10000 }), () => 256),
  headerReadTimeoutMs: optional(positive, () => 10000),
  idleTimeoutMs: optional(positive, () => 300000),
  maxConnectionsPerSource: optional(positive, () => 64),
  maxConnections: optional(positive, () => 4096)
})

const sessionTimer = refine(obj({
  enabled: optional(bool(), () => true),
  // RFC 4028 §4: Min-SE never below 90 s; Session-Expires at least Min-SE.
  sessionExpires: optional(int({ min: 90 }), () => 1800),
  minSE: optional(int({ min: 90 }), () => 90)
}), (v, path) => {
  if (v.minSE > v.sessionExpires) throw new ConfigError(`${path}.minSE`, `must be <= sessionExpires (${v.sessionExpires}), got ${v.minSE}`)
})

const sip = obj({
  listen: optional(refine(obj({ udp: optional(udpListen), tcp: optional(tcpListen), tls: optional(tlsListen) }), (v, path) => {
    if (!v.udp && !v.tcp && !v.tls) throw new ConfigError(path, 'needs at least one of udp, tcp, tls')
  }), () => ({ udp: udpListen.check({}, ''), tcp: tcpListen.check({}, ''), tls: tlsListen.check({}, '') })),
  advertise: optional(obj({ host, port: optional(port), tlsPort: optional(port), udpPort: optional(port) })),
  limits: optional(limits, () => limits.check({}, '')),
  maxConcurrentCalls: optional(int({ min: 0 }), () => 100),
  retryAfterSeconds: optional(int({ min: 1, max: 86400 }), () => 30),
  sessionTimer: optional(sessionTimer, () => sessionTimer.check({}, '')),
  onUnknownSource: optional(oneOf(['reject', 'drop'] as const), () => 'reject' as const),
  // SIP proxies in front of this node (Kamailio dispatcher): their X-Trunkgate-Source header names the
  // carrier's address, to which ACLs and digest failure limits then apply (src/sip/policy/trusted-proxy.ts).
  trusted_proxies: optional(list(cidr, { unique: true }), () => [])
})

const digestAuth = obj({
  username: str({ minLength: 1 }),
  password: str({ minLength: 1 }),
  realm: optional(str({ minLength: 1 })),
  algorithms: optional(list(oneOf(digestAlgorithms), { minItems: 1, unique: true }), () => [...digestAlgorithms])
})

// A codec of the native registry, written as the registry spells it (the SDP encoding name).
const codecName = refine(str({ minLength: 1 }), (v, path) => {
  const c = codecByName(v)
  if (c === undefined || !c.isAudio) throw new ConfigError(path, `unknown codec "${v}", supported: ${audioCodecs().map(a => a.name).join(', ')}`)
  if (c.name !== v) throw new ConfigError(path, `write "${c.name}"`)
})

const trunk = obj({
  name,
  inbound: obj({
    acl: list(cidr, { minItems: 1 }),
    onAclFail: optional(oneOf(['reject', 'drop'] as const), () => 'reject' as const),
    auth: optional(digestAuth),
    requireClientCert: optional(bool(), () => false)
  }),
  phone_numbers: optional(list(phoneNumber, { unique: true }), () => []),
  // X-* headers of the INVITE passed to the engine in Start.sip_headers (names, case-insensitive).
  forward_headers: optional(list(headerName, { unique: true }), () => []),
  media_encryption: optional(oneOf(mediaEncryptionModes), () => 'allowed' as const),
  allow_sdes_over_tcp: optional(bool(), () => false),
  // Audio codecs offered and accepted on this trunk, in preference order: names of the media core's codec
  // registry (PCMU, PCMA, G722, opus). Default G722, PCMU, PCMA (Opus only where a trunk lists it).
  codecs: optional(list(codecName, { minItems: 1, unique: true })),
  // In-band DTMF detection (Goertzel on the caller's audio): 'auto' only while the call has no
  // RFC 4733 telephone-event negotiated (as Asterisk's dtmf_mode=auto), 'always' for PBXs that
  // negotiate telephone-event yet send key tones in the audio, 'never' to trust RFC 4733 / SIP INFO only.
  dtmf_inband: optional(oneOf(['auto', 'always', 'never'] as const), () => 'auto' as const),
  // Transfers (src/transfer): whether we may REFER through this trunk, how its own REFERs are answered.
  ...trunkTransferFields,
  // Registration to the carrier's registrar (issue 13): config/registration-schema.ts.
  ...trunkRegistrationFields,
  // Outbound calls through this trunk (issue 5): address, transport, encryption, headers, digest auth.
  outbound: optional(outboundTrunkSchema)
})

const phoneNumberRoute = obj({ number: phoneNumber, agent: name, trunk: optional(name) })

// Call-layer agent settings (src/call): what the gateway does around the engine for this agent.
export const overrideFields = ['prompt', 'first_message', 'language', 'voice_id'] as const

const preCallWebhook = obj({
  url: str({ minLength: 1 }),
  headers: optional(list(obj({ name: headerName, value: str() })), () => []),
  timeout_ms: optional(int({ min: 100, max: 30000 }), () => 3000),
  allow_insecure_http: optional(bool(), () => false)
})

const agent = obj({
  id: name,
  name: str({ minLength: 1 }),
  greeting: optional(str()),
  language: optional(str({ minLength: 1 })),
  engine_unavailable: optional(oneOf(['reject', 'answer_and_hangup'] as const), () => 'reject' as const),
  // The engine lost mid-call (stream broken, or silent while the caller talks): BYE at once, a message
  // then BYE (engine_failure_message text spoken by espeak-ng, or a WAV file, rendered at startup; the
  // special information tone without either). src/call/engine-failure.ts.
  on_engine_failure: optional(oneOf(['hangup', 'message'] as const), () => 'hangup' as const),
  engine_failure_message: optional(str({ minLength: 1 })),
  engine_failure_message_file: optional(str({ minLength: 1 })),
  // Caller audio answered by no engine audio for this long counts as an engine failure (absent: off).
  engine_silence_timeout_s: optional(int({ min: 1, max: 600 })),
  voicemail_message: optional(str({ minLength: 1 })),
  voicemail_timeout_ms: optional(int({ min: 1000, max: 600000 }), () => 30000),
  timezone: optional(refine(str({ minLength: 1 }), (v, path) => {
    try { new Intl.DateTimeFormat('en-US', { timeZone: v }) } catch { throw new ConfigError(path, `${JSON.stringify(v)} is not an IANA time zone (e.g. "Europe/Paris")`) }
  })),
  dynamic_variables: optional(list(obj({ name: str({ pattern: /^(?!system__)[A-Za-z0-9_.-]{1,64}$/, patternName: 'a variable name not starting with system__' }), placeholder: optional(str()) })), () => []),
  pre_call_webhook: optional(preCallWebhook),
  on_webhook_failure: optional(oneOf(['continue', 'reject'] as const), () => 'continue' as const),
  overrides: optional(obj({
    allowed: optional(list(oneOf(overrideFields), { unique: true }), () => []),
    on_disallowed: optional(oneOf(['ignore', 'reject'] as const), () => 'ignore' as const)
  }), () => ({ allowed: [], on_disallowed: 'ignore' as const })),
  transfer_rules: optional(list(transferRule), () => []),
  // This agent's conversation engine (issue 12); absent: the global engine section.
  engine: optional(agentEngineSchema)
})

const engine = obj({
  address: optional(host),
  embeddedDemo: optional(bool(), () => true),
  demoPort: optional(port, () => 50051),
  connectTimeoutMs: optional(int({ min: 50, max: 60000 }), () => 2000),
  readyTimeoutMs: optional(int({ min: 50, max: 60000 }), () => 3000)
})

const media = refine(obj({
  port_min: optional(int({ min: 1024, max: 65534 }), () => 10000),
  port_max: optional(int({ min: 1025, max: 65535 }), () => 20000),
  bind_address: optional(host, () => '0.0.0.0'),
  advertise_address: optional(host),
  threads: optional(int({ min: 1, max: 64 })),
  // SCHED_FIFO priority for the media threads (0 = normal scheduling). On a shared host the 20 ms
  // cadence otherwise waits behind other processes; where the OS refuses it, threads run normally.
  realtime_priority: optional(int({ min: 0, max: 99 }), () => 0)
}), (v, path) => {
  if (v.port_min % 2 !== 0) throw new ConfigError(`${path}.port_min`, `must be even (RTP on even ports, RTCP on the next odd one; RFC 3550 §11), got ${v.port_min}`)
  if (v.port_max <= v.port_min) throw new ConfigError(`${path}.port_max`, `must be greater than port_min (${v.port_min}), got ${v.port_max}`)
})

const logSettings = obj({
  level: optional(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), () => 'info' as const),
  // Absent: pretty on a terminal, JSON otherwise (TRUNKGATE_LOG_FORMAT overrides that guess).
  format: optional(oneOf(['json', 'pretty'] as const)),
  // Every SIP message sent and received, at info level (at level trace they are logged anyway).
  sip_trace: optional(bool(), () => false)
})

const hepSettings = obj({
  // UDP host:port of the collector (Homer heplify-server, sngrep -L udp:host:port).
  address: refine(str({ minLength: 1 }), (v, path) => {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(v)
    if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) throw new ConfigError(path, `${JSON.stringify(v)} is not host:port (e.g. "127.0.0.1:9060", "[2001:db8::1]:9060")`)
  }),
  // Capture agent ID (HEP chunk 0x000c), tells this gateway's packets apart in Homer.
  id: optional(int({ min: 0, max: 4294967295 }), () => 2001),
  // Authentication key (HEP chunk 0x000e), when the collector asks for one.
  password: optional(str({ minLength: 1 }))
})

export const configSchema = obj({
  sip: optional(sip, () => sip.check({}, '')),
  trunks: list(trunk, { minItems: 1 }),
  phone_numbers: optional(list(phoneNumberRoute), () => []),
  agents: optional(list(agent), () => []),
  engine: optional(engine, () => engine.check({}, '')),
  media: optional(media, () => media.check({}, '')),
  transfer: optional(transferSettings, () => transferSettings.check({}, '')),
  // Control API (absent: no API) and call records (absent: kept in memory only) — issue 5.
  api: optional(apiSchema),
  records: optional(recordsSchema),
  // Drain and shutdown (src/lifecycle): how long SIGTERM lets live calls end by themselves.
  shutdown: optional(obj({ drain_timeout_s: optional(int({ min: 0, max: 86400 }), () => 300) }), () => ({ drain_timeout_s: 300 })),
  log: optional(logSettings, () => logSettings.check({}, '')),
  // HEPv3 export of SIP messages and call quality reports to a Homer/sngrep collector (src/trace).
  hep: optional(hepSettings)
})

export type TrunkgateConfig = Infer<typeof configSchema>
export type SipConfig = TrunkgateConfig['sip']
export type TrunkConfig = TrunkgateConfig['trunks'][number]
export type DigestAuthConfig = NonNullable<TrunkConfig['inbound']['auth']>
export type PhoneNumberRoute = TrunkgateConfig['phone_numbers'][number]
export type AgentConfig = TrunkgateConfig['agents'][number]
export type MediaEncryptionMode = TrunkConfig['media_encryption']
export type OutboundTrunkConfig = NonNullable<TrunkConfig['outbound']>
export type ApiConfig = NonNullable<TrunkgateConfig['api']>
export type RecordsConfig = NonNullable<TrunkgateConfig['records']>
export type MediaConfig = TrunkgateConfig['media']
export type EngineConfig = TrunkgateConfig['engine']
export type LogConfig = TrunkgateConfig['log']
export type HepConfig = NonNullable<TrunkgateConfig['hep']>
