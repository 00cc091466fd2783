// Public surface of the SDP layer for the server and call layers.
export * from './types'
export { parseSdp, effectiveConnection, effectiveDirection, MAX_SDP_BYTES } from './sdp-parser'
export { serializeSdp } from './sdp-serializer'
export { parseCryptoAttribute, formatCryptoAttribute } from './crypto-attribute'
export {
  answerOffer, createOffer, acceptAnswer, answerDirection, usableSuites,
  type MediaPolicy, type MediaEncryptionMode, type LocalMedia, type NegotiatedAudio, type SrtpParameters,
  type AnswerResult, type OfferResult, type PendingOffer
} from './negotiate'
export { SdpSession, type SdpSessionOptions } from './sdp-session'
export { sdpCodec, supportedCodecNames, DEFAULT_CODEC_PREFERENCE, type CodecName, type SdpCodec } from './codecs'
export { SRTP_SUITES, type SrtpSuiteName } from './srtp-suites'
