// The SIP message model shared by every layer (parser, transport, transaction, dialog, UA).
// Contract: layers talk in these types; only src/sip/parser turns bytes into them and back.

/** RFC 3261 §19.1 SIP/SIPS URI, or an RFC 3966 tel URI (host empty, user = number). */
export interface SipUri {
  scheme: string               // lower-case: 'sip' | 'sips' | 'tel' | anything else (kept for 416)
  user: string | null          // unescaped
  password: string | null
  host: string                 // lower-cased hostname or IP literal; IPv6 without brackets
  port: number | null
  params: Map<string, string | null>   // uri-parameters, names lower-cased, values unescaped
  headers: Map<string, string>         // ?hname=hvalue (unescaped)
  /** Schemes other than sip/sips/tel: everything after 'scheme:' verbatim (user/host stay empty). */
  opaque?: string
}

/** name-addr / addr-spec with header parameters (From, To, Contact, Route, Refer-To …). */
export interface NameAddr {
  displayName: string | null
  uri: SipUri
  params: Map<string, string | null>   // header params (tag, expires, q …), names lower-cased
  /** true when the value was written as '*' (Contact: *) */
  star?: boolean
}

export interface Via {
  protocol: string             // 'SIP/2.0'
  transport: string            // upper-case: TCP, TLS, UDP, WS …
  host: string
  port: number | null
  params: Map<string, string | null>
  branch: string | null
}

export interface CSeq { seq: number; method: string }

/** One header field line as received or set: canonical long name, raw value (folding removed). */
export interface HeaderField { name: string; value: string }

export type SipMessage = SipRequest | SipResponse

interface SipMessageBase {
  /** Header fields in wire order; names canonical (e.g. 'Call-ID', 'Via'), values raw. */
  headers: HeaderField[]
  body: Buffer
}

export interface SipRequest extends SipMessageBase {
  kind: 'request'
  method: string
  /** Request-URI exactly as received (serializer writes it back verbatim). */
  uri: string
  version: string
}

export interface SipResponse extends SipMessageBase {
  kind: 'response'
  status: number
  reason: string
  version: string
}
