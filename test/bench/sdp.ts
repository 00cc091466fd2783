// `npm run bench -- sdp [iterations]`: SDP parse, serialize and answer (RFC 3264 with SRTP) rates.
import pino from 'pino'
import { parseSdp } from '../../src/sdp/sdp-parser'
import { serializeSdp } from '../../src/sdp/sdp-serializer'
import { answerOffer } from '../../src/sdp/negotiate'

const OFFER = [
  'v=0', 'o=- 1234567890 2 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
  'm=audio 40000 RTP/SAVP 9 0 8 101', 'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20', ''
].join('\r\n')

function rate (label: string, n: number, fn: () => void): void {
  for (let i = 0; i < Math.min(1000, n); i++) fn()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn()
  const ns = Number(process.hrtime.bigint() - t0)
  console.log(`${label}_per_sec ${Math.round(n / (ns / 1e9))}`)
  console.log(`${label}_us ${(ns / n / 1000).toFixed(2)}`)
}

export async function run (args: string[]): Promise<void> {
  const n = Number(args[0] ?? 20000)
  const log = pino({ level: 'silent' })
  const parsed = parseSdp(OFFER)
  rate('sdp_parse', n, () => { parseSdp(OFFER) })
  rate('sdp_serialize', n, () => { serializeSdp(parsed) })
  const policy = { mediaEncryption: 'allowed' as const, allowSdesOverTcp: false, signallingTransport: 'tls' as const }
  const local = { address: '198.51.100.7', port: 30000 }
  const origin = { username: 'trunkgate', sessionId: '1', sessionVersion: 1n }
  rate('sdp_answer_srtp', n, () => { answerOffer(parsed, policy, local, { origin, log }) })
}
