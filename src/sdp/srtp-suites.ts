// SDES crypto suites (RFC 4568 §6.2, RFC 7714 §12 for the AEAD ones) as data: the key||salt
// length a valid inline key must have. The native core (libsrtp2) decides which are usable;
// AES-CM suites are always in libsrtp2, GCM only when built with a crypto library.

export type SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM' | 'AEAD_AES_256_GCM'

export interface SrtpSuiteInfo {
  name: SrtpSuiteName
  masterKeyLength: number
  masterSaltLength: number
}

export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuiteInfo>> = {
  AES_CM_128_HMAC_SHA1_80: { name: 'AES_CM_128_HMAC_SHA1_80', masterKeyLength: 16, masterSaltLength: 14 },
  AES_CM_128_HMAC_SHA1_32: { name: 'AES_CM_128_HMAC_SHA1_32', masterKeyLength: 16, masterSaltLength: 14 },
  AEAD_AES_128_GCM: { name: 'AEAD_AES_128_GCM', masterKeyLength: 16, masterSaltLength: 12 },
  AEAD_AES_256_GCM: { name: 'AEAD_AES_256_GCM', masterKeyLength: 32, masterSaltLength: 12 }
}

/** Suites every libsrtp2 build has; used when the caller does not pass the native core's list. */
export const BASELINE_SUITES: readonly SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']

/**
 * Our order when we make an offer: the AEAD suites first (stronger, shorter per-packet work) when
 * the native core has them, then the universally supported 80-bit tag, then the 32-bit tag.
 */
export const OFFER_SUITE_ORDER: readonly SrtpSuiteName[] = [
  'AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'
]

export function isSrtpSuiteName (s: string): s is SrtpSuiteName {
  return Object.prototype.hasOwnProperty.call(SRTP_SUITES, s)
}

export function keySaltLength (s: SrtpSuiteName): number {
  return SRTP_SUITES[s].masterKeyLength + SRTP_SUITES[s].masterSaltLength
}

/**
 * The suite a received a=crypto line names. RFC 4568 §9.2 spells the suites as ABNF literal strings,
 * and RFC 5234 §2.3 makes those case-insensitive: "aes_cm_128_hmac_sha1_80" is the same suite.
 */
export function srtpSuiteByName (s: string): SrtpSuiteName | null {
  const upper = s.toUpperCase()
  return isSrtpSuiteName(upper) ? upper : null
}
