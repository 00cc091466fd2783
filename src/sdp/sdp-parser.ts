// RFC 8866 SDP parser. Grammar violations are 400 (the body of the request is malformed,
// RFC 3261 §21.4.1); well-formed descriptions we cannot use (non-IN networks, unknown address
// types) are 488 Not Acceptable Here (RFC 3261 §21.4.26).
import { SipError } from '../sip/sip-error'
import { parseCryptoAttribute } from './crypto-attribute'
import type {
  SdpAttribute, SdpConnection, SdpDirection, SdpMedia, SdpOrigin, SdpRtcp, SdpRtpMap, SessionDescription
} from './types'

/** Largest body we parse; an SDP for one audio stream is well under 2 KiB. */
export const MAX_SDP_BYTES = 65536

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive'])
const DIGITS = /^[0-9]+$/

function bad (line: number, detail: string): SipError {
  return sdpSyntaxError(`SDP line ${line}: ${detail}`)
}

/** 400 with the reason in a Warning (RFC 3261 §20.43, 399 miscellaneous): the caller sees what is wrong. */
function sdpSyntaxError (detail: string): SipError {
  const text = detail.replace(/[\\"\r\n]/g, "'").slice(0, 200)
  return new SipError(400, 'Bad Request', 'SIP_ERR_SDP_SYNTAX', { detail, headers: [{ name: 'Warning', value: `399 trunkgate "${text}"` }] })
}

function notAcceptable (line: number, detail: string): SipError {
  return new SipError(488, 'Not Acceptable Here', 'SIP_ERR_SDP_UNSUPPORTED', { detail: `SDP line ${line}: ${detail}` })
}

function parsePort (text: string, line: number, what: string): number {
  if (!DIGITS.test(text) || Number(text) > 65535) throw bad(line, `${what} "${text}" is not a port 0-65535`)
  return Number(text)
}

function parseOrigin (value: string, line: number): SdpOrigin {
  const f = value.split(' ')
  if (f.length !== 6 || f.some(x => x === '')) throw bad(line, `o= needs 6 fields, got "${value}"`)
  if (!DIGITS.test(f[1])) throw bad(line, `o= sess-id "${f[1]}" is not numeric`)
  if (!DIGITS.test(f[2])) throw bad(line, `o= sess-version "${f[2]}" is not numeric`)
  return { username: f[0], sessionId: f[1], sessionVersion: BigInt(f[2]), netType: f[3], addrType: f[4], address: f[5] }
}

function parseConnection (value: string, line: number): SdpConnection {
  const f = value.split(' ')
  if (f.length !== 3 || f.some(x => x === '')) throw bad(line, `c= needs "<nettype> <addrtype> <address>", got "${value}"`)
  if (f[0] !== 'IN') throw notAcceptable(line, `c= network type "${f[0]}" is not IN`)
  if (f[1] !== 'IP4' && f[1] !== 'IP6') throw notAcceptable(line, `c= address type "${f[1]}" is not IP4 or IP6`)
  const [address, ttl, num, extra] = f[2].split('/')
  if (extra !== undefined || address === '') throw bad(line, `c= address "${f[2]}" is malformed`)
  const c: SdpConnection = { netType: 'IN', addrType: f[1], address }
  if (ttl !== undefined) {
    if (!DIGITS.test(ttl)) throw bad(line, `c= ttl "${ttl}" is not numeric`)
    c.ttl = Number(ttl)
  }
  if (num !== undefined) {
    if (!DIGITS.test(num)) throw bad(line, `c= address count "${num}" is not numeric`)
    c.numAddresses = Number(num)
  }
  return c
}

function parseMediaLine (value: string, line: number): SdpMedia {
  const f = value.split(' ').filter(x => x !== '')
  // RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
  if (f.length < 4) throw bad(line, `m= needs "<media> <port> <proto> <fmt>...", got "${value}"`)
  const [portText, numText, extra] = f[1].split('/')
  if (extra !== undefined) throw bad(line, `m= port "${f[1]}" is malformed`)
  const m: SdpMedia = {
    media: f[0],
    port: parsePort(portText, line, 'm= port'),
    proto: f[2],
    formats: f.slice(3),
    otherLines: [],
    bandwidths: [],
    rtpmaps: [],
    fmtps: [],
    rtcpMux: false,
    crypto: [],
    attributes: []
  }
  if (numText !== undefined) {
    if (!DIGITS.test(numText) || Number(numText) < 1) throw bad(line, `m= number of ports "${numText}" is invalid`)
    m.numPorts = Number(numText)
  }
  return m
}

function parseRtpMap (value: string, line: number): SdpRtpMap {
  const m = /^([0-9]{1,3})[ \t]+([^/ \t]+)\/([0-9]+)(?:\/([0-9]+))?[ \t]*$/.exec(value)
  if (!m || Number(m[1]) > 127) throw bad(line, `a=rtpmap "${value}" is not "<pt 0-127> <name>/<clock>[/<channels>]"`)
  const r: SdpRtpMap = { payloadType: Number(m[1]), encodingName: m[2], clockRate: Number(m[3]) }
  if (r.clockRate === 0) throw bad(line, `a=rtpmap "${value}" has clock rate 0`)
  if (m[4] !== undefined) r.channels = Number(m[4])
  return r
}

function parsePtime (name: string, value: string, line: number): number {
  // RFC 8866 §6.4: milliseconds; fractional values ("0.125") are legal.
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || Number(value) <= 0) throw bad(line, `a=${name} "${value}" is not a positive number`)
  return Number(value)
}

function parseRtcp (value: string, line: number): SdpRtcp {
  const f = value.trim().split(/[ \t]+/)
  if (f.length !== 1 && f.length !== 4) throw bad(line, `a=rtcp "${value}" is not "<port> [IN IP4 <address>]"`)
  const r: SdpRtcp = { port: parsePort(f[0], line, 'a=rtcp port') }
  if (f.length === 4) { r.netType = f[1]; r.addrType = f[2]; r.address = f[3] }
  return r
}

/** Applies one a= line to the media section (or, with media null, to the session). */
function parseAttribute (sd: SessionDescription, media: SdpMedia | null, value: string, line: number): void {
  const colon = value.indexOf(':')
  const name = colon < 0 ? value : value.slice(0, colon)
  const attrValue = colon < 0 ? undefined : value.slice(colon + 1)
  if (name === '') throw bad(line, 'a= has an empty attribute name')
  if (DIRECTIONS.has(name) && attrValue === undefined) {
    if (media) media.direction = name as SdpDirection
    else sd.direction = name as SdpDirection
    return
  }
  const keep = (): void => {
    const a: SdpAttribute = attrValue === undefined ? { name } : { name, value: attrValue }
    ;(media ?? sd).attributes.push(a)
  }
  if (!media) { keep(); return }
  switch (name) {
    case 'rtpmap': media.rtpmaps.push(parseRtpMap(attrValue ?? '', line)); return
    case 'fmtp': {
      const m = /^([^ \t]+)[ \t]+(.*)$/.exec(attrValue ?? '')
      if (!m) throw bad(line, `a=fmtp "${attrValue ?? ''}" is not "<format> <parameters>"`)
      media.fmtps.push({ format: m[1], parameters: m[2] })
      return
    }
    case 'ptime': media.ptime = parsePtime(name, attrValue ?? '', line); return
    case 'maxptime': media.maxptime = parsePtime(name, attrValue ?? '', line); return
    case 'rtcp': media.rtcp = parseRtcp(attrValue ?? '', line); return
    case 'rtcp-mux': media.rtcpMux = true; return
    case 'crypto':
      try {
        media.crypto.push(parseCryptoAttribute(attrValue ?? ''))
      } catch (err) {
        if (err instanceof SipError) throw bad(line, err.message.replace(/^400 Bad Request: /, ''))
        throw err
      }
      return
    default: keep()
  }
}

/**
 * Parses an SDP body. Accepts CRLF or bare LF line ends (RFC 8866 §5 asks parsers to be
 * tolerant of LF). Throws SipError 400 (syntax) or 488 (unusable), with the line number.
 */
export function parseSdp (body: Buffer | string): SessionDescription {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  if (Buffer.byteLength(text) > MAX_SDP_BYTES) {
    throw sdpSyntaxError(`SDP body larger than ${MAX_SDP_BYTES} bytes`)
  }
  const lines = text.split(/\r?\n/)
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  if (lines.length === 0) throw sdpSyntaxError('SDP body is empty')

  let origin: SdpOrigin | null = null
  let sessionName: string | null = null
  // Filled line by line; o= and s= are checked for presence at the end.
  const partial: SessionDescription = {
    version: 0,
    origin: { username: '', sessionId: '', sessionVersion: 0n, netType: '', addrType: '', address: '' },
    sessionName: '',
    otherLines: [],
    bandwidths: [],
    timing: [],
    attributes: [],
    media: []
  }
  let media: SdpMedia | null = null

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1
    const raw = lines[i]
    // RFC 8866 §5: <type>=<value>, type exactly one letter, no whitespace around "=".
    if (raw.length < 2 || raw[1] !== '=' || !/^[a-zA-Z]$/.test(raw[0])) throw bad(n, `"${raw.slice(0, 40)}" is not <type>=<value>`)
    const type = raw[0]
    const value = raw.slice(2)
    if (i === 0) {
      if (type !== 'v') throw bad(n, 'the description must start with v=')
      if (value !== '0') throw bad(n, `unsupported SDP version "${value}"`)
      continue
    }
    if (type === 'v') throw bad(n, 'v= appears twice')
    if (type === 'm') {
      media = parseMediaLine(value, n)
      partial.media.push(media)
      continue
    }
    if (type === 'a') { parseAttribute(partial, media, value, n); continue }
    if (type === 'c') {
      const c = parseConnection(value, n)
      if (media) {
        if (media.connection) throw bad(n, 'second c= in one media section (multicast layering is not supported)')
        media.connection = c
      } else {
        if (partial.connection) throw bad(n, 'second c= at session level')
        partial.connection = c
      }
      continue
    }
    if (type === 'b') { (media ?? partial).bandwidths.push(value); continue }
    if (media) { media.otherLines.push({ type, value }); continue }
    switch (type) {
      case 'o':
        if (origin) throw bad(n, 'o= appears twice')
        origin = parseOrigin(value, n)
        break
      case 's':
        if (sessionName !== null) throw bad(n, 's= appears twice')
        sessionName = value
        break
      case 't': {
        const f = value.split(' ')
        if (f.length !== 2 || !DIGITS.test(f[0]) || !DIGITS.test(f[1])) throw bad(n, `t= "${value}" is not "<start> <stop>"`)
        partial.timing.push({ start: f[0], stop: f[1] })
        break
      }
      default: partial.otherLines.push({ type, value })
    }
  }
  if (!origin) throw sdpSyntaxError('SDP has no o= line')
  if (sessionName === null) throw sdpSyntaxError('SDP has no s= line')
  // Some gateways omit t=; RFC 8866 §5.9 says "t=0 0" means an unbounded session, which is what they mean.
  if (partial.timing.length === 0) partial.timing.push({ start: '0', stop: '0' })
  const sd: SessionDescription = { ...partial, version: 0, origin, sessionName }
  // RFC 8866 §5.7: each active media section needs an address, from its own c= or the session's.
  for (const m of sd.media) {
    if (m.port !== 0 && !m.connection && !sd.connection) {
      throw sdpSyntaxError(`m=${m.media} section on port ${m.port} has no c= line and there is no session c=`)
    }
  }
  return sd
}

/** The direction that applies to a media section: its own, else the session's, else sendrecv. */
export function effectiveDirection (sd: SessionDescription, m: SdpMedia): SdpDirection {
  return m.direction ?? sd.direction ?? 'sendrecv'
}

/** The connection that applies to a media section (RFC 8866 §5.7). */
export function effectiveConnection (sd: SessionDescription, m: SdpMedia): SdpConnection | undefined {
  return m.connection ?? sd.connection
}
