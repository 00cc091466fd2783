import type { SipMessage, SipRequest, HeaderField } from '../../../src/sip/message/types'
import type { MessageSource, SendTarget, SipSender, StreamTransport } from '../../../src/sip/transaction/sip-sender'

/** Records what the layers send; fail() makes the next sends reject like a dead TCP connection. */
export class FakeSender implements SipSender {
  readonly sent: Array<{ msg: SipMessage, target: SendTarget }> = []
  failing = false
  onSend: ((msg: SipMessage, target: SendTarget) => void) | null = null

  async send (msg: SipMessage, target: SendTarget): Promise<void> {
    if (this.failing) throw new Error('connection refused')
    this.sent.push({ msg, target })
    this.onSend?.(msg, target)
  }

  localAddressFor (_t: StreamTransport): { host: string, port: number } { return { host: '127.0.0.1', port: 5060 } }

  responses (status?: number): Array<SipMessage & { kind: 'response' }> {
    return this.sent.map((s) => s.msg).filter((m): m is SipMessage & { kind: 'response' } =>
      m.kind === 'response' && (status === undefined || m.status === status))
  }

  requests (method?: string): SipRequest[] {
    return this.sent.map((s) => s.msg).filter((m): m is SipRequest =>
      m.kind === 'request' && (method === undefined || m.method === method))
  }

  clear (): void { this.sent.length = 0 }
}

export const SOURCE: MessageSource = {
  transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 40000, localAddress: '127.0.0.1', localPort: 5060, connectionId: 'c1'
}

/** Settle queued promise callbacks (the sends are async). */
export async function flush (): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export interface RequestSpec {
  method: string
  uri?: string
  branch?: string
  viaHost?: string
  callId?: string
  fromTag?: string
  toTag?: string
  cseq?: number
  cseqMethod?: string
  extra?: HeaderField[]
  body?: string
}

/** A request as the parser would hand it over. */
export function makeRequest (s: RequestSpec): SipRequest {
  const headers: HeaderField[] = [
    { name: 'Via', value: `SIP/2.0/TCP ${s.viaHost ?? '10.0.0.1:5060'}${s.branch === '' ? '' : `;branch=${s.branch ?? 'z9hG4bKabc1'}`}` },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: `<sip:alice@example.com>;tag=${s.fromTag ?? 'ft1'}` },
    { name: 'To', value: `<sip:bob@example.com>${s.toTag ? `;tag=${s.toTag}` : ''}` },
    { name: 'Call-ID', value: s.callId ?? 'call-1@example.com' },
    { name: 'CSeq', value: `${s.cseq ?? 1} ${s.cseqMethod ?? s.method}` },
    { name: 'Contact', value: '<sip:alice@10.0.0.1:5060;transport=tcp>' },
    ...(s.extra ?? [])
  ]
  const body = Buffer.from(s.body ?? '')
  if (body.length > 0) headers.push({ name: 'Content-Type', value: 'application/sdp' })
  return { kind: 'request', method: s.method, uri: s.uri ?? 'sip:bob@example.com', version: 'SIP/2.0', headers, body }
}

import pino from 'pino'
/** Tests pass this logger so expected warnings (transport errors …) do not clutter the TAP output. */
export const silentLogger = pino({ level: 'silent' })
