// name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route, Refer-To …
// (RFC 3261 §20.10, §25.1). Input is one list element (the caller splits comma lists first).

import type { NameAddr } from './types'
import { DQUOTE, LAQUOT, SEMI, badHeader, formatParams, isWsp, parseHeaderParams, quote, scanQuoted, skipWsp, unquote } from './lexer'
import { formatUri, parseUri } from './uri'

export function parseNameAddr (s: string): NameAddr {
  const end = s.length
  let pos = skipWsp(s, 0)
  if (pos === end) throw badHeader('SIP_ERR_BAD_NAME_ADDR', 'empty address')
  // Contact: * (RFC 3261 §10.2.2) — only meaningful in REGISTER, but it is well-formed anywhere.
  if (s.charCodeAt(pos) === 0x2a && skipWsp(s, pos + 1) === end) {
    return { displayName: null, uri: starUri(), params: new Map(), star: true }
  }

  let displayName: string | null = null
  let angle = -1
  if (s.charCodeAt(pos) === DQUOTE) {
    const close = scanQuoted(s, pos)
    displayName = unquote(s, pos, close)
    angle = skipWsp(s, close)
    if (s.charCodeAt(angle) !== LAQUOT) throw badHeader('SIP_ERR_BAD_NAME_ADDR', 'quoted display name without <addr-spec>')
  } else {
    // A '<' before any ';' or '"' starts a name-addr; otherwise this is a bare addr-spec.
    for (let i = pos; i < end; i++) {
      const c = s.charCodeAt(i)
      if (c === LAQUOT) { angle = i; break }
      if (c === SEMI || c === DQUOTE) break
    }
    if (angle >= 0) {
      // display-name = *(token LWS) / quoted-string. Unquoted names with other characters are taken
      // as written ("infer the quotes", RFC 4475 §3.1.2.15) — a comma has already split the value,
      // which is how "Bell, Alexander <sip:…>" still ends as a 400 (two From values).
      const name = s.slice(pos, angle).trim()
      displayName = name.length > 0 ? name : null
    }
  }

  let uriText: string
  if (angle >= 0) {
    const close = s.indexOf('>', angle)
    if (close < 0) throw badHeader('SIP_ERR_BAD_NAME_ADDR', 'unterminated <')
    uriText = s.slice(angle + 1, close)
    pos = close + 1
  } else {
    // addr-spec without <>: the URI ends at the first ';' or LWS; what follows are header params,
    // never URI params (RFC 3261 §20.10; RFC 4475 §3.3.12 cparam01).
    const uriStart = pos
    while (pos < end) {
      const c = s.charCodeAt(pos)
      if (c === SEMI || isWsp(c)) break
      pos++
    }
    uriText = s.slice(uriStart, pos)
    // "If the URI contains a comma, question mark or semicolon, the URI MUST be enclosed in angle
    // brackets" (§20.10): a '?' here means the sender forgot them (RFC 4475 §3.1.2.13 regbadct).
    if (uriText.indexOf('?') >= 0) throw badHeader('SIP_ERR_BAD_NAME_ADDR', 'URI with headers must be enclosed in <>')
  }
  const uri = parseUri(uriText)
  const params = new Map<string, string | null>()
  parseHeaderParams(s, pos, params)
  return { displayName, uri, params }
}

export function formatNameAddr (n: NameAddr): string {
  if (n.star === true) return '*'
  // Always the <> form: it is valid for every URI, whatever its parameters and headers.
  const name = n.displayName !== null && n.displayName.length > 0 ? quote(n.displayName) + ' ' : ''
  return `${name}<${formatUri(n.uri)}>${formatParams(n.params)}`
}

function starUri (): NameAddr['uri'] {
  return { scheme: '', user: null, password: null, host: '', port: null, params: new Map(), headers: new Map(), opaque: '*' }
}
