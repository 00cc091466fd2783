// Methods trunkgate knows the meaning of: RFC 3261 §27.4 plus the extensions a trunk meets.
// The parser needs the list only for RFC 4475 §3.1.2.18 (mismatch02): when the Request-Line names a
// method nobody here implements, the honest answer to a CSeq mismatch is 501, not 400.

export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', // RFC 3261
  'PRACK', // RFC 3262
  'SUBSCRIBE', 'NOTIFY', // RFC 6665
  'PUBLISH', // RFC 3903
  'INFO', // RFC 6086
  'REFER', // RFC 3515
  'MESSAGE', // RFC 3428
  'UPDATE' // RFC 3311
])
