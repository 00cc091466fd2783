// Message framing for stream transports (TCP, TLS).
//
// RFC 3261 §18.3: over a stream the only thing that delimits a message is the header block's empty line
// followed by exactly Content-Length octets of body, so Content-Length is mandatory and must be trusted
// exactly once. Anything that makes that number unknowable (missing, negative, non-numeric, repeated —
// RFC 4475 §3.1.2.3 ncl, §3.3.9 mcl01) leaves the framing unrecoverable: the connection must be closed
// after a best-effort error response. The framer only finds message boundaries; it never parses SIP.

import { findHeaderEnd } from '../parser/framing'
import { SipError } from '../sip-error'

export interface FramerLimits {
  /** Largest header block + body accepted (RFC 3261 §21.5.14 513 beyond it). */
  maxMessageBytes: number
}

export type FramerEvent =
  /** One complete message: start line, headers, empty line and exactly Content-Length body octets;
   *  headerLength is the offset of the first body octet. */
  | { kind: 'message', buffer: Buffer, headerLength: number }
  /** RFC 5626 §4.4.1 keep-alive: a double CRLF between messages; the connection answers with one CRLF. */
  | { kind: 'ping' }
  /** Framing is lost. headerBlock is what arrived of the header section (for a best-effort response). */
  | { kind: 'error', error: SipError, headerBlock: Buffer }

/**
 * idle: between messages (only CRLF keep-alives seen);
 * headers: first octet of a start line received, waiting for CRLFCRLF;
 * body: header block complete, waiting for Content-Length octets;
 * failed: framing lost — every further octet is ignored until the connection closes.
 */
export type FramerState = 'idle' | 'headers' | 'body' | 'failed'

const PING = Buffer.from('\r\n\r\n')
const CR = 0x0d
const LF = 0x0a

export class StreamFramer {
  private pending: Buffer = Buffer.alloc(0)
  private _state: FramerState = 'idle'
  /** Offset from which to resume the CRLFCRLF search, so a header dribbled byte by byte is not rescanned. */
  private searchFrom = 0
  private headerLength = 0
  private contentLength = 0

  constructor (private readonly limits: FramerLimits) {}

  get state (): FramerState { return this._state }

  /** True while part of a message is buffered: the connection runs its read timer only then. */
  get midMessage (): boolean { return this._state === 'headers' || this._state === 'body' }

  get bufferedBytes (): number { return this.pending.length }

  push (chunk: Buffer): FramerEvent[] {
    if (this._state === 'failed') return []
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    const events: FramerEvent[] = []
    for (;;) {
      const stateBefore: FramerState = this._state
      const lengthBefore = this.pending.length
      const event = this.step()
      if (event) events.push(event)
      // step() may have moved to 'failed' (TS cannot see that through the call).
      if ((this._state as FramerState) === 'failed') break
      // Stop when a step made no progress: more octets are needed.
      if (!event && this._state === stateBefore && this.pending.length === lengthBefore) break
    }
    return events
  }

  private step (): FramerEvent | null {
    switch (this._state) {
      case 'idle': return this.stepIdle()
      case 'headers': return this.stepHeaders()
      case 'body': return this.stepBody()
      case 'failed': return null
    }
  }

  private stepIdle (): FramerEvent | null {
    const buf = this.pending
    if (buf.length === 0) return null
    if (buf[0] === CR || buf[0] === LF) {
      // RFC 5626 §4.4.1: CRLFCRLF is a ping, answered with a CRLF pong.
      if (buf.length >= 4 && buf[0] === CR && buf[1] === LF && buf[2] === CR && buf[3] === LF) {
        this.consume(4)
        return { kind: 'ping' }
      }
      // Could still become a ping when the next octets arrive: wait.
      if (isPrefixOf(buf, PING)) return null
      // RFC 3261 §7.5: CRLFs before a start line are ignored (a lone CRLF is also the RFC 5626 pong
      // a client may send us). A bare LF is skipped the same way, as robust receivers do.
      this.consume(buf[0] === CR && buf[1] === LF ? 2 : 1)
      return null
    }
    this._state = 'headers'
    this.searchFrom = 0
    return null
  }

