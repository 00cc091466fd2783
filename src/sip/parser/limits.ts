// Size limits applied before and while parsing. Every limit maps to a precise response so that a
// peer learns why (RFC 3261 §21.5.14 513 Message Too Large) instead of seeing a silent drop.

export interface ParseLimits {
  /** Whole message, start line to last body octet (RFC 3261 §18.1.1 keeps UDP under 65535). */
  maxMessageBytes: number
  /** Header field lines (folded continuations count with their line). */
  maxHeaders: number
  /** One header field after unfolding: name, colon and value. */
  maxHeaderLineBytes: number
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageBytes: 65535,
  maxHeaders: 256,
  // RFC 4475 §3.1.1.7 (longreq) has ~600-octet values; 16 KiB leaves room for long Route sets and
  // Identity headers while still bounding the work one line can cost.
  maxHeaderLineBytes: 16384
})

export function resolveLimits (limits?: Partial<ParseLimits>): Readonly<ParseLimits> {
  if (limits === undefined) return DEFAULT_PARSE_LIMITS
  return { ...DEFAULT_PARSE_LIMITS, ...limits }
}
