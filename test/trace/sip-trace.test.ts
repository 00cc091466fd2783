// SIP tracing end to end: the gateway's HEPv3 export received by sngrep (as a Homer-compatible
// collector: sngrep -N -L udp:host:port -O file.pcap), the pcap read back with tshark; the
// log.sip_trace lines; the quality report's HEP chunks. Loopback only, temp dirs, bounded waits.
import t from 'tap'
import { spawn, execFile } from 'node:child_process'
import dgram from 'node:dgram'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { parseConfigText } from '../../src/config'
import { startServer } from '../../src/server'
import { SipTracer } from '../../src/trace/sip-tracer'
import { decodeHep3, encodeHep3, HEP_PROTO } from '../../src/trace/hep'
import { RawSipCaller } from '../e2e/raw-sip-caller'

async function freeUdpPort (): Promise<number> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>(resolve => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

function config (hepPort: number): string {
  return `
sip:
  listen:
    tcp: {host: 127.0.0.1, port: 0}
trunks:
  - name: dev
    inbound: {acl: [127.0.0.1]}
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
log: {level: info, sip_trace: true}
hep: {address: '127.0.0.1:${hepPort}', id: 4242, password: s3cret}
`
}

function tsharkFields (pcap: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('tshark', ['-r', pcap, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Call-ID', '-e', 'sip.Method', '-e', 'sip.Status-Code', '-e', 'sip.CSeq.method'],
      { timeout: 30_000 }, (err, stdout, stderr) => err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim().split('\n').filter(Boolean)))
  })
}

t.test('encodeHep3/decodeHep3: the generic chunks a collector reads (IPv4, IPv6, auth key, correlation id)', async t => {
  const v4 = decodeHep3(encodeHep3({
    transport: 'tcp', srcAddress: '::ffff:192.0.2.1', srcPort: 5060, dstAddress: '198.51.100.7', dstPort: 40000,
    timeMs: 1_700_000_000_123, protocolType: HEP_PROTO.SIP, captureId: 2001, password: 'pw', correlationId: 'abc@h', payload: Buffer.from('OPTIONS')
  }))!
  t.same(v4.get(1), Buffer.from([2]), 'IPv4 family (a v4-mapped peer counts as v4)')
  t.same(v4.get(2), Buffer.from([6]), 'TCP')
  t.same([...v4.get(3)!], [192, 0, 2, 1])
  t.same([...v4.get(4)!], [198, 51, 100, 7])
  t.equal(v4.get(7)!.readUInt16BE(), 5060)
  t.equal(v4.get(8)!.readUInt16BE(), 40000)
  t.equal(v4.get(9)!.readUInt32BE(), 1_700_000_000)
  t.equal(v4.get(10)!.readUInt32BE(), 123_000)
  t.same(v4.get(11), Buffer.from([1]), 'SIP')
  t.equal(v4.get(12)!.readUInt32BE(), 2001)
  t.equal(v4.get(14)!.toString(), 'pw')
  t.equal(v4.get(17)!.toString(), 'abc@h')
  t.equal(v4.get(15)!.toString(), 'OPTIONS')
  const v6 = decodeHep3(encodeHep3({
    transport: 'udp', srcAddress: '2001:db8::1', srcPort: 1, dstAddress: '::1', dstPort: 2,
    timeMs: 0, protocolType: HEP_PROTO.RTCP_JSON, captureId: 1, payload: Buffer.from('{}')
  }))!
  t.same(v6.get(1), Buffer.from([10]))
  t.same(v6.get(2), Buffer.from([17]))
  t.equal(v6.get(5)!.toString('hex'), '20010db8000000000000000000000001')
  t.equal(v6.get(6)!.toString('hex'), '00000000000000000000000000000001')
  t.notOk(v6.has(14), 'no auth key chunk without a password')
  t.equal(decodeHep3(Buffer.from('HEP2xx')), null)
})

