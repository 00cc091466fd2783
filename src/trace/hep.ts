// HEPv3 (Homer Encapsulation Protocol, sipcapture.org/HEP): a "HEP3" header, the total length, then
// chunks of vendor id (0 = generic), type, length (header included) and value, all big-endian.
// Generic chunk types used here: 1 IP family, 2 IP protocol, 3/4 IPv4 src/dst, 5/6 IPv6 src/dst,
// 7/8 ports, 9/10 timestamp s/µs, 11 payload protocol type, 12 capture agent id, 14 auth key,
// 15 payload, 17 correlation id (the SIP Call-ID, how Homer ties RTCP reports to the call).
import net from 'node:net'

export const HEP_PROTO = { SIP: 1, RTCP_JSON: 5 } as const
const IP_PROTO = { tcp: 6, udp: 17 } as const

export interface HepPacket {
  /** 'tcp' for SIP over TCP and TLS (the payload is the decrypted SIP), 'udp' for reports. */
  transport: 'tcp' | 'udp'
  srcAddress: string
  srcPort: number
  dstAddress: string
  dstPort: number
  timeMs: number
  protocolType: number
  captureId: number
  password?: string
  correlationId?: string
  payload: Buffer
}

function chunk (type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(6)
  head.writeUInt16BE(0, 0)
  head.writeUInt16BE(type, 2)
  head.writeUInt16BE(value.length + 6, 4)
  return Buffer.concat([head, value])
}
const u8 = (type: number, v: number): Buffer => chunk(type, Buffer.from([v]))
function u16 (type: number, v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(v); return chunk(type, b) }
function u32 (type: number, v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return chunk(type, b) }

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as IPv4, as it was on the wire. */
function plainAddress (a: string): string {
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a
}

function ipv4 (a: string): Buffer { return Buffer.from(a.split('.').map(Number)) }

function ipv6 (a: string): Buffer {
  const [head, tail = ''] = a.includes('::') ? a.split('::') : [a, undefined as unknown as string]
  const h = head ? head.split(':') : []
  const t = a.includes('::') && tail ? tail.split(':') : []
  const groups = a.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h
  const b = Buffer.alloc(16)
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2))
  return b
}

export function encodeHep3 (p: HepPacket): Buffer {
  const src = plainAddress(p.srcAddress)
  const dst = plainAddress(p.dstAddress)
  // Both ends in one family: a v4 peer seen on a v6 socket was mapped above.
  const v4 = net.isIPv4(src) && net.isIPv4(dst)
  const chunks = [
    u8(1, v4 ? 2 : 10),
    u8(2, IP_PROTO[p.transport]),
    v4 ? chunk(3, ipv4(src)) : chunk(5, ipv6(net.isIPv6(src) ? src : `::ffff:${src}`)),
    v4 ? chunk(4, ipv4(dst)) : chunk(6, ipv6(net.isIPv6(dst) ? dst : `::ffff:${dst}`)),
    u16(7, p.srcPort),
    u16(8, p.dstPort),
    u32(9, Math.floor(p.timeMs / 1000)),
    u32(10, Math.round((p.timeMs % 1000) * 1000)),
    u8(11, p.protocolType),
    u32(12, p.captureId),
    ...(p.password !== undefined ? [chunk(14, Buffer.from(p.password))] : []),
    ...(p.correlationId !== undefined ? [chunk(17, Buffer.from(p.correlationId))] : []),
    chunk(15, p.payload)
  ]
  const body = Buffer.concat(chunks)
  const head = Buffer.alloc(6)
  head.write('HEP3', 0, 'ascii')
  head.writeUInt16BE(body.length + 6, 4)
  return Buffer.concat([head, body])
}

/** Decodes a HEPv3 packet into its generic chunks (type → value); null when it is not HEPv3. */
export function decodeHep3 (buf: Buffer): Map<number, Buffer> | null {
  if (buf.length < 6 || buf.toString('ascii', 0, 4) !== 'HEP3' || buf.readUInt16BE(4) !== buf.length) return null
  const out = new Map<number, Buffer>()
  for (let off = 6; off + 6 <= buf.length;) {
    const type = buf.readUInt16BE(off + 2)
    const len = buf.readUInt16BE(off + 4)
    if (len < 6 || off + len > buf.length) return null
    out.set(type, buf.subarray(off + 6, off + len))
    off += len
  }
  return out
}
