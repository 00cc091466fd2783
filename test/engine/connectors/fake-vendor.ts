// A local stand-in for a vendor's WebSocket server (loopback only, port 0). Every message the connector sends
// is checked against the vendor's contract (`clientCheck`), and every message the scripted agent sends against
// the server side of it (`serverCheck`), so the script itself cannot drift from the contract. Violations are
// collected and asserted empty by `assertClean` at the end of each test.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Test } from 'tap'
import type { Check } from './contracts'
import type { EngineError, EngineSession, SessionStart, ToolCall } from '../../../src/engine/engine-session'
import { PCM16K } from '../../../src/engine/engine-session'

export type Msg = Record<string, any>

export class Peer {
  readonly ws: WebSocket
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  private readonly inbox: Msg[] = []
  private waiters: Array<() => void> = []
  private readonly vendor: FakeVendor

  constructor (ws: WebSocket, req: http.IncomingMessage, vendor: FakeVendor) {
    this.ws = ws
    this.url = req.url ?? ''
    this.headers = req.headers
    this.vendor = vendor
    ws.on('message', (data, isBinary) => {
      if (isBinary) { vendor.violations.push('connector sent a binary frame'); return }
      let m: Msg
      try { m = JSON.parse(data.toString()) } catch { vendor.violations.push(`connector sent non-JSON: ${data.toString().slice(0, 80)}`); return }
      const problem = vendor.clientCheck(m)
      if (problem) vendor.violations.push(`connector sent a message outside the contract: ${problem}`)
      vendor.allReceived.push(m)
      this.inbox.push(m)
      const w = this.waiters
      this.waiters = []
      for (const f of w) f()
    })
  }

  /** The next message (consumed) matching `pred`, earlier non-matching ones stay queued. */
  async next (pred: (m: Msg) => boolean, what = 'a message'): Promise<Msg> {
    for (;;) {
      const i = this.inbox.findIndex(pred)
      if (i >= 0) return this.inbox.splice(i, 1)[0]
      if (this.ws.readyState > 1) throw new Error(`socket closed while waiting for ${what}`)
      await new Promise<void>(resolve => this.waiters.push(resolve))
    }
  }

  /** Messages matching `pred` received so far (consumed). */
  take (pred: (m: Msg) => boolean): Msg[] {
    const out: Msg[] = []
    for (let i = 0; i < this.inbox.length;) {
      if (pred(this.inbox[i])) out.push(...this.inbox.splice(i, 1))
      else i++
    }
    return out
  }

  send (m: Msg): void {
    const problem = this.vendor.serverCheck(m)
    if (problem) this.vendor.violations.push(`the scripted agent sent a message outside the contract: ${problem}`)
    this.ws.send(JSON.stringify(m))
  }

  /** Sends bytes as they are (malformed-input tests). */
  sendRaw (text: string): void {
    this.ws.send(text)
  }

  async closed (): Promise<number> {
    if (this.ws.readyState === 3) return -1
    const [code] = await once(this.ws, 'close') as [number]
    return code
  }
}

export interface FakeVendorOptions {
  clientCheck: Check
  serverCheck: Check
  /** Refuse the upgrade with this HTTP status when it returns one. */
  refuseUpgrade?: (req: http.IncomingMessage) => number | null
  /** Plain HTTP requests (ElevenLabs signed URLs). */
  http?: (req: http.IncomingMessage, res: http.ServerResponse, vendor: FakeVendor) => void
}

export class FakeVendor {
  readonly violations: string[] = []
  readonly allReceived: Msg[] = []
  readonly clientCheck: Check
  readonly serverCheck: Check
  private readonly server: http.Server
  private readonly wss: WebSocketServer
  private readonly peers: Peer[] = []
  private peerWaiters: Array<() => void> = []
  port = 0