t.test('a call traced to sngrep over HEPv3: the pcap holds every message of the call; log.sip_trace logs each with call id, transport, peer', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-hep-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const hepPort = await freeUdpPort()
  const pcap = path.join(dir, 'out.pcap')
  const sngrep = spawn('sngrep', ['-N', '-q', '-L', `udp:127.0.0.1:${hepPort}`, '-O', pcap], { stdio: ['ignore', 'pipe', 'pipe'] })
  let sngrepOut = ''
  sngrep.stdout.on('data', (d: Buffer) => { sngrepOut += d.toString() })
  sngrep.stderr.on('data', (d: Buffer) => { sngrepOut += d.toString() })
  const sngrepExit = new Promise<void>(resolve => sngrep.once('close', () => resolve()))
  t.teardown(() => { if (sngrep.exitCode === null) sngrep.kill('SIGKILL') })
  // sngrep has bound its socket once the pcap file exists (it opens the dump after the listener).
  for (let i = 0; i < 100 && !fs.existsSync(pcap); i++) await new Promise(resolve => setTimeout(resolve, 50))

  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'info' }, new Writable({ write (chunk: Buffer, _enc, cb) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); cb() } }))
  const server = await startServer(parseConfigText(config(hepPort)), { logger })
  t.teardown(() => server.close())

  const caller = await RawSipCaller.connect(server.ports.tcp!)
  t.teardown(() => caller.close())
  const ok = await caller.invite('+15550100')
  const callId = ok.headers.find(h => h.name.toLowerCase() === 'call-id')?.value ?? ''
  t.match(callId, /^raw-/)
  const bye = caller.inDialog('BYE')
  caller.sendTogether(caller.inDialog('ACK'), bye)
  t.equal((await caller.final(caller.lastCSeq, 'BYE')).status, 200)

  // Log: one line per message, with the call id, transport and peer.
  const traced = lines.filter(l => l.component === 'sip-trace' && l.callId === callId)
  const peer = `127.0.0.1:${caller.localPort}`
  const firstLines = traced.map(l => String(l.msg).replace(/^(received from|sent to) TCP [^ ]+ (?:SIP\/2\.0 )?(\S+ ?\S*).*$/, '$1 $2'))
  t.same(firstLines, [
    `received from INVITE sip:+15550100@127.0.0.1:${server.ports.tcp};transport=tcp`,
    'sent to 100 Trying', 'sent to 180 Ringing', 'sent to 200 OK',
    `received from ACK ${String(traced[4]?.msg).split(' ')[5]}`,
    `received from BYE ${String(traced[5]?.msg).split(' ')[5]}`,
    'sent to 200 OK'
  ])
  t.ok(traced.every(l => l.transport === 'tcp' && l.peer === peer), `transport tcp, peer ${peer}`)
  t.ok(traced.every(l => typeof l.sip === 'string' && (l.sip as string).includes(`Call-ID: ${callId}`)), 'the whole message is logged')

  // sngrep writes what it received; it flushes the dump when it stops.
  await server.close()
  const expected = new Set(traced.map(l => String(l.msg).replace(/^(received from|sent to) TCP [^ ]+ /, '').split(' ').slice(0, 2).join(' ')))
  let rows: string[] = []
  for (let i = 0; i < 60; i++) {
    if (fs.existsSync(pcap) && fs.statSync(pcap).size > 24 * traced.length) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  sngrep.kill('SIGTERM')
  await sngrepExit
  rows = await tsharkFields(pcap)
  const ours = rows.filter(r => r.startsWith(callId))
  t.equal(ours.length, traced.length, `every traced message is in the pcap (${sngrepOut}${rows.join('\n')})`)
  t.ok(ours.some(r => r.split('\t')[1] === 'INVITE'), 'INVITE')
  t.ok(ours.some(r => r.split('\t')[2] === '200' && r.split('\t')[3] === 'INVITE'), '200 to INVITE')
  t.ok(ours.some(r => r.split('\t')[1] === 'ACK'), 'ACK')
  t.ok(ours.some(r => r.split('\t')[1] === 'BYE'), 'BYE')
  t.ok(ours.some(r => r.split('\t')[2] === '200' && r.split('\t')[3] === 'BYE'), '200 to BYE')
  t.ok(expected.size > 0)
})

t.test("a call's final quality report goes to the collector as RTCP-JSON correlated by its Call-ID; null stays null", async t => {
  const collector = dgram.createSocket('udp4')
  await new Promise<void>(resolve => collector.bind(0, '127.0.0.1', resolve))
  t.teardown(() => collector.close())
  const got = new Promise<Buffer>(resolve => collector.once('message', msg => resolve(msg)))
  const tracer = new SipTracer({ logger: pino({ level: 'silent' }), sipTrace: false, hep: { address: `127.0.0.1:${collector.address().port}`, id: 7, password: undefined } })
  t.teardown(() => tracer.close())
  tracer.callEnded({
    sipCallId: 'q1@host', conversationId: 'conv-1', status: 'completed', durationMs: 12_000,
    media: { packetsReceived: 600, packetsSent: 600, packetsLost: 3, lossPercent: 0.5, jitterMs: 2.5, rttMs: null, mos: 4.3 }
  })
  const chunks = decodeHep3(await got)!
  t.same(chunks.get(11), Buffer.from([HEP_PROTO.RTCP_JSON]))
  t.equal(chunks.get(17)!.toString(), 'q1@host')
  t.equal(chunks.get(12)!.readUInt32BE(), 7)
  const report = JSON.parse(chunks.get(15)!.toString()) as Record<string, unknown>
  t.match(report, { call_id: 'q1@host', status: 'completed', packets_lost: 3, jitter_ms: 2.5, mos: 4.3 })
  t.equal(report.rtt_ms, null, 'unknown RTT is null, never -1')
  // Calls without a SIP Call-ID (never signalled) have nothing to correlate with.
  tracer.callEnded({ sipCallId: null, conversationId: 'c2', status: 'failed', durationMs: null, media: null })
})
