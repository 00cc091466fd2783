// One Via value (RFC 3261 §20.42, §25.1):
//   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
//   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
//   sent-by = host [ COLON port ]                                         (COLON = SWS ":" SWS)
// Transports are any token (RFC 4475 §3.1.1.10: SCTP, UNKNOWN …): the transport layer decides what it
// can answer on; the parser only reads.

import { isIP } from 'node:net'
import type { Via } from './types'
import { COLON, SLASH, badHeader, isDigit, isTokenChar, isWsp, parseBoundedUint, parseHeaderParams, skipWsp } from './lexer'

function badVia (detail: string): Error {
  return badHeader('SIP_ERR_BAD_VIA', detail)
}

function readToken (s: string, pos: number): number {
  while (pos < s.length && isTokenChar(s.charCodeAt(pos))) pos++
  return pos
}

const SIP_2_0 = 'SIP/2.0'

const HOST_CHARS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x2d || c === 0x2e || c === 0x5f) HOST_CHARS[c] = 1
}

export function parseVia (s: string): Via {
  const end = s.length
  let pos = skipWsp(s, 0)
  const nameStart = pos
  pos = readToken(s, pos)
  const name = s.slice(nameStart, pos)
  pos = skipWsp(s, pos)
  if (name.length === 0 || s.charCodeAt(pos) !== SLASH) throw badVia('bad sent-protocol')
  pos = skipWsp(s, pos + 1)
  const versionStart = pos
  pos = readToken(s, pos)
  const version = s.slice(versionStart, pos)
  pos = skipWsp(s, pos)
  if (version.length === 0 || s.charCodeAt(pos) !== SLASH) throw badVia('bad sent-protocol')
  pos = skipWsp(s, pos + 1)
  const transportStart = pos
  pos = readToken(s, pos)
  if (pos === transportStart) throw badVia('missing transport')
  const transport = upperTransport(s.slice(transportStart, pos))
  const afterTransport = pos
  pos = skipWsp(s, pos)
  if (pos === afterTransport) throw badVia('missing LWS before sent-by')

  let host: string
  if (s.charCodeAt(pos) === 0x5b) {
    const close = s.indexOf(']', pos)
    if (close < 0) throw badVia('unterminated IPv6 reference')
    host = s.slice(pos + 1, close).toLowerCase()
    if (host.length === 0) throw badVia('empty IPv6 reference')
    // RFC 3261 §25.1 IPv6reference: only an IPv6 address goes between the brackets. Anything else was
    // accepted before and then written back without brackets, unparseable (found by fuzzing).
    if (isIP(host) !== 6) throw badVia(`bad IPv6 reference: [${host.slice(0, 45)}]`)
    pos = close + 1
  } else {
    const hostStart = pos
    let upper = false
    for (; pos < end; pos++) {
      const c = s.charCodeAt(pos)
      if (c === 0x3b || c === COLON || c === 0x2c || isWsp(c)) break
      // hostname / IPv4address (RFC 3261 §25.1), with '_' tolerated as in uri.ts.
      if (c >= 128 || HOST_CHARS[c] !== 1) throw badVia(`illegal character in sent-by host: ${s.slice(hostStart, pos + 1)}`)
      if (c >= 0x41 && c <= 0x5a) upper = true
    }
    if (pos === hostStart) throw badVia('missing sent-by host')
    host = s.slice(hostStart, pos)
    if (upper) host = host.toLowerCase()
  }

  let port: number | null = null
  const beforeColon = skipWsp(s, pos)
  if (s.charCodeAt(beforeColon) === COLON) {
    const portStart = skipWsp(s, beforeColon + 1)
    pos = portStart
    while (pos < end && isDigit(s.charCodeAt(pos))) pos++
    port = parseBoundedUint(s, portStart, pos, 65535)
    if (port < 0) throw badVia('bad sent-by port')
  }

  const params = new Map<string, string | null>()
  parseHeaderParams(s, pos, params)
  const branch = params.get('branch')
  return {
    // The parts are kept as written except for the LWS around the slashes (RFC 4475 §3.1.1.1 folds it).
    protocol: name === 'SIP' && version === '2.0' ? SIP_2_0 : `${name}/${version}`,
    transport,
    host,
    port,
    params,
    branch: branch === undefined ? null : branch
  }
}

/** The common transports are already upper-case on the wire; skip the copy for them. */
function upperTransport (t: string): string {
  return t === 'TCP' || t === 'UDP' || t === 'TLS' ? t : t.toUpperCase()
}

export function formatVia (v: Via): string {
  const host = v.host.indexOf(':') >= 0 ? `[${v.host}]` : v.host
  let out = `${v.protocol}/${v.transport} ${host}`
  if (v.port !== null) out += ':' + String(v.port)
  // `branch` is the authoritative copy: whoever set it after parsing must see it on the wire.
  let sawBranch = false
  for (const [name, value] of v.params) {
    if (name === 'branch') {
      sawBranch = true
      // A received valueless ";branch" is written back as it came (found by fuzzing: it vanished).
      if (v.branch !== null) out += ';branch=' + v.branch
      else if (value === null) out += ';branch'
    } else {
      out += value === null ? `;${name}` : `;${name}=${value}`
    }
  }
  if (!sawBranch && v.branch !== null) out += ';branch=' + v.branch
  return out
}
