// Where the header section ends. Exported for stream transports, which must find message boundaries
// before a message can be parsed (RFC 3261 §18.3).

const CRLFCRLF = Buffer.from('\r\n\r\n')
const LFLF = Buffer.from('\n\n')

/**
 * Offset of the first body octet (just after the empty line), or -1 when the header section is not
 * complete yet. RFC 3261 §7 requires CRLF; a bare LF line ending is tolerated as most stacks do, so
 * "\n\n" ends the section too when it comes first.
 */
export function findHeaderEnd (buf: Buffer, from: number = 0): number {
  const crlf = buf.indexOf(CRLFCRLF, from)
  const lfSearchEnd = crlf < 0 ? buf.length : crlf
  const lf = buf.subarray(0, lfSearchEnd).indexOf(LFLF, from)
  if (lf >= 0) return lf + 2
  return crlf < 0 ? -1 : crlf + 4
}

/** Offset of the first octet that is not a CR or LF: RFC 3261 §7.5 says CRLFs before a start line are ignored. */
export function skipLeadingCrlf (buf: Buffer, from: number = 0): number {
  let pos = from
  while (pos < buf.length && (buf[pos] === 0x0d || buf[pos] === 0x0a)) pos++
  return pos
}
