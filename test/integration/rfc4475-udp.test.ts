// Every RFC 4475 torture message as one UDP datagram against the running server, checked against MANIFEST.tsv
// as over TCP (rfc4475-expectations.ts) except where the datagram frames the message (RFC 3261 §18.3):
// inv2543 needs no Content-Length (a valid request), dblreq is one REGISTER (the octets after its Content-Length
// are ignored), clerr's Content-Length beyond the datagram is answered 400 at once. Responses to parsed requests
// go to the Via's received address and sent-by port (§18.2.2, no rport in these messages): the test listens on
// every sent-by port the archive uses (5060, 5050, 5070) on loopback inside the test's network namespace.
import t from 'tap'
import dgram from 'node:dgram'
import fs from 'node:fs'
import path from 'node:path'
import { startServer } from '../../src/server'
import { testConfig } from './helpers'
import { E, type Expectation } from './rfc4475-expectations'

const dir = path.resolve(__dirname, '..', '..', 'test', 'vectors', 'sip', 'rfc4475')

const OVER_UDP: Record<string, Expectation> = {
  'inv2543.dat': { final: [404], why: 'no Content-Length is fine in a datagram (§18.3): a valid RFC 2543 INVITE, unknown user' },
  'dblreq.dat': { final: [405], why: 'one datagram, one message: the REGISTER (CL 0) -> 405; the trailing INVITE is ignored' },
  'clerr.dat': { final: [400], why: 'Content-Length larger than the datagram: 400 (§18.3)' }
}

function callIdOf (msg: string): string | null {
  return /^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(msg)?.[1] ?? null
}

/** §17.2.3: branch + sent-by + method (ACK counted as INVITE) of a raw request, when the Via is readable. */
function transactionKeyOf (msg: string): string | null {
  const via = /^(?:Via|v)[ \t]*:[ \t]*SIP\/2\.0\/\w+[ \t]+([^;\s,]+)[^\r\n]*?;branch=([^;\s,]+)/im.exec(msg)
  const method = /^(\S+) /.exec(msg)?.[1]
  return via && method ? `${via[2]}|${via[1].toLowerCase()}|${method === 'ACK' ? 'INVITE' : method}` : null
}

async function bind (port: number): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(port, '127.0.0.1', () => resolve()) })
  return s
}

t.test('RFC 4475 torture messages over UDP', async t => {
  const server = await startServer(testConfig({ udp: true }))
  t.teardown(() => server.close())
  const port = server.ports.udp!
  const sockets = await Promise.all([5060, 5050, 5070].map(bind))
  t.teardown(() => { for (const s of sockets) s.close() })
  let inbox: string[] = []
  for (const s of sockets) s.on('message', (m) => { inbox.push(m.toString('latin1')) })
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.dat')).sort()
  const firstCallId = new Map<string, string>()

  for (const f of files) {
    const exp = OVER_UDP[f] ?? E[f]
    inbox = []
    let bytes = fs.readFileSync(path.join(dir, f))
    if (f === 'baddn.dat') bytes = Buffer.concat([bytes, Buffer.from('\r\n')])
    await new Promise<void>((resolve, reject) => sockets[0].send(bytes, port, '127.0.0.1', (err) => err ? reject(err) : resolve()))
    // INVITE finals are retransmitted (Timer G: the test never ACKs): only this message's Call-ID counts. Some
    // archive messages reuse an earlier one's branch, sent-by and method: §17.2.3 makes them retransmissions of
    // that transaction, answered with its final response (same status in the manifest), under its Call-ID.
    const text = bytes.toString('latin1')
    const key = transactionKeyOf(text)
    const callId = (key !== null ? firstCallId.get(key) : undefined) ?? callIdOf(text)
    if (key !== null && !firstCallId.has(key) && callId !== null) firstCallId.set(key, callId)
    const mine = (): string[] => inbox.filter(m => callId === null || callIdOf(m) === callId)
    const finals = (): number[] => mine().map(m => Number(/^SIP\/2\.0 (\d{3})/.exec(m)?.[1] ?? 0)).filter(s => s >= 200)
    const want = exp.final === 'none' ? 0 : exp.final.length
    // 'none' waits a fixed quiet period: silence is what is being checked.
    const end = Date.now() + (want === 0 ? 400 : 3000)
    while (Date.now() < end && (want === 0 || finals().length < want)) await new Promise(resolve => setTimeout(resolve, 10))
    const label = `${f}: ${exp.why}`
    if (exp.final === 'none') t.same(mine(), [], label)
    else t.same(finals().slice(0, want), exp.final, `${label} (got ${JSON.stringify(finals())})`)
    if (exp.extra && exp.final !== 'none') t.match(mine().join('\n'), exp.extra, `${f}: response carries ${exp.extra}`)
  }
  const stats = server.transport.udpStats()!
  t.ok(stats.dropped.broken_response >= 1, `unparseable responses dropped and counted (${JSON.stringify(stats.dropped)})`)
  t.ok(stats.dropped.unparseable >= 10, 'unparseable requests counted (and answered)')
  t.equal(server.activeCalls(), 0, 'no torture message left a call slot taken')
  const metrics = (await server.services.metrics.text()).body
  t.match(metrics, new RegExp(`^trunkgate_sip_udp_dropped_total\\{reason="broken_response"\\} ${stats.dropped.broken_response}$`, 'm'), 'drops exported in /metrics')
  t.match(metrics, /^trunkgate_sip_udp_datagrams_total\{kind="sip"\} [1-9]\d*$/m)
})