  private constructor (opts: FakeVendorOptions) {
    this.clientCheck = opts.clientCheck
    this.serverCheck = opts.serverCheck
    this.server = http.createServer((req, res) => {
      if (opts.http) opts.http(req, res, this)
      else { res.statusCode = 404; res.end() }
    })
    this.wss = new WebSocketServer({ noServer: true })
    this.server.on('upgrade', (req, socket, head) => {
      const status = opts.refuseUpgrade?.(req) ?? null
      if (status !== null) {
        socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
        return
      }
      this.wss.handleUpgrade(req, socket, head, ws => {
        this.peers.push(new Peer(ws, req, this))
        const w = this.peerWaiters
        this.peerWaiters = []
        for (const f of w) f()
      })
    })
  }

  static async start (opts: FakeVendorOptions): Promise<FakeVendor> {
    const v = new FakeVendor(opts)
    v.server.listen(0, '127.0.0.1')
    await once(v.server, 'listening')
    v.port = (v.server.address() as AddressInfo).port
    return v
  }

  get wsBase (): string { return `ws://127.0.0.1:${this.port}` }
  get httpBase (): string { return `http://127.0.0.1:${this.port}` }

  /** The n-th connection (0-based), waiting for it. */
  async peer (n = 0): Promise<Peer> {
    while (this.peers.length <= n) await new Promise<void>(resolve => this.peerWaiters.push(resolve))
    return this.peers[n]
  }

  async close (): Promise<void> {
    for (const c of this.wss.clients) c.terminate()
    this.wss.close()
    this.server.closeAllConnections()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }

  assertClean (t: Test): void {
    t.same(this.violations, [], 'every message on the wire fits the vendor contract')
  }
}

/** A call's view of a session: everything it emitted, in order, with waits for the next of a kind. */
export class CallSide {
  readonly audio: Buffer[] = []
  readonly events: Array<{ type: string; value?: unknown }> = []
  readonly tools: ToolCall[] = []
  readonly errors: EngineError[] = []
  private waiters: Array<() => void> = []

  constructor (session: EngineSession) {
    const push = (type: string, value?: unknown): void => {
      this.events.push({ type, value })
      const w = this.waiters
      this.waiters = []
      for (const f of w) f()
    }
    session.on('audio', b => { this.audio.push(Buffer.from(b)); push('audio', b.length) })
    session.on('clear', () => push('clear'))
    session.on('mark', n => push('mark', n))
    session.on('toolCall', c => { this.tools.push(c); push('toolCall', c) })
    session.on('hangup', r => push('hangup', r))
    session.on('error', e => { this.errors.push(e); push('error', e) })
    session.on('end', () => push('end'))
    session.resume()
  }

  count (type: string): number {
    return this.events.filter(e => e.type === type).length
  }

  /** Waits until `n` events of `type` have been seen in total. */
  async until (type: string, n = 1): Promise<Array<{ type: string; value?: unknown }>> {
    while (this.count(type) < n) await new Promise<void>(resolve => this.waiters.push(resolve))
    return this.events.filter(e => e.type === type)
  }

  audioBytes (): Buffer {
    return Buffer.concat(this.audio)
  }
}

export function sessionStart (over: Partial<SessionStart> = {}): SessionStart {
  return {
    conversationId: 'conv-1',
    agentId: 'sales',
    direction: 'inbound',
    callerId: '+15550111',
    calledNumber: '+15550100',
    callId: 'call-7f3a',
    callSid: 'CA0123456789abcdef0123456789abcdef',
    sipHeaders: [],
    dynamicVariables: [
      { name: 'customer_name', value: 'Ada', secret: false },
      { name: 'tier', value: 3, secret: false },
      { name: 'secret__token', value: 'tok-123', secret: true },
      { name: 'system__caller_id', value: '+15550111', secret: false },
      { name: 'system__conversation_id', value: 'conv-1', secret: false }
    ],
    overrides: null,
    customLlmExtraBody: null,
    userId: '',
    transferRules: [{ destinationType: 'phone', destination: '+15551234567', condition: 'The caller asks for billing.', transferType: 'conference' }],
    timezone: 'UTC',
    offeredFormats: [PCM16K],
    ...over
  }
}

/** A 20 ms frame of a 440 Hz tone at 16 kHz. */
export function toneFrame16k (phase = 0): Int16Array {
  const f = new Int16Array(320)
  for (let i = 0; i < f.length; i++) f[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (i + phase)) / 16000))
  return f
}
