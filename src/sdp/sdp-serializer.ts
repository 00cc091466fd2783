// RFC 8866 serializer. Field order follows §5 (v o s i u e p c b t r z k a, then m sections with
// i c b k a); known attributes are written before the kept unknown ones.
import { formatCryptoAttribute } from './crypto-attribute'
import type { SdpConnection, SdpMedia, SessionDescription } from './types'

function connectionLine (c: SdpConnection): string {
  let addr = c.address
  if (c.ttl !== undefined) addr += `/${c.ttl}`
  if (c.numAddresses !== undefined) addr += `/${c.numAddresses}`
  return `c=${c.netType} ${c.addrType} ${addr}`
}

const SESSION_ORDER = ['i', 'u', 'e', 'p']

function mediaLines (m: SdpMedia, out: string[]): void {
  const port = m.numPorts !== undefined ? `${m.port}/${m.numPorts}` : String(m.port)
  out.push(`m=${m.media} ${port} ${m.proto} ${m.formats.join(' ')}`)
  for (const l of m.otherLines) if (l.type === 'i') out.push(`i=${l.value}`)
  if (m.connection) out.push(connectionLine(m.connection))
  for (const b of m.bandwidths) out.push(`b=${b}`)
  for (const l of m.otherLines) if (l.type !== 'i') out.push(`${l.type}=${l.value}`)
  for (const r of m.rtpmaps) {
    out.push(`a=rtpmap:${r.payloadType} ${r.encodingName}/${r.clockRate}${r.channels !== undefined ? `/${r.channels}` : ''}`)
  }
  for (const f of m.fmtps) out.push(`a=fmtp:${f.format} ${f.parameters}`)
  if (m.ptime !== undefined) out.push(`a=ptime:${m.ptime}`)
  if (m.maxptime !== undefined) out.push(`a=maxptime:${m.maxptime}`)
  if (m.rtcp) {
    const r = m.rtcp
    out.push(r.address !== undefined ? `a=rtcp:${r.port} ${r.netType ?? 'IN'} ${r.addrType ?? 'IP4'} ${r.address}` : `a=rtcp:${r.port}`)
  }
  if (m.rtcpMux) out.push('a=rtcp-mux')
  for (const c of m.crypto) out.push(`a=crypto:${formatCryptoAttribute(c)}`)
  if (m.direction) out.push(`a=${m.direction}`)
  for (const a of m.attributes) out.push(a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`)
}

/** Serializes a description to SDP text with CRLF line ends (RFC 8866 §5), ending in CRLF. */
export function serializeSdp (sd: SessionDescription): string {
  const o = sd.origin
  const out: string[] = [
    'v=0',
    `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`,
    `s=${sd.sessionName}`
  ]
  for (const type of SESSION_ORDER) for (const l of sd.otherLines) if (l.type === type) out.push(`${type}=${l.value}`)
  if (sd.connection) out.push(connectionLine(sd.connection))
  for (const b of sd.bandwidths) out.push(`b=${b}`)
  // r= and z= belong after t= (RFC 8866 §5.10/§5.11); everything else unknown goes after them.
  for (const t of sd.timing) out.push(`t=${t.start} ${t.stop}`)
  for (const l of sd.otherLines) if (!SESSION_ORDER.includes(l.type)) out.push(`${l.type}=${l.value}`)
  if (sd.direction) out.push(`a=${sd.direction}`)
  for (const a of sd.attributes) out.push(a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`)
  for (const m of sd.media) mediaLines(m, out)
  return out.join('\r\n') + '\r\n'
}
