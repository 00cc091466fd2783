// A trunk written by hand on one TCP connection, for the cases SIPp cannot produce: several
// requests in ONE TCP write (ACK and the next in-dialog request arrive in the same read at the
// gateway). Requests are plain text; responses are framed and parsed with the project's own
// framer/parser. Every wait is bounded.
import dgram from 'node:dgram'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { StreamFramer } from '../../src/sip/transport/stream-framer'
import { parseMessage } from '../../src/sip/parser/parser'
import { getHeader, getHeaders } from '../../src/sip/message/headers'
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message/types'

const CRLF = '\r\n'

export class RawSipCaller {
  private readonly framer = new StreamFramer({ maxMessageBytes: 65536 })
  private readonly received: SipMessage[] = []
  private readonly waiters = new Set<() => void>()
  private readonly callId = `raw-${randomBytes(6).toString('hex')}@127.0.0.1`
  private readonly fromTag = randomBytes(4).toString('hex')
  private toTag = ''
  private remoteTarget = ''
  private cseq = 1

  private constructor (private readonly socket: net.Socket, private readonly rtp: dgram.Socket, private readonly gatewayPort: number) {
    socket.on('data', chunk => {
      for (const ev of this.framer.push(chunk)) {
        if (ev.kind !== 'message') continue
        const msg = parseMessage(ev.buffer)
        // The gateway's own requests (BYE, session refresh) get 200 so it is never left waiting.
        if (msg.kind === 'request' && msg.method !== 'ACK') this.socket.write(this.responseTo(msg, 200, 'OK'))
        this.received.push(msg)
      }
      for (const w of [...this.waiters]) w()
    })
    // RTP from the gateway lands here and is dropped.
    rtp.on('message', () => undefined)
  }

  static async connect (gatewayPort: number): Promise<RawSipCaller> {
    const rtp = dgram.createSocket('udp4')
    await new Promise<void>(resolve => rtp.bind(0, '127.0.0.1', resolve))
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(gatewayPort, '127.0.0.1', () => resolve(s))
      s.once('error', reject)
    })
    return new RawSipCaller(socket, rtp, gatewayPort)
  }

  get localPort (): number { return this.socket.localPort ?? 0 }

  /** An SDP body with our RTP port (PCMU, telephone-event) and the given direction attribute. */
  sdp (direction: 'sendrecv' | 'sendonly' | 'inactive', version = 1): string {
    const port = this.rtp.address().port
    return ['v=0', `o=raw 1 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15', `a=${direction}`, ''].join(CRLF)
  }

  /** INVITE to `number`; resolves with the 200 OK (after it the dialog's To tag and Contact are known). */
  async invite (number: string, timeoutMs = 10000): Promise<SipResponse> {
    const uri = `sip:${number}@127.0.0.1:${this.gatewayPort};transport=tcp`
    this.socket.write(this.request('INVITE', uri, `<${uri}>`, 1, { contentType: 'application/sdp', body: this.sdp('sendrecv') }))
    const ok = await this.response(r => r.status >= 200 && cseqMethod(r) === 'INVITE', timeoutMs)
    if (ok.status !== 200) throw new Error(`INVITE answered ${ok.status}`)
    this.toTag = /;\s*tag=([^;>\s]+)/i.exec(getHeader(ok, 'To') ?? '')?.[1] ?? ''
    this.remoteTarget = /<([^>]+)>/.exec(getHeaders(ok, 'Contact')[0] ?? '')?.[1] ?? uri
    return ok
  }

  /** The text of an in-dialog request; ACK takes the CSeq number of the INVITE it acknowledges. */
  inDialog (method: string, opts: { contentType?: string, body?: string, cseq?: number } = {}): string {
    const seq = opts.cseq ?? (method === 'ACK' ? this.cseq : ++this.cseq)
    const to = `<sip:gateway@127.0.0.1:${this.gatewayPort}>;tag=${this.toTag}`
    return this.request(method, this.remoteTarget, to, seq, opts)
  }

  /** Writes all the requests with ONE socket write. */
  sendTogether (...requests: string[]): void {
    this.socket.write(requests.join(''))
  }

  /** The first response (already received or still to come) that `match` accepts. */
  response (match: (r: SipResponse) => boolean, timeoutMs = 5000): Promise<SipResponse> {
    const find = (): SipResponse | undefined =>
      this.received.find((m): m is SipResponse => m.kind === 'response' && match(m))
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const r = find()
        if (r) { clearTimeout(timer); this.waiters.delete(check); resolve(r) }
      }
      const timer = setTimeout(() => { this.waiters.delete(check); reject(new Error(`no matching response within ${timeoutMs} ms`)) }, timeoutMs)
      this.waiters.add(check)
      check()
    })
  }

  /** The final response to the request with CSeq `seq` `method`. */
  final (seq: number, method: string, timeoutMs = 5000): Promise<SipResponse> {
    return this.response(r => r.status >= 200 && getHeader(r, 'CSeq') === `${seq} ${method}`, timeoutMs)
  }

  get lastCSeq (): number { return this.cseq }

  close (): void {
    this.socket.destroy()
    this.rtp.close()
  }

  private request (method: string, uri: string, to: string, seq: number, opts: { contentType?: string, body?: string }): string {
    const body = opts.body ?? ''
    // §17.1.1.3: the ACK for a 2xx is a transaction of its own, so every request gets a fresh branch.
    const branch = `z9hG4bK${randomBytes(6).toString('hex')}`
    const lines = [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/TCP 127.0.0.1:${this.localPort};branch=${branch}`,
      `From: "raw" <sip:+15557000@127.0.0.1:${this.localPort}>;tag=${this.fromTag}`,
      `To: ${to}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${seq} ${method}`,
      `Contact: <sip:raw@127.0.0.1:${this.localPort};transport=tcp>`,
      'Max-Forwards: 70'
    ]
    if (opts.contentType) lines.push(`Content-Type: ${opts.contentType}`)
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
    return lines.join(CRLF) + CRLF + CRLF + body
  }

  private responseTo (req: SipRequest, status: number, reason: string): string {
    const copy = ['Via', 'From', 'To', 'Call-ID', 'CSeq'].flatMap(name => getHeaders(req, name).map(v => `${name}: ${v}`))
    return [`SIP/2.0 ${status} ${reason}`, ...copy, 'Content-Length: 0', '', ''].join(CRLF)
  }
}

function cseqMethod (r: SipResponse): string {
  return (getHeader(r, 'CSeq') ?? '').trim().split(/\s+/)[1] ?? ''
}
