// `npm run bench -- sip [seconds]`: SIP message throughput.
//   sip.parse_per_s       parse + serialize of a typical trunk INVITE with SDP (every message of every
//                         call goes through both), over ~2 s after a warm-up, per second of CPU time of
//                         this (single) thread — so the figure means "per core" even on a busy machine.
//   sip.parse_wall_per_s  the same run divided by wall-clock time.
//   sip.parse_read_per_s  parse + the accessors a transaction lookup uses (top Via, CSeq, Call-ID).
// Further SIP figures (e.g. sip.cps) are added as more functions called from run().

import { parseMessage } from '../../src/sip/parser/parser'
import { serializeMessage } from '../../src/sip/parser/serializer'
import { getCallId, getCSeq, getVias } from '../../src/sip/message/headers'
import { runCps } from './sip-cps'

const SDP = [
  'v=0',
  'o=- 3902834576 3902834576 IN IP4 198.51.100.10',
  's=-',
  'c=IN IP4 198.51.100.10',
  't=0 0',
  'm=audio 16384 RTP/AVP 9 0 8 101',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  ''
].join('\r\n')

/** What a carrier trunk typically sends: two Vias (its SBC and edge), PAI, Record-Route, SDP. */
export const TYPICAL_INVITE = Buffer.from([
  'INVITE sip:+15550100@trunkgate.example.com:5061;transport=tls SIP/2.0',
  'Via: SIP/2.0/TLS 198.51.100.20:5061;branch=z9hG4bK-524287-1---5b0c7a8d2c1e4f3a;rport',
  'Via: SIP/2.0/UDP 10.0.0.15:5060;received=10.0.0.15;branch=z9hG4bK-2a1c9e7f6d5b4a3c;rport=5060',
  'Record-Route: <sip:198.51.100.20:5061;transport=tls;lr;r2=on>',
  'Max-Forwards: 69',
  'From: "ACME Support" <sip:+15550199@carrier.example.net;user=phone>;tag=as6f3b2a1c',
  'To: <sip:+15550100@trunkgate.example.com;user=phone>',
  'Call-ID: 7b4a1f0e93c24d2a8e5f6b7c8d9e0f1a@198.51.100.20',
  'CSeq: 102 INVITE',
  'Contact: <sip:+15550199@198.51.100.20:5061;transport=tls>',
  'P-Asserted-Identity: "ACME Support" <sip:+15550199@carrier.example.net;user=phone>',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE, PRACK',
  'Supported: replaces, timer, 100rel',
  'Session-Expires: 1800;refresher=uac',
  'Min-SE: 90',
  'User-Agent: CarrierSBC 4.2',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
  '',
  SDP
].join('\r\n'))

interface Rate { perCpuSecond: number, perWallSecond: number }

/** Runs `batch` (1000 operations) until `seconds` of wall time have passed, after a warm-up. */
function measure (seconds: number, batch: () => number): Rate {
  let sink = 0
  // Warm-up so the figure measures optimised code, not the first tier.
  for (let i = 0; i < 20; i++) sink += batch()
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9))
  const wallStart = process.hrtime.bigint()
  const cpuStart = process.cpuUsage()
  let n = 0
  let now = wallStart
  while (now < deadline) {
    sink += batch()
    n += 1000
    now = process.hrtime.bigint()
  }
  const cpu = process.cpuUsage(cpuStart)
  if (sink === 0) throw new Error('unreachable: keeps the work observable')
  return { perCpuSecond: n / ((cpu.user + cpu.system) / 1e6), perWallSecond: n / (Number(now - wallStart) / 1e9) }
}

function parseAndSerialize (): number {
  let sink = 0
  for (let i = 0; i < 1000; i++) sink += serializeMessage(parseMessage(TYPICAL_INVITE)).length
  return sink
}

function parseAndRead (): number {
  let sink = 0
  for (let i = 0; i < 1000; i++) {
    const m = parseMessage(TYPICAL_INVITE)
    sink += getVias(m).length + getCSeq(m).seq + getCallId(m).length
  }
  return sink
}

export async function run (args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 2)
  const parse = measure(seconds, parseAndSerialize)
  console.log(`sip.parse_per_s ${Math.round(parse.perCpuSecond)}`)
  console.log(`sip.parse_wall_per_s ${Math.round(parse.perWallSecond)}`)
  console.log(`sip.parse_read_per_s ${Math.round(measure(seconds / 2, parseAndRead).perCpuSecond)}`)
  console.log(`sip.invite_bytes ${TYPICAL_INVITE.length}`)
  // sip.cps: SIPp call-rate search against the full server (test/bench/sip-cps.ts, options after the seconds).
  await runCps(args.slice(1))
}
