// Fuzz: mutated offers must give a SipError (400/488) or a description, never another exception,
// and whatever parses must survive serialize → parse and negotiation without crashing.
import t from 'tap'
import pino from 'pino'
import { parseSdp } from '../../src/sdp/sdp-parser'
import { serializeSdp } from '../../src/sdp/sdp-serializer'
import { answerOffer } from '../../src/sdp/negotiate'
import { SipError } from '../../src/sip/sip-error'

const SEED = [
  'v=0', 'o=- 1 2 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
  'm=audio 40000 RTP/SAVP 9 0 8 101', 'a=rtpmap:9 G722/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
  'a=ptime:20', 'a=rtcp:40001 IN IP4 192.0.2.11', 'a=rtcp-mux', 'a=sendonly',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4', ''
].join('\r\n')

// Deterministic PRNG (mulberry32) so a failure reproduces.
function prng (seed: number): () => number {
  return () => {
    seed |= 0; seed = seed + 0x6D2B79F5 | 0
    let r = Math.imul(seed ^ seed >>> 15, 1 | seed)
    r = r + Math.imul(r ^ r >>> 7, 61 | r) ^ r
    return ((r ^ r >>> 14) >>> 0) / 4294967296
  }
}

const ALPHABET = ' =:/|;^\r\n0123456789aAzZ-_.@+'

t.test('10,000 mutated offers: SipError or a usable description, nothing else', async t => {
  const rnd = prng(0x5d9)
  const log = pino({ level: 'silent' })
  const policy = { mediaEncryption: 'allowed' as const, allowSdesOverTcp: true, signallingTransport: 'tcp' as const }
  let parsed = 0
  let rejected = 0
  for (let i = 0; i < 10000; i++) {
    const chars = SEED.split('')
    const edits = 1 + Math.floor(rnd() * 4)
    for (let e = 0; e < edits; e++) {
      const pos = Math.floor(rnd() * chars.length)
      const op = rnd()
      if (op < 0.4) chars[pos] = ALPHABET[Math.floor(rnd() * ALPHABET.length)]
      else if (op < 0.7) chars.splice(pos, 1)
      else chars.splice(pos, 0, ALPHABET[Math.floor(rnd() * ALPHABET.length)])
    }
    const text = chars.join('')
    try {
      const sd = parseSdp(text)
      parsed++
      const again = parseSdp(serializeSdp(sd))
      if (serializeSdp(again) !== serializeSdp(sd)) t.fail(`round trip unstable for ${JSON.stringify(text)}`)
      try {
        answerOffer(sd, policy, { address: '198.51.100.7', port: 30000 }, { origin: { username: 'x', sessionId: '1', sessionVersion: 1n }, log })
      } catch (err) {
        if (!(err instanceof SipError) || err.status !== 488) t.fail(`negotiation threw ${String(err)} for ${JSON.stringify(text)}`)
      }
    } catch (err) {
      if (!(err instanceof SipError) || (err.status !== 400 && err.status !== 488)) t.fail(`parser threw ${String(err)} for ${JSON.stringify(text)}`)
      rejected++
    }
  }
  t.ok(parsed > 1000, `${parsed} mutants parsed`)
  t.ok(rejected > 1000, `${rejected} mutants rejected with 400/488`)
})
