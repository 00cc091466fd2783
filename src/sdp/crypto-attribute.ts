// RFC 4568 (SDES) a=crypto attribute: parse and format.
//
//   a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]          (§9.1)
//   key-params = key-param *(";" key-param)
//   key-param  = key-method ":" key-info
//   inline key-info = key-salt ["|" lifetime] ["|" mki]                    (§6.1)
//   lifetime   = ["2^"] 1*DIGIT
//   mki        = mki-value ":" mki-length
//
// The lifetime and the MKI are both optional and are told apart by the colon, not by position:
// in `inline:…|1066:4` the 1066 is an MKI value, not a lifetime.
import { SipError } from '../sip/sip-error'
import type { SdesKeyParam, SdesLifetime, SdesMki, SdpCrypto } from './types'

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const DIGITS = /^[0-9]+$/

function syntax (detail: string): SipError {
  return new SipError(400, 'Bad Request', 'SIP_ERR_SDP_CRYPTO_SYNTAX', { detail })
}

function parseLifetime (text: string): SdesLifetime {
  if (text.startsWith('2^')) {
    const exp = text.slice(2)
    if (!DIGITS.test(exp) || Number(exp) > 64) throw syntax(`a=crypto lifetime "${text}" is not 2^<1..64>`)
    return { text, packets: 2 ** Number(exp) }
  }
  if (!DIGITS.test(text)) throw syntax(`a=crypto lifetime "${text}" is not a number`)
  return { text, packets: Number(text) }
}

function parseMki (text: string): SdesMki {
  const [value, length, extra] = text.split(':')
  if (extra !== undefined || !DIGITS.test(value) || !DIGITS.test(length ?? '')) {
    throw syntax(`a=crypto MKI "${text}" is not <value>:<length>`)
  }
  const len = Number(length)
  // RFC 4568 §6.1: "The MKI length ... MUST be between 1 and 128 bytes."
  if (len < 1 || len > 128) throw syntax(`a=crypto MKI length ${len} is outside 1..128`)
  return { value: BigInt(value), length: len }
}

function parseKeyParam (text: string): SdesKeyParam {
  const colon = text.indexOf(':')
  if (colon <= 0) throw syntax(`a=crypto key-param "${text}" has no key method`)
  const method = text.slice(0, colon)
  const keyInfo = text.slice(colon + 1)
  if (method.toLowerCase() !== 'inline') {
    // §6.1: other key methods may be defined later; keep them so the answerer can skip the line.
    return { method, keySalt: Buffer.alloc(0), keyInfo }
  }
  const parts = keyInfo.split('|')
  const b64 = parts[0]
  if (!BASE64.test(b64)) throw syntax(`a=crypto inline key "${b64}" is not base64`)
  const param: SdesKeyParam = { method: 'inline', keySalt: Buffer.from(b64, 'base64'), keyInfo: b64 }
  // A lone base64 character decodes to no octet at all: no key (found by fuzzing, it re-serialized as "inline:").
  if (param.keySalt.length === 0) throw syntax(`a=crypto inline key "${b64}" holds no key octets`)
  const rest = parts.slice(1)
  if (rest.length > 2) throw syntax(`a=crypto inline key has more than lifetime and MKI: "${keyInfo}"`)
  for (const item of rest) {
    if (item.includes(':')) {
      if (param.mki) throw syntax(`a=crypto inline key has two MKIs: "${keyInfo}"`)
      param.mki = parseMki(item)
    } else {
      // §9.1 orders lifetime before mki.
      if (param.lifetime || param.mki) throw syntax(`a=crypto lifetime out of place: "${keyInfo}"`)
      param.lifetime = parseLifetime(item)
    }
  }
  return param
}

/** Parses the value after `a=crypto:`. Throws SipError 400 on a syntax error. */
export function parseCryptoAttribute (value: string): SdpCrypto {
  const fields = value.trim().split(/[ \t]+/)
  if (fields.length < 3) throw syntax(`a=crypto needs "<tag> <suite> <key-params>", got "${value}"`)
  const [tagText, suite, keyParamsText, ...sessionParams] = fields
  // §9.1 tag = 1*9DIGIT
  if (!/^[0-9]{1,9}$/.test(tagText)) throw syntax(`a=crypto tag "${tagText}" is not 1-9 digits`)
  if (!/^[A-Za-z0-9_]+$/.test(suite)) throw syntax(`a=crypto suite "${suite}" is not a token`)
  const keyParams = keyParamsText.split(';').map(parseKeyParam)
  return { tag: Number(tagText), suite, keyParams, sessionParams }
}

function formatKeyParam (k: SdesKeyParam): string {
  if (k.method.toLowerCase() !== 'inline') return `${k.method}:${k.keyInfo}`
  let s = `inline:${k.keySalt.toString('base64')}`
  if (k.lifetime) s += `|${k.lifetime.text}`
  if (k.mki) s += `|${k.mki.value}:${k.mki.length}`
  return s
}

/** Formats the value after `a=crypto:`. */
export function formatCryptoAttribute (c: SdpCrypto): string {
  const parts = [String(c.tag), c.suite, c.keyParams.map(formatKeyParam).join(';'), ...c.sessionParams]
  return parts.join(' ')
}
