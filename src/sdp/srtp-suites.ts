// SDES crypto suites (RFC 4568 §6.2, RFC 6188 §7.1 for AES-256-CM, RFC 7714 §12 for the AEAD ones) as
// data: the key||salt length a valid inline key must have. The native core (SRTP over OpenSSL EVP)
// reports which are usable: all six with any OpenSSL 3.

export type SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM' | 'AEAD_AES_256_GCM' |
  'AES_256_CM_HMAC_SHA1_80' | 'AES_256_CM_HMAC_SHA1_32'

export interface SrtpSuiteInfo {
  name: SrtpSuiteName
  masterKeyLength: number
  masterSaltLength: number
}

export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuiteInfo>> = {
  AES_CM_128_HMAC_SHA1_80: { name: 'AES_CM_128_HMAC_SHA1_80', masterKeyLength: 16, masterSaltLength: 14 },
  AES_CM_128_HMAC_SHA1_32: { name: 'AES_CM_128_HMAC_SHA1_32', masterKeyLength: 16, masterSaltLength: 14 },
  AEAD_AES_128_GCM: { name: 'AEAD_AES_128_GCM', masterKeyLength: 16, masterSaltLength: 12 },
  AEAD_AES_256_GCM: { name: 'AEAD_AES_256_GCM', masterKeyLength: 32, masterSaltLength: 12 },
  AES_256_CM_HMAC_SHA1_80: { name: 'AES_256_CM_HMAC_SHA1_80', masterKeyLength: 32, masterSaltLength: 14 },
  AES_256_CM_HMAC_SHA1_32: { name: 'AES_256_CM_HMAC_SHA1_32', masterKeyLength: 32, masterSaltLength: 14 }
}

/** The suites assumed when the caller does not pass the native core's list (the RFC 4568 mandatory ones). */
export const BASELINE_SUITES: readonly SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']

/**
 * Our order when we make an offer: the AEAD suites first (stronger, shorter per-packet work) when
 * the native core has them, then the universally supported 80-bit tag, then the 32-bit tag; the
 * RFC 6188 AES-256-CM suites last (accepted when a peer offers them, rarely wanted first).
 */
export const OFFER_SUITE_ORDER: readonly SrtpSuiteName[] = [
  'AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32',
  'AES_256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32'
]

export function isSrtpSuiteName (s: string): s is SrtpSuiteName {
  return Object.prototype.hasOwnProperty.call(SRTP_SUITES, s)
}

/** The suite an a=crypto line names, matched case-insensitively (RFC 4568 §9.2: ABNF literals). */
export function srtpSuiteOf (s: string): SrtpSuiteName | null {
  const upper = s.toUpperCase()
  return isSrtpSuiteName(upper) ? upper : null
}

export function keySaltLength (s: SrtpSuiteName): number {
  return SRTP_SUITES[s].masterKeyLength + SRTP_SUITES[s].masterSaltLength
}
