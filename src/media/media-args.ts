// Argument checks done in JS before anything reaches C++ (STYLE.md: sharp/better-sqlite3 habit).
// The messages are part of the API: tests assert them exactly.
import net from 'node:net'
import { audioCodecs, codecByName, type CodecEntry } from './codec-registry'

export type { CodecName } from './codec-registry'
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'

export const DIRECTIONS: Record<MediaDirection, number> = { sendrecv: 0, sendonly: 1, recvonly: 2, inactive: 3 }
export const SRTP_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM', 'AES_256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32'] as const
export type SrtpSuiteName = typeof SRTP_SUITES[number]
// master key + salt octets per suite (RFC 3711 §8.2, RFC 7714 §12, RFC 6188 §7.1)
export const SRTP_KEY_SALT_LENGTH: Record<SrtpSuiteName, number> = {
  AES_CM_128_HMAC_SHA1_80: 30, AES_CM_128_HMAC_SHA1_32: 30, AEAD_AES_128_GCM: 28, AEAD_AES_256_GCM: 44,
  AES_256_CM_HMAC_SHA1_80: 46, AES_256_CM_HMAC_SHA1_32: 46
}

export function checkInteger (value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name} must be an integer`)
  if (value < min || value > max) throw new RangeError(`${name} must be between ${min} and ${max}`)
  return value
}

export function checkIp (value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`)
  if (net.isIP(value) === 0) throw new TypeError(`${name} must be an IPv4 or IPv6 address literal`)
  return value
}

export function checkBoolean (value: unknown, name: string, def: boolean): boolean {
  if (value === undefined) return def
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`)
  return value
}

/** An audio codec of the registry, by its (case-insensitive) encoding name. */
export function checkCodec (value: unknown): CodecEntry {
  const codec = typeof value === 'string' ? codecByName(value) : undefined
  if (codec === undefined || !codec.isAudio) {
    throw new RangeError(`codec must be one of ${audioCodecs().map(c => c.name).join(', ')}`)
  }
  return codec
}

/** A packetisation the codec can send with (registry ptimes). */
export function checkPtime (codec: CodecEntry, value: unknown): number {
  if (typeof value !== 'number' || !codec.ptimes.includes(value)) {
    throw new RangeError(`ptime for ${codec.name} must be one of ${codec.ptimes.join(', ')}`)
  }
  return value
}

export function checkDirection (value: unknown): MediaDirection {
  if (typeof value !== 'string' || !(value in DIRECTIONS)) {
    throw new RangeError('direction must be one of sendrecv, sendonly, recvonly, inactive')
  }
  return value as MediaDirection
}

// RFC 4733 §3.2 events 0-15 plus the dialling pauses w (500 ms) and W (1000 ms). The whole string is
// checked before anything is sent, so a typo never sends half a PIN.
const DTMF_CHARS = /^[0-9*#A-Dwa-dW]$/
export const MAX_DTMF_DIGITS = 128
export function checkDtmfDigits (digits: unknown): string {
  if (typeof digits !== 'string') throw new TypeError('digits must be a string')
  if (digits.length === 0) throw new RangeError('digits must not be empty')
  if (digits.length > MAX_DTMF_DIGITS) throw new RangeError(`digits must be at most ${MAX_DTMF_DIGITS} characters`)
  for (let i = 0; i < digits.length; i++) {
    if (!DTMF_CHARS.test(digits[i])) {
      throw new RangeError(`invalid DTMF character '${digits[i]}' at index ${i}`)
    }
  }
  return digits
}

/**
 * 16 kHz PCM for play(): an Int16Array, or a Buffer of s16le bytes handed to the native core as is,
 * at any byte offset (engine audio sits wherever its protobuf field landed; no view, no copy).
 */
export function checkPcm16 (pcm: unknown): Int16Array | Buffer {
  if (pcm instanceof Int16Array) return pcm
  if (Buffer.isBuffer(pcm)) {
    if (pcm.length % 2 !== 0) throw new RangeError('pcm Buffer length must be even (16-bit samples)')
    return pcm
  }
  throw new TypeError('pcm must be an Int16Array or a Buffer of 16 kHz 16-bit samples')
}

export function checkKey (value: unknown, name: string, length: number): Buffer {
  let buf: Buffer
  if (Buffer.isBuffer(value)) buf = value
  else if (typeof value === 'string') buf = Buffer.from(value, 'base64')
  else throw new TypeError(`${name} must be a Buffer or a base64 string`)
  if (buf.length !== length) throw new RangeError(`${name} must be ${length} octets (master key + salt)`)
  return buf
}
