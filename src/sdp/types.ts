// SDP session description model (RFC 8866, which obsoletes RFC 4566), with typed views of the
// attributes a SIP media gateway acts on (RFC 3264 offer/answer, RFC 3551 rtpmap, RFC 3605 rtcp,
// RFC 5761 rtcp-mux, RFC 4568 SDES crypto). Everything else is kept verbatim so a round trip
// through parseSdp → serializeSdp loses nothing a peer might care about.

/** RFC 3264 §5.1 stream direction; absent means sendrecv (RFC 8866 §6.7). */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'

/** RFC 8866 §5.2 o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> */
export interface SdpOrigin {
  username: string
  /** Kept as text: a numeric string that may exceed 2^53 (RFC 8866 §5.2 only asks for digits). */
  sessionId: string
  /** RFC 3264 §8: incremented by one whenever the description changes. 64-bit in practice. */
  sessionVersion: bigint
  netType: string
  addrType: string
  address: string
}

/** RFC 8866 §5.7 c=<nettype> <addrtype> <connection-address> */
export interface SdpConnection {
  netType: 'IN'
  addrType: 'IP4' | 'IP6'
  address: string
  /** IPv4 multicast only (…/ttl[/n]); a unicast gateway never uses them but keeps them. */
  ttl?: number
  numAddresses?: number
}

/** RFC 8866 §6.6 a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] */
export interface SdpRtpMap {
  payloadType: number
  encodingName: string
  clockRate: number
  /** For audio the number of channels (RFC 8866 §6.6); absent means 1. */
  channels?: number
}

/** RFC 8866 §6.15 a=fmtp:<format> <format specific parameters> */
export interface SdpFmtp {
  format: string
  parameters: string
}

/** RFC 3605 a=rtcp:<port> [<nettype> <addrtype> <connection-address>] */
export interface SdpRtcp {
  port: number
  netType?: string
  addrType?: string
  address?: string
}

/** RFC 4568 §9.1 lifetime: `2^20` or a plain packet count. */
export interface SdesLifetime {
  text: string
  packets: number
}

/** RFC 4568 §9.1 mki = mki-value ":" mki-length (length in bytes, 1..128). */
export interface SdesMki {
  value: bigint
  length: number
}

/** RFC 4568 §6.1 one key-param; only the "inline" key method is defined. */
export interface SdesKeyParam {
  method: string
  /** For inline: the base64 key||salt, decoded. Empty for unknown key methods. */
  keySalt: Buffer
  /** For inline: the base64 text as written; for other methods the raw key-info. */
  keyInfo: string
  lifetime?: SdesLifetime
  mki?: SdesMki
}

/** RFC 4568 §9.1 a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] */
export interface SdpCrypto {
  tag: number
  suite: string
  keyParams: SdesKeyParam[]
  sessionParams: string[]
}

/** Any other attribute, kept in wire order: `a=<name>` or `a=<name>:<value>`. */
export interface SdpAttribute {
  name: string
  value?: string
}

/** A line of a type letter this model does not break out (i=, u=, e=, p=, k=, r=, z= …). */
export interface SdpLine {
  type: string
  value: string
}

/** RFC 8866 §5.14 one media description (m= section). */
export interface SdpMedia {
  media: string
  port: number
  numPorts?: number
  proto: string
  formats: string[]
  /** i=, k= and any other line letters of this section, in order. */
  otherLines: SdpLine[]
  connection?: SdpConnection
  /** b= lines verbatim (`AS:64`, `TIAS:64000`). */
  bandwidths: string[]
  rtpmaps: SdpRtpMap[]
  fmtps: SdpFmtp[]
  ptime?: number
  maxptime?: number
  rtcp?: SdpRtcp
  rtcpMux: boolean
  direction?: SdpDirection
  crypto: SdpCrypto[]
  attributes: SdpAttribute[]
}

export interface SessionDescription {
  version: 0
  origin: SdpOrigin
  sessionName: string
  /** i=, u=, e=, p=, k=, and the timing repeat lines r=/z=, in order. */
  otherLines: SdpLine[]
  connection?: SdpConnection
  bandwidths: string[]
  /** t=<start-time> <stop-time>; at least one per RFC 8866 §5.9. */
  timing: Array<{ start: string; stop: string }>
  /** Session-level direction: the default for every m= section without its own (RFC 3264 §5.1). */
  direction?: SdpDirection
  attributes: SdpAttribute[]
  media: SdpMedia[]
}
