// Shared helpers for the transport tests: a transport on an ephemeral loopback port and raw socket
// clients that can wait for bytes or for the server to close.
import net from 'node:net'
import path from 'node:path'
import tls from 'node:tls'
import type { EventEmitter } from 'node:events'
import pino from 'pino'
import { TransportLayer } from '../../../src/sip/transport/transport-layer'
import type { TransportOptions } from '../../../src/sip/transport/transport-types'

export const TORTURE_DIR = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors', 'sip', 'rfc4475')

/** Records what the transport logs (warnings are part of the contract: refusals and timeouts are logged). */
export function captureLogger (): { logger: pino.Logger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, {
    write (s: string) { lines.push(JSON.parse(s) as Record<string, unknown>) }
  })
  return { logger, lines }
}

export async function startTransport (opts: Partial<TransportOptions> = {}, logger = captureLogger().logger): Promise<TransportLayer> {
  const tl = new TransportLayer({ tcp: { host: '127.0.0.1', port: 0 }, ...opts }, logger)
  await tl.listen()
  return tl
}

/** A raw client socket that collects everything the server writes and notices when it closes. */
export class RawClient {
  readonly socket: net.Socket
  received = Buffer.alloc(0)
  closed = false

  constructor (socket: net.Socket) {
    this.socket = socket
    socket.on('data', (d: Buffer) => { this.received = Buffer.concat([this.received, d]) })
    socket.on('error', () => { /* ECONNRESET when the server destroys: closed is what tests look at */ })
    socket.on('close', () => { this.closed = true })
  }

  static connect (port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new RawClient(s)))
      s.once('error', reject)
    })
  }

  /** TLS client; resolves after the handshake (rejects with the handshake error). */
  static connectTls (port: number, opts: tls.ConnectionOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ...opts }, () => resolve(new RawClient(s)))
      s.once('error', reject)
    })
  }

  get text (): string { return this.received.toString('utf8') }

  write (data: string | Buffer): void { this.socket.write(data) }

  /** Resolves when the predicate holds; rejects after timeoutMs (so a broken server fails, never hangs). */
  until (pred: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
    return waitFor(pred, timeoutMs, what, () => `got ${JSON.stringify(this.text.slice(0, 300))}, closed=${String(this.closed)}`)
  }

  untilText (re: RegExp, timeoutMs = 3000): Promise<void> {
    return this.until(() => re.test(this.text), timeoutMs, String(re))
  }

  untilClosed (timeoutMs = 3000): Promise<void> {
    return this.until(() => this.closed, timeoutMs, 'close')
  }

  destroy (): void { this.socket.destroy() }
}

/**
 * Polls a condition (events from several sockets and the transport can make it true) every 5 ms;
 * rejects after timeoutMs so a broken server fails the test instead of hanging it.
 */
export function waitFor (pred: () => boolean, timeoutMs = 3000, what = 'condition', detail: () => string = () => ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const check = (): void => {
      if (pred()) { resolve(); return }
      if (Date.now() - started > timeoutMs) { reject(new Error(`timeout waiting for ${what} ${detail()}`)); return }
      setTimeout(check, 5)
    }
    check()
  })
}

/** Waits for one emission of an event (with a timeout so a missing event fails the test). */
export function nextEvent<T extends unknown[]> (em: EventEmitter, name: string, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { em.off(name, on); reject(new Error(`no '${name}' event within ${timeoutMs} ms`)) }, timeoutMs)
    const on = (...args: unknown[]): void => { clearTimeout(timer); resolve(args as T) }
    em.once(name, on)
  })
}

/** Collects every emission of an event. */
export function collect<T extends unknown[]> (em: EventEmitter, name: string): T[] {
  const out: T[] = []
  em.on(name, (...args: unknown[]) => out.push(args as T))
  return out
}

export function options (opts: { callId?: string, cseq?: number, via?: string, body?: string, extra?: string, method?: string } = {}): string {
  const body = opts.body ?? ''
  const method = opts.method ?? 'OPTIONS'
  return `${method} sip:service@127.0.0.1 SIP/2.0\r\n` +
    `Via: ${opts.via ?? 'SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-' + (opts.callId ?? 'x')}\r\n` +
    'Max-Forwards: 70\r\n' +
    'From: <sip:alice@127.0.0.1>;tag=a1\r\n' +
    'To: <sip:service@127.0.0.1>\r\n' +
    `Call-ID: ${opts.callId ?? 'call-1'}\r\n` +
    `CSeq: ${opts.cseq ?? 1} ${method}\r\n` +
    (opts.extra ?? '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` + body
}

/** Status codes of every response in a byte stream. */
export function statusCodes (text: string): number[] {
  return [...text.matchAll(/^SIP\/2\.0 (\d{3}) /gm)].map(m => Number(m[1]))
}
