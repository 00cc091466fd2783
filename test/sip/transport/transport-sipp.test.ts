// Interoperability with a real SIP stack: SIPp 3.6 over TCP (one connection, -t t1), as the client
// (pipelined OPTIONS with bodies) and as the server (our requests, its answers).
import t from 'tap'
import { spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { createResponse, newTag } from '../../../src/sip/message/factory'
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message/types'
import type { TransportSource } from '../../../src/sip/transport/transport-types'
import { collect, startTransport, waitFor } from './helpers'

const SCENARIOS = path.join(__dirname, 'sipp')

async function freePort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise(resolve => s.close(resolve))
  return port
}

/** Runs SIPp to completion (bounded by -timeout and a kill timer); resolves with its exit code and output. */
function runSipp (args: string[], killAfterMs = 40_000): Promise<{ code: number | null, output: string }> {
  return new Promise(resolve => {
    const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.on('close', code => { clearTimeout(timer); resolve({ code, output }) })
  })
}

t.test('SIPp UAC: 200 pipelined OPTIONS over one TCP connection, each answered on it', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const got = collect<[SipMessage, TransportSource]>(tl, 'message')
  const errors = collect(tl, 'parseError')
  tl.on('message', (msg, source) => {
    if (msg.kind !== 'request') return
    tl.send(createResponse(msg, 200, 'OK', { toTag: newTag() }), { connectionId: source.connectionId })
      .catch(err => t.fail(`send failed: ${String(err)}`))
  })
  const CALLS = 200
  const { code, output } = await runSipp([
    '-sf', path.join(SCENARIOS, 'options-uac.xml'), '-t', 't1',
    '-i', '127.0.0.1', '-p', String(await freePort()),
    '-m', String(CALLS), '-r', '400', '-l', '100',
    '-timeout', '30s', '-timeout_error', '-nostdin',
    `127.0.0.1:${tl.localAddressFor('tcp').port}`
  ])
  t.equal(code, 0, `SIPp passed all calls\n${code === 0 ? '' : output.slice(-2000)}`)
  const requests = got.map(([m, s]) => [m as SipRequest, s] as const)
  t.equal(errors.length, 0, 'no parse errors')
  t.equal(requests.length, CALLS, 'every OPTIONS delivered once')
  t.equal(new Set(requests.map(([, s]) => s.connectionId)).size, 1, 'all over SIPp\'s single connection')
  const first = requests[0][0]
  t.equal(first.method, 'OPTIONS')
  t.equal(first.headers.find(h => h.name === 'Subject')?.value, 'trunk keep-alive 1')
  t.ok(requests.every(([m], i) => m.body.toString().trim() === `body of call ${i + 1}`), 'bodies framed exactly, in order')
})

t.test('SIPp UAS: our requests reuse one outbound connection and its 200s come back as messages', async t => {
  const tl = await startTransport()
  t.teardown(() => tl.close())
  const sippPort = await freePort()
  const CALLS = 20
  const sipp = runSipp(['-sf', path.join(SCENARIOS, 'options-uas.xml'), '-t', 't1', '-i', '127.0.0.1',
    '-p', String(sippPort), '-m', String(CALLS), '-timeout', '30s', '-timeout_error', '-nostdin'])
  const responses = collect<[SipResponse, TransportSource]>(tl, 'message')
  const opened = collect<[TransportSource]>(tl, 'connectionOpened')
  const local = tl.localAddressFor('tcp')
  const target = { transport: 'tcp' as const, host: '127.0.0.1', port: sippPort }
  // SIPp needs a moment to bind; retry the first connect a few times (bounded).
  for (let attempt = 0; ; attempt++) {
    try {
      await tl.send(optionsTo(0, local), target)
      break
    } catch (err) {
      if (attempt >= 50) throw err
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  for (let n = 1; n < CALLS; n++) await tl.send(optionsTo(n, local), target)
  await waitFor(() => responses.length === CALLS, 10_000, `${CALLS} responses`)
  const { code, output } = await sipp
  t.equal(code, 0, `SIPp answered every call\n${code === 0 ? '' : output.slice(-2000)}`)
  t.ok(responses.every(([m]) => m.kind === 'response' && m.status === 200))
  t.same(responses.map(([m]) => m.headers.find(h => h.name === 'Call-ID')?.value),
    Array.from({ length: CALLS }, (_, n) => `sipp-uas-${n}`), 'in order')
  t.equal(opened.length, 1, 'one outbound connection for all requests')
})

function optionsTo (n: number, local: { host: string, port: number }): SipRequest {
  return {
    kind: 'request', method: 'OPTIONS', uri: 'sip:sipp@127.0.0.1', version: 'SIP/2.0', body: Buffer.alloc(0),
    headers: [
      { name: 'Via', value: `SIP/2.0/TCP ${local.host}:${local.port};branch=z9hG4bK-uas-${n}` },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:trunkgate@${local.host}:${local.port}>;tag=tg${n}` },
      { name: 'To', value: '<sip:sipp@127.0.0.1>' },
      { name: 'Call-ID', value: `sipp-uas-${n}` },
      { name: 'CSeq', value: `${n + 1} OPTIONS` }
    ]
  }
}
