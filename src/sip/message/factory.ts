// Building new messages: responses to a request (RFC 3261 §8.2.6) and new requests (§8.1.1), plus the
// random identifiers they need (tags §19.3, branch §8.1.1.7, Call-ID §8.1.1.4).

import { randomBytes } from 'node:crypto'
import type { HeaderField, NameAddr, SipRequest, SipResponse, Via } from './types'
import { canonicalHeaderName } from './header-names'
import { formatNameAddr, parseNameAddr } from './name-addr'
import { defaultReason } from './reason-phrases'
import { formatVia } from './via'

/** Random octets are drawn from a pool: one getrandom() per 4 KiB instead of one per identifier. */
let pool = Buffer.alloc(0)
let poolPos = 0

function randomHex (octets: number): string {
  if (poolPos + octets > pool.length) {
    pool = randomBytes(4096)
    poolPos = 0
  }
  const hex = pool.toString('hex', poolPos, poolPos + octets)
  poolPos += octets
  return hex
}

/** §19.3: tags need at least 32 bits of randomness; 64 are used. */
export function newTag (): string {
  return randomHex(8)
}

/** §8.1.1.7: the magic cookie z9hG4bK, then a value unique across space and time (96 random bits). */
export function newBranch (): string {
  return 'z9hG4bK' + randomHex(12)
}

/** §8.1.1.4: "cryptographically random identifiers" are recommended; 128 bits. */
export function newCallId (): string {
  return randomHex(16)
}

export interface ResponseOptions {
  /** Added to To when the request's To has no tag (not on 100: §8.2.6.2). */
  toTag?: string
  headers?: HeaderField[]
  body?: Buffer
  contentType?: string
}

/**
 * RFC 3261 §8.2.6.2: the response copies From, Call-ID, CSeq and every Via (in order) from the
 * request, and To — with a tag added if the request had none, except on 100 Trying (which may carry
 * none). §8.2.6.1: a 100 also echoes Timestamp.
 */
export function createResponse (req: SipRequest, status: number, reason?: string, opts: ResponseOptions = {}): SipResponse {
  const vias: HeaderField[] = []
  let from: HeaderField | undefined
  let to: HeaderField | undefined
  let callId: HeaderField | undefined
  let cseq: HeaderField | undefined
  let timestamp: HeaderField | undefined
  for (const h of req.headers) {
    // Parsed messages carry canonical names already; hand-built ones may not.
    switch (canonicalHeaderName(h.name)) {
      case 'Via': vias.push({ name: 'Via', value: h.value }); break
      case 'From': from ??= { name: 'From', value: h.value }; break
      case 'To': to ??= { name: 'To', value: h.value }; break
      case 'Call-ID': callId ??= { name: 'Call-ID', value: h.value }; break
      case 'CSeq': cseq ??= { name: 'CSeq', value: h.value }; break
      case 'Timestamp': timestamp ??= { name: 'Timestamp', value: h.value }; break
    }
  }
  if (to !== undefined && opts.toTag !== undefined && status !== 100 && !hasTag(to.value)) {
    to.value = `${to.value};tag=${opts.toTag}`
  }
  const headers: HeaderField[] = [...vias]
  for (const h of [from, to, callId, cseq]) if (h !== undefined) headers.push(h)
  if (status === 100 && timestamp !== undefined) headers.push(timestamp)
  if (opts.headers !== undefined) for (const h of opts.headers) headers.push({ name: h.name, value: h.value })
  if (opts.contentType !== undefined) headers.push({ name: 'Content-Type', value: opts.contentType })
  return {
    kind: 'response',
    status,
    reason: reason ?? defaultReason(status),
    version: 'SIP/2.0',
    headers,
    body: opts.body ?? Buffer.alloc(0)
  }
}

/** Whether a To/From value already carries a tag; a malformed value falls back to a textual check. */
function hasTag (value: string): boolean {
  try {
    return parseNameAddr(value).params.has('tag')
  } catch {
    return /;\s*tag\s*=/i.test(value)
  }
}

export interface RequestOptions {
  method: string
  uri: string
  from: NameAddr | string
  to: NameAddr | string
  callId: string
  cseq: number
  /** Top first. Omitted when the transport adds the Via itself. */
  via?: Via[]
  /** §8.1.1.6: 70 unless told otherwise. */
  maxForwards?: number
  headers?: HeaderField[]
  body?: Buffer
  contentType?: string
}

/** §8.1.1: a request with the mandatory header fields in the conventional order. */
export function createRequest (opts: RequestOptions): SipRequest {
  const headers: HeaderField[] = []
  for (const v of opts.via ?? []) headers.push({ name: 'Via', value: formatVia(v) })
  headers.push({ name: 'Max-Forwards', value: String(opts.maxForwards ?? 70) })
  headers.push({ name: 'From', value: typeof opts.from === 'string' ? opts.from : formatNameAddr(opts.from) })
  headers.push({ name: 'To', value: typeof opts.to === 'string' ? opts.to : formatNameAddr(opts.to) })
  headers.push({ name: 'Call-ID', value: opts.callId })
  headers.push({ name: 'CSeq', value: `${opts.cseq} ${opts.method}` })
  if (opts.headers !== undefined) for (const h of opts.headers) headers.push({ name: h.name, value: h.value })
  if (opts.contentType !== undefined) headers.push({ name: 'Content-Type', value: opts.contentType })
  return {
    kind: 'request',
    method: opts.method,
    uri: opts.uri,
    version: 'SIP/2.0',
    headers,
    body: opts.body ?? Buffer.alloc(0)
  }
}
