import net from 'node:net'

/** One ACL entry: an IPv4 or IPv6 network. A bare address is a /32 or /128. */
export interface Cidr {
  family: 4 | 6
  /** Network address bytes (4 or 16), host bits cleared. */
  network: Buffer
  prefix: number
  /** As written in the configuration, for logs. */
  text: string
}

/** Returns null (not an exception) so the config validator can word its own error. */
export function parseCidr (text: string): Cidr | null {
  const slash = text.indexOf('/')
  const addr = slash === -1 ? text : text.slice(0, slash)
  const family = net.isIP(addr)
  if (family === 0) return null
  const max = family === 4 ? 32 : 128
  let prefix = max
  if (slash !== -1) {
    const p = text.slice(slash + 1)
    if (!/^\d{1,3}$/.test(p)) return null
    prefix = Number(p)
    if (prefix > max) return null
  }
  const bytes = addressBytes(addr, family as 4 | 6)
  if (!bytes) return null
  return { family: family as 4 | 6, network: maskBytes(bytes, prefix), prefix, text }
}

/**
 * Address as bytes. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket reports
 * for an IPv4 peer) is returned as IPv4 so that IPv4 ACL entries match it.
 */
export function normalizeAddress (address: string): { family: 4 | 6; bytes: Buffer } | null {
  const family = net.isIP(address)
  if (family === 0) return null
  const bytes = addressBytes(address, family as 4 | 6)
  if (!bytes) return null
  if (family === 6 && bytes.subarray(0, 10).every(b => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return { family: 4, bytes: Buffer.from(bytes.subarray(12)) }
  }
  return { family: family as 4 | 6, bytes }
}

export function cidrContains (cidr: Cidr, address: { family: 4 | 6; bytes: Buffer }): boolean {
  if (cidr.family !== address.family) return false
  return maskBytes(address.bytes, cidr.prefix).equals(cidr.network)
}

function maskBytes (bytes: Buffer, prefix: number): Buffer {
  const out = Buffer.from(bytes)
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8))
    out[i] &= bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff
  }
  return out
}

function addressBytes (addr: string, family: 4 | 6): Buffer | null {
  if (family === 4) return Buffer.from(addr.split('.').map(Number))
  // Expand '::' and an embedded dotted IPv4 tail into 8 groups of 16 bits.
  let text = addr.replace(/%.*$/, '')
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const b = v4[1].split('.').map(Number)
    text = text.slice(0, -v4[1].length) + ((b[0] << 8) | b[1]).toString(16) + ':' + ((b[2] << 8) | b[3]).toString(16)
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null]
  const headGroups = head ? head.split(':') : []
  const tailGroups = tail ? tail.split(':') : []
  const fill = tail === null ? 0 : 8 - headGroups.length - tailGroups.length
  if (fill < 0) return null
  const groups = [...headGroups, ...new Array<string>(fill).fill('0'), ...tailGroups]
  if (groups.length !== 8) return null
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}
