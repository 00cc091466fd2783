// rtpengine "ng" control protocol client: each UDP datagram is "<cookie> <bencoded dictionary>",
// and the reply carries the same cookie, so replies are matched to requests by cookie (they may
// arrive out of order). Loopback only; every request has a timeout and a bounded number of retries
// (rtpengine caches replies by cookie, so a retransmission is answered without being re-executed).
import dgram from 'node:dgram'
import { bdecode, bencode, BValue } from './bencode'

export type NgDict = { [key: string]: BValue }

export class NgClient {
  private readonly socket = dgram.createSocket('udp4')
  private readonly pending = new Map<string, { resolve: (d: NgDict) => void, reject: (e: Error) => void }>()
  private nextCookie = 1

  constructor (private readonly port: number, private readonly host = '127.0.0.1') {
    this.socket.on('message', msg => this.onMessage(msg))
    this.socket.on('error', () => { /* ICMP unreachable while the daemon starts: retried by request() */ })
  }

  private onMessage (msg: Buffer): void {
    const space = msg.indexOf(0x20)
    if (space <= 0) return
    const cookie = msg.toString('latin1', 0, space)
    const waiter = this.pending.get(cookie)
    if (!waiter) return
    this.pending.delete(cookie)
    try {
      const body = bdecode(msg.subarray(space + 1))
      if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) throw new Error('ng reply is not a dictionary')
      waiter.resolve(body)
    } catch (err) {
      waiter.reject(err as Error)
    }
  }

  async request (command: NgDict, { timeoutMs = 1000, tries = 5 } = {}): Promise<NgDict> {
    const cookie = `${process.pid}_${this.nextCookie++}`
    const datagram = Buffer.concat([Buffer.from(`${cookie} `), bencode(command)])
    return await new Promise<NgDict>((resolve, reject) => {
      let attempt = 0
      let timer: NodeJS.Timeout | null = null
      const finish = (): void => { if (timer) clearTimeout(timer); this.pending.delete(cookie) }
      const send = (): void => {
        if (attempt++ >= tries) { finish(); reject(new Error(`ng ${String(command.command)}: no reply after ${tries} tries`)); return }
        this.socket.send(datagram, this.port, this.host)
        timer = setTimeout(send, timeoutMs)
      }
      this.pending.set(cookie, {
        resolve: d => { finish(); resolve(d) },
        reject: e => { finish(); reject(e) }
      })
      send()
    })
  }

  // A reply with result "error" becomes an exception carrying rtpengine's error-reason.
  async command (command: NgDict, opts?: { timeoutMs?: number, tries?: number }): Promise<NgDict> {
    const reply = await this.request(command, opts)
    if (reply.result !== 'ok' && reply.result !== 'pong') {
      throw new Error(`ng ${String(command.command)}: ${String(reply.result)} ${String(reply['error-reason'] ?? '')}`.trim())
    }
    return reply
  }

  close (): void {
    for (const w of this.pending.values()) w.reject(new Error('ng client closed'))
    this.pending.clear()
    this.socket.close()
  }
}
