// Independent check of a digest response found in SIPp's message log (RFC 3261 §22.4 / RFC 7616 §3.4.1):
// response = H(H(user:realm:pass):nonce:nc:cnonce:qop:H(method:uri)).
import crypto from 'node:crypto'

export function findHeader (messages: string, name: string, method = 'INVITE'): string[] {
  const out: string[] = []
  for (const block of messages.split(/\n(?=\S)/)) void block
  const re = new RegExp(`^${name}:\\s*(.+)$`, 'gim')
  let m: RegExpExecArray | null
  while ((m = re.exec(messages)) !== null) out.push(m[1].trim())
  void method
  return out
}

function params (value: string): Map<string, string> {
  const p = new Map<string, string>()
  for (const m of value.replace(/^Digest\s+/i, '').matchAll(/([a-zA-Z-]+)=("([^"]*)"|[^,\s]+)/g)) p.set(m[1].toLowerCase(), m[3] ?? m[2])
  return p
}

export function checkDigest (header: string, method: string, password: string): { ok: boolean, params: Map<string, string> } {
  const p = params(header)
  const alg = (p.get('algorithm') ?? 'MD5').toUpperCase()
  const h = (s: string): string => crypto.createHash(alg === 'SHA-256' ? 'sha256' : 'md5').update(s).digest('hex')
  const ha1 = h(`${p.get('username')}:${p.get('realm')}:${password}`)
  const ha2 = h(`${method}:${p.get('uri')}`)
  const expected = p.has('qop')
    ? h(`${ha1}:${p.get('nonce')}:${p.get('nc')}:${p.get('cnonce')}:${p.get('qop')}:${ha2}`)
    : h(`${ha1}:${p.get('nonce')}:${ha2}`)
  return { ok: expected === p.get('response'), params: p }
}
