// Throughput of the stream transport: framing alone, and framing + parsing + 'message' events over a
// real loopback TCP connection. Usage: npm run bench -- sip-transport [messages=100000] [connections=4]
import net from 'node:net'
import pino from 'pino'
import { StreamFramer } from '../../src/sip/transport/stream-framer'
import { TransportLayer } from '../../src/sip/transport/transport-layer'

function invite (n: number): Buffer {
  const sdp = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9 0 8 101\r\n' +
    'a=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n'
  return Buffer.from(
    `INVITE sip:+4930123456@trunk.example.net SIP/2.0\r\n` +
    `Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-${n};rport\r\n` +
    'Max-Forwards: 70\r\n' +
    `From: "Caller" <sip:+4940111@pbx.example.com>;tag=f${n}\r\n` +
    'To: <sip:+4930123456@trunk.example.net>\r\n' +
    `Call-ID: bench-${n}@192.0.2.1\r\n` +
    'CSeq: 1 INVITE\r\n' +
    'Contact: <sip:+4940111@192.0.2.1:5060;transport=tcp>\r\n' +
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n' +
    'Supported: timer, replaces\r\nSession-Expires: 1800\r\n' +
    'Content-Type: application/sdp\r\n' +
    `Content-Length: ${Buffer.byteLength(sdp)}\r\n\r\n` + sdp)
}

function benchFramer (count: number): void {
  const stream = Buffer.concat(Array.from({ length: 1000 }, (_, i) => invite(i)))
  const rounds = Math.ceil(count / 1000)
  const framer = new StreamFramer({ maxMessageBytes: 65536 })
  let frames = 0
  const started = process.hrtime.bigint()
  for (let r = 0; r < rounds; r++) {
    // 1460-octet segments: what a TCP read typically hands over.
    for (let pos = 0; pos < stream.length; pos += 1460) {
      for (const ev of framer.push(stream.subarray(pos, pos + 1460))) if (ev.kind === 'message') frames++
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  console.log(`framer_messages ${frames}`)
  console.log(`framer_messages_per_sec ${Math.round(frames / seconds)}`)
  console.log(`framer_mbytes_per_sec ${(stream.length * rounds / seconds / 1e6).toFixed(1)}`)
}

async function benchTcp (count: number, connections: number): Promise<void> {
  const tl = new TransportLayer({ tcp: { host: '127.0.0.1', port: 0 } }, pino({ level: 'silent' }))
  await tl.listen()
  const port = tl.localAddressFor('tcp').port
  const perConnection = Math.ceil(count / connections / 100) * 100
  const total = perConnection * connections
  let received = 0
  const done = new Promise<void>(resolve => tl.on('message', () => { if (++received === total) resolve() }))
  const batch = Buffer.concat(Array.from({ length: 100 }, (_, i) => invite(i)))
  const sockets = await Promise.all(Array.from({ length: connections }, () => new Promise<net.Socket>(resolve => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s))
  })))
  const started = process.hrtime.bigint()
  await Promise.all(sockets.map(async s => {
    for (let sent = 0; sent < perConnection; sent += 100) {
      if (!s.write(batch)) await new Promise(resolve => s.once('drain', resolve))
    }
  }))
  const timeout = setTimeout(() => { console.error(`timeout: ${received}/${total} received`); process.exit(1) }, 120_000)
  await done
  clearTimeout(timeout)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  console.log(`tcp_connections ${connections}`)
  console.log(`tcp_messages ${received}`)
  console.log(`tcp_messages_per_sec ${Math.round(received / seconds)}`)
  sockets.forEach(s => s.destroy())
  await tl.close()
}

export async function run (args: string[]): Promise<void> {
  const count = Number(args[0] ?? 100000)
  const connections = Number(args[1] ?? 4)
  console.log(`message_bytes ${invite(0).length}`)
  benchFramer(count)
  await benchTcp(count, connections)
}
