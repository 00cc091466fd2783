import type { SipMessage } from '../../../src/sip/message/types'
import type { MessageSource, SendTarget, SipSender, StreamTransport } from '../../../src/sip/transaction/sip-sender'
import { parseMessage } from '../../../src/sip/parser/parser'
import { serializeMessage } from '../../../src/sip/parser/serializer'
import { SipAgent, type SipAgentOptions } from '../../../src/sip/ua/sip-agent'
import type { SessionTimerConfig } from '../../../src/sip/dialog/session-timer-headers'
import { FakeClock } from '../transaction/fake-clock'
import { silentLogger } from '../transaction/fake-sender'

/**
 * Two SipAgents joined by an in-memory "TCP connection": every message is serialized and re-parsed (so header
 * formatting is exercised) and delivered asynchronously. Filters let a test drop or inspect traffic.
 */
export class WireEnd implements SipSender {
  peer: SipAgent | null = null
  readonly log: SipMessage[] = []
  drop: ((msg: SipMessage) => boolean) | null = null

  constructor (readonly name: string, readonly port: number, private readonly peerPort: number) {}

  async send (msg: SipMessage, _target: SendTarget): Promise<void> {
    const copy = parseMessage(serializeMessage(msg))
    this.log.push(copy)
    if (this.drop?.(copy)) return
    const source: MessageSource = {
      transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: this.port, localAddress: '127.0.0.1', localPort: this.peerPort, connectionId: `to-${this.name}`
    }
    const peer = this.peer
    setImmediate(() => peer?.receive(copy, source))
  }

  localAddressFor (_t: StreamTransport): { host: string, port: number } { return { host: '127.0.0.1', port: this.port } }

  requests (method: string): SipMessage[] {
    return this.log.filter((m) => m.kind === 'request' && m.method === method)
  }

  responses (status: number, cseqMethod?: string): SipMessage[] {
    return this.log.filter((m) => m.kind === 'response' && m.status === status &&
      (cseqMethod === undefined || (m.headers.find((h) => h.name === 'CSeq')?.value ?? '').endsWith(` ${cseqMethod}`)))
  }
}

export interface Pair {
  clock: FakeClock
  alice: SipAgent
  bob: SipAgent
  aliceWire: WireEnd
  bobWire: WireEnd
}

export function agentPair (opts: { sessionTimer?: SessionTimerConfig | false, bobSessionTimer?: SessionTimerConfig | false, random?: () => number } = {}): Pair {
  const clock = new FakeClock()
  const aliceWire = new WireEnd('alice', 5061, 5062)
  const bobWire = new WireEnd('bob', 5062, 5061)
  const base: Omit<SipAgentOptions, 'transport'> = { clock, logger: silentLogger, random: opts.random ?? (() => 0.5) }
  const alice = new SipAgent({ ...base, transport: aliceWire, sessionTimer: opts.sessionTimer, contactUser: 'alice' })
  const bob = new SipAgent({ ...base, transport: bobWire, sessionTimer: opts.bobSessionTimer ?? opts.sessionTimer, contactUser: 'bob' })
  aliceWire.peer = bob
  bobWire.peer = alice
  return { clock, alice, bob, aliceWire, bobWire }
}

/** Let queued deliveries run (each hop is one setImmediate). */
export async function settle (rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export const SDP_A = [
  'v=0', 'o=alice 100 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 4000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''
].join('\r\n')

export const SDP_B = [
  'v=0', 'o=bob 200 7 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 5000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''
].join('\r\n')
