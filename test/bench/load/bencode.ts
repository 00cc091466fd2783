// Bencode (BitTorrent BEP 3 encoding), the body format of rtpengine's "ng" control protocol:
// integers i<n>e, byte strings <len>:<bytes>, lists l...e, dictionaries d...e with keys sorted as
// raw byte strings. Strings decode to Buffer-backed UTF-8 strings; rtpengine only sends text.
export type BValue = number | string | Buffer | BValue[] | { [key: string]: BValue }

export class BencodeError extends Error {
  constructor (message: string, readonly offset: number) { super(`bencode: ${message} at offset ${offset}`) }
}

export function bencode (value: BValue): Buffer {
  const parts: Buffer[] = []
  encodeInto(value, parts)
  return Buffer.concat(parts)
}

function encodeInto (value: BValue, parts: Buffer[]): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`bencode integers must be safe integers, got ${value}`)
    parts.push(Buffer.from(`i${value}e`))
  } else if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
    parts.push(Buffer.from(`${bytes.length}:`), bytes)
  } else if (Array.isArray(value)) {
    parts.push(Buffer.from('l'))
    for (const item of value) encodeInto(item, parts)
    parts.push(Buffer.from('e'))
  } else if (typeof value === 'object' && value !== null) {
    parts.push(Buffer.from('d'))
    // BEP 3: keys are sorted as raw strings (byte order), not by locale.
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    for (const key of keys) {
      const item = value[key]
      if (item === undefined) continue
      encodeInto(key, parts)
      encodeInto(item, parts)
    }
    parts.push(Buffer.from('e'))
  } else {
    throw new TypeError(`cannot bencode ${typeof value}`)
  }
}

// Decodes exactly one value that must span the whole buffer.
export function bdecode (buf: Buffer): BValue {
  const [value, end] = decodeAt(buf, 0, 0)
  if (end !== buf.length) throw new BencodeError('trailing bytes', end)
  return value
}

const MAX_DEPTH = 64

function decodeAt (buf: Buffer, pos: number, depth: number): [BValue, number] {
  if (depth > MAX_DEPTH) throw new BencodeError('nesting too deep', pos)
  if (pos >= buf.length) throw new BencodeError('unexpected end', pos)
  const c = buf[pos]
  if (c === 0x69) {  // 'i'
    const end = buf.indexOf(0x65, pos + 1)
    if (end < 0) throw new BencodeError('unterminated integer', pos)
    const text = buf.toString('latin1', pos + 1, end)
    if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw new BencodeError(`bad integer '${text}'`, pos)
    const n = Number(text)
    if (!Number.isSafeInteger(n)) throw new BencodeError('integer out of range', pos)
    return [n, end + 1]
  }
  if (c >= 0x30 && c <= 0x39) {
    const colon = buf.indexOf(0x3a, pos)
    if (colon < 0) throw new BencodeError('string without length separator', pos)
    const lenText = buf.toString('latin1', pos, colon)
    if (!/^(0|[1-9][0-9]*)$/.test(lenText)) throw new BencodeError(`bad string length '${lenText}'`, pos)
    const len = Number(lenText)
    if (colon + 1 + len > buf.length) throw new BencodeError('string past the end', pos)
    return [buf.toString('utf8', colon + 1, colon + 1 + len), colon + 1 + len]
  }
  if (c === 0x6c) {  // 'l'
    const list: BValue[] = []
    let p = pos + 1
    while (p < buf.length && buf[p] !== 0x65) {
      const [item, next] = decodeAt(buf, p, depth + 1)
      list.push(item)
      p = next
    }
    if (p >= buf.length) throw new BencodeError('unterminated list', pos)
    return [list, p + 1]
  }
  if (c === 0x64) {  // 'd'
    const dict: { [key: string]: BValue } = Object.create(null)
    let p = pos + 1
    while (p < buf.length && buf[p] !== 0x65) {
      const [key, afterKey] = decodeAt(buf, p, depth + 1)
      if (typeof key !== 'string') throw new BencodeError('dictionary key is not a string', p)
      const [item, next] = decodeAt(buf, afterKey, depth + 1)
      dict[key] = item
      p = next
    }
    if (p >= buf.length) throw new BencodeError('unterminated dictionary', pos)
    return [dict, p + 1]
  }
  throw new BencodeError(`unexpected byte 0x${c.toString(16)}`, pos)
}