  private stepHeaders (): FramerEvent | null {
    const buf = this.pending
    // The parser's own boundary rule (CRLFCRLF, or a bare-LF blank line as most stacks tolerate), so the
    // framer and the parser never disagree on where the header section ends.
    const bodyStart = findHeaderEnd(buf, this.searchFrom)
    if (bodyStart === -1) {
      if (buf.length > this.limits.maxMessageBytes) {
        return this.fail(new SipError(513, 'Message Too Large', 'SIP_ERR_MESSAGE_TOO_LARGE', {
          detail: `header section exceeds ${this.limits.maxMessageBytes} octets`, closeConnection: true
        }), buf)
      }
      this.searchFrom = Math.max(0, buf.length - 3)
      return null
    }
    const headerBlock = buf.subarray(0, bodyStart)
    const headerLength = bodyStart
    const cl = readContentLength(headerBlock, this.limits.maxMessageBytes)
    if (cl instanceof SipError) return this.fail(cl, headerBlock)
    if (headerLength + cl > this.limits.maxMessageBytes) {
      return this.fail(new SipError(513, 'Message Too Large', 'SIP_ERR_MESSAGE_TOO_LARGE', {
        detail: `message of ${headerLength + cl} octets exceeds ${this.limits.maxMessageBytes}`, closeConnection: true
      }), headerBlock)
    }
    this.headerLength = headerLength
    this.contentLength = cl
    this._state = 'body'
    return null
  }

  private stepBody (): FramerEvent | null {
    const total = this.headerLength + this.contentLength
    // RFC 4475 §3.1.2.2 (clerr): a body shorter than Content-Length over a stream is simply not
    // complete yet; the connection's read timer decides when to give up.
    if (this.pending.length < total) return null
    const buffer = this.pending.subarray(0, total)
    const headerLength = this.headerLength
    this.consume(total)
    this._state = 'idle'
    return { kind: 'message', buffer, headerLength }
  }

  private fail (error: SipError, headerBlock: Buffer): FramerEvent {
    this._state = 'failed'
    this.pending = Buffer.alloc(0)
    return { kind: 'error', error, headerBlock }
  }

  private consume (n: number): void {
    this.pending = n >= this.pending.length ? Buffer.alloc(0) : this.pending.subarray(n)
  }
}

function isPrefixOf (buf: Buffer, of: Buffer): boolean {
  return buf.length < of.length && of.subarray(0, buf.length).equals(buf)
}

/**
 * Finds the one Content-Length (long or compact `l`, RFC 3261 §7.3.3) in a raw header block, unfolding
 * continuation lines (§7.3.1). Returns the value or the SipError that ends the connection.
 */
export function readContentLength (headerBlock: Buffer, maxMessageBytes: number): number | SipError {
  const values: string[] = []
  for (const line of unfoldedHeaderLines(headerBlock)) {
    const m = /^([^:\s]+)[ \t]*:(.*)$/s.exec(line)
    if (!m) continue
    const name = m[1].toLowerCase()
    if (name === 'content-length' || name === 'l') values.push(m[2].trim())
  }
  if (values.length === 0) {
    return badLength('SIP_ERR_MISSING_CONTENT_LENGTH', 'Content-Length is mandatory on stream transports (RFC 3261 §18.3)')
  }
  // RFC 4475 §3.3.9: two Content-Length fields — even equal ones — leave the receiver unable to know
  // which one the sender's framing used.
  if (values.length > 1) {
    return badLength('SIP_ERR_DUPLICATE_CONTENT_LENGTH', `Content-Length appears ${values.length} times`)
  }
  const v = values[0]
  if (v.startsWith('-')) {
    // RFC 4475 §3.1.2.3: never use a negative value as a length.
    return badLength('SIP_ERR_BAD_CONTENT_LENGTH', `negative Content-Length ${JSON.stringify(v)}`)
  }
  if (!/^\d+$/.test(v)) {
    return badLength('SIP_ERR_BAD_CONTENT_LENGTH', `Content-Length ${JSON.stringify(v)} is not a decimal number`)
  }
  // Compare as text first so a 40-digit value never turns into an imprecise float.
  const n = v.replace(/^0+(?=\d)/, '')
  if (n.length > 15 || Number(n) > maxMessageBytes) {
    // RFC 3261 §21.4.11: the entity-body is larger than we are willing to process.
    return new SipError(413, 'Request Entity Too Large', 'SIP_ERR_BODY_TOO_LARGE', {
      detail: `Content-Length ${n} exceeds ${maxMessageBytes}`, closeConnection: true
    })
  }
  return Number(n)
}

function badLength (code: string, detail: string): SipError {
  return new SipError(400, 'Bad Request', code, { detail, closeConnection: true })
}

/** Header lines of a raw block (start line excluded), folded continuations joined (RFC 3261 §7.3.1). */
export function unfoldedHeaderLines (headerBlock: Buffer, encoding: BufferEncoding = 'latin1'): string[] {
  const raw = headerBlock.toString(encoding).split(/\r?\n/)
  const lines: string[] = []
  for (let i = 1; i < raw.length; i++) {
    const line = raw[i]
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 0) {
      lines[lines.length - 1] += ' ' + line.trim()
    } else if (line.length > 0) {
      lines.push(line)
    }
  }
  return lines
}
