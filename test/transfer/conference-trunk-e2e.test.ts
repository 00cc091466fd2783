// The human's INVITE of a conference transfer leaves through the agent's outbound trunk the way an
// outbound call does (issue 6 on top of issue 5):
//   - templated custom headers rendered from the ORIGINAL call's dynamic variables (custom, secret__
//     and system__), checked by a SIPp human (check_it ereg); a raw INVITE with a wrong or missing
//     value makes the same scenario fail (negative control); a CR/LF in a variable refuses the dial
//     before anything is sent;
//   - RFC 3263 resolution + failover (SipResolver + inviteWithFailover): the first SRV target refuses
//     the connection, the second (a SIPp human) answers and is bridged.
import t, { type Test } from 'tap'
import net from 'node:net'
import { startServer, type RunningServer, type StartServerOptions } from '../../src/server'
import type { ToolCallMsg } from '../../src/engine/engine-messages'
import type { DnsLookup } from '../../src/trunk'
import { runSipp, describeRun } from '../integration/sipp-runner'
import { TestEngine, type TestConversation } from '../e2e/test-engine'
import { gatewayConfig, nextRecord } from '../e2e/helpers'
import { RtpPeer } from '../media/rtp-peer'
import { tone } from '../media/audio-tools'
import { startHumanSipp } from './human-sipp'

const NUMBER = '+15551234567'
/** conference-caller.xml calls from this number (the human scenarios check X-CALLER-ID against it). */
const CALLER = '+15557770000'

async function callerPeer (): Promise<RtpPeer> {
  const peer = await RtpPeer.create()
  let started = false
  peer.socket.on('message', (_msg, from) => {
    if (started) return
    started = true
    peer.sendTo(from.address, from.port)
    peer.stream(i => tone(700, 20, 8000, 5000, 2 * Math.PI * 700 * i * 160 / 8000))
  })
  return peer
}

async function deadPort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}

const TEMPLATED_HEADERS = "[{name: X-Tenant, value: acme}, {name: X-Customer, value: '{{customer_id}}'}, {name: X-Account-Pin, value: '{{ secret__pin }}'}, {name: X-Origin, value: '{{system__caller_id}}'}]"

async function gateway (t: Test, o: { outbound: string, variables: string, services?: StartServerOptions['services'] }): Promise<{ engine: TestEngine, server: RunningServer }> {
  const engine = new TestEngine()
  await engine.start()
  t.teardown(() => engine.stop())
  const config = gatewayConfig({
    engineAddress: engine.address,
    trunkYaml: `    outbound: ${o.outbound}`,
    agentYaml: `    dynamic_variables: ${o.variables}
    transfer_rules:
      - {transfer_destination: {type: phone, phone_number: '${NUMBER}'}, condition: the caller asks for a human}`
  })
  config.transfer.ring_timeout_ms = 5000
  config.transfer.whisper_max_ms = 1000
  const server = await startServer(config, { aiCalls: true, services: o.services })
  t.teardown(() => server.close())
  return { engine, server }
}

function transferCall (): ToolCallMsg {
  return { tool_call_id: 'xfer-1', transfer_to_number: { transfer_number: NUMBER, client_message: 'Please hold.', agent_message: 'Caller wants billing.' } } as ToolCallMsg
}

/** Once the caller's audio flows: the transfer; on ANSWERED a Mark at once (no whisper audio); waits for the result. */
function transferOnce (engine: TestEngine): Promise<TestConversation> {
  return engine.conversation(0, 15000).then(async conv => {
    await conv.until(c => c.frames > 5, 10000, 'audio from the answered call')
    conv.on('message', m => {
      if (m.msg === 'call_event' && m.call_event.event === 'transfer' && m.call_event.transfer.state === 'STATE_ANSWERED') conv.mark('whisper-done')
    })
    conv.tool(transferCall())
    await conv.until(c => c.toolResults.length > 0, 15000, 'transfer tool result')
    return conv
  })
}

async function runCaller (server: RunningServer, peer: RtpPeer, pauseMs: number): Promise<void> {
  const run = await runSipp({
    scenario: 'transfer/conference-caller.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100',
    timeoutSec: 30, pauseMs, substitutions: { RTP_PORT: String(peer.port) }
  })
  if (run.exitCode !== 0) throw new Error(`caller SIPp failed: ${describeRun(run)}`)
}

t.test('templated trunk headers carry the original call\'s dynamic variables (custom, secret__, system__)', async t => {
  const peer = await callerPeer()
  t.teardown(() => peer.close())
  const human = await startHumanSipp('human-headers-busy.xml', { CUSTOMER: 'C-981', PIN: '4321', CALLER: CALLER.replace('+', '\\+') })
  const { engine, server } = await gateway(t, {
    outbound: `{address: '127.0.0.1', port: ${human.port}, transport: tcp, headers: ${TEMPLATED_HEADERS}}`,
    variables: "[{name: customer_id, placeholder: C-981}, {name: secret__pin, placeholder: '4321'}]"
  })
  const ended = nextRecord(server, 30000)
  const convP = transferOnce(engine)
  await runCaller(server, peer, 5000)
  const conv = await convP
  const h = await human.done
  t.equal(h.code, 0, `the human's header checks passed ${h.errors.slice(0, 800)}`)
  t.match(conv.toolResults, [{ tool_call_id: 'xfer-1', ok: false, error: /busy \(486 Busy Here\)/ }], 'the human\'s 486 came back: the INVITE got there')
  t.match(await ended, { transfer: { type: 'conference', result: 'failed', sipStatus: 486 } })
})

/** A hand-written INVITE to the same human scenario: the header check is able to fail. */
async function rawInvite (port: number, headers: string): Promise<void> {
  const body = ''
  const msg = [
    `INVITE sip:${NUMBER}@127.0.0.1:${port};transport=tcp SIP/2.0`,
    'Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-negative-1',
    'Max-Forwards: 70',
    'From: <sip:+15557770000@127.0.0.1>;tag=neg1',
    `To: <sip:${NUMBER}@127.0.0.1>`,
    'Call-ID: negative-control-1@127.0.0.1',
    'CSeq: 1 INVITE',
    'Contact: <sip:gw@127.0.0.1:5999;transport=tcp>',
    'X-Tenant: acme',
    `X-Origin: ${CALLER}`,
    ...headers.split('\n').filter(Boolean),
    `Content-Length: ${body.length}`,
    '', body
  ].join('\r\n')
  const sock = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject) })
  sock.on('error', () => undefined)
  sock.write(msg)
  // SIPp ends the call (and exits, -m 1) on the failed check; the socket closes with it.
  await new Promise<void>(resolve => { sock.once('close', () => resolve()); setTimeout(() => { sock.destroy(); resolve() }, 15000) })
}

for (const c of [
  { name: 'another customer_id', headers: 'X-Customer: C-999\nX-Account-Pin: 4321' },
  { name: 'the templated header left out (the old behaviour)', headers: 'X-Account-Pin: 4321' },
  { name: 'a literal placeholder', headers: 'X-Customer: {{customer_id}}\nX-Account-Pin: 4321' }
]) {
  t.test(`negative control: ${c.name} fails the human's check`, async t => {
    const human = await startHumanSipp('human-headers-busy.xml', { CUSTOMER: 'C-981', PIN: '4321', CALLER: CALLER.replace('+', '\\+') }, 10)
    await rawInvite(human.port, c.headers)
    const h = await human.done
    t.not(h.code, 0, 'SIPp reports the failed check')
    t.match(h.errors, /regexp|match/i, 'because the ereg did not match')
  })
}

t.test('a CR/LF in a dynamic variable refuses the transfer: nothing is sent, the conversation goes on', async t => {
  const peer = await callerPeer()
  t.teardown(() => peer.close())
  // A real socket where the human would be: it must never see a connection.
  let connections = 0
  const trap = net.createServer(s => { connections++; s.destroy() })
  await new Promise<void>(resolve => trap.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => trap.close(() => resolve())))
  const { engine, server } = await gateway(t, {
    outbound: `{address: '127.0.0.1', port: ${(trap.address() as net.AddressInfo).port}, transport: tcp, headers: ${TEMPLATED_HEADERS}}`,
    variables: '[{name: customer_id, placeholder: "C-981\\r\\nX-Injected: yes"}, {name: secret__pin, placeholder: \'4321\'}]'
  })
  const ended = nextRecord(server, 30000)
  const convP = transferOnce(engine).then(async conv => {
    const framesAtFailure = conv.frames
    await conv.until(x => x.frames > framesAtFailure + 25, 5000, 'caller audio after the refused transfer')
    return conv
  })
  await runCaller(server, peer, 4000)
  const conv = await convP
  t.match(conv.toolResults, [{ tool_call_id: 'xfer-1', ok: false, error: /customer_id.*control characters/ }])
  t.notMatch(JSON.stringify(conv.toolResults), /X-Injected|C-981/, 'the variable\'s value is not echoed')
  t.equal(connections, 0, 'no INVITE left the gateway')
  t.match(await ended, { outcome: 'completed', transfer: { type: 'conference', result: 'failed' } })
})

t.test('RFC 3263 failover: the first SRV target refuses the connection, the second (the human) answers', async t => {
  const peer = await callerPeer()
  t.teardown(() => peer.close())
  const human = await startHumanSipp('human-answer.xml')
  const dead = await deadPort()
  const queried: string[] = []
  const nodata = (): Error => Object.assign(new Error('ENODATA'), { code: 'ENODATA' })
  const dns: DnsLookup = {
    resolveSrv: async n => {
      queried.push(n)
      if (n !== '_sip._tcp.humans.test') throw nodata()
      return [{ name: '127.0.0.1', port: dead, priority: 10, weight: 0 }, { name: '127.0.0.1', port: human.port, priority: 20, weight: 0 }]
    },
    resolve4: async () => { throw nodata() },
    resolve6: async () => { throw nodata() }
  }
  const { engine, server } = await gateway(t, {
    outbound: '{address: humans.test, transport: tcp, headers: [{name: X-Tenant, value: acme}]}',
    variables: '[]',
    services: { dns }
  })
  const ended = nextRecord(server, 30000)
  const convP = transferOnce(engine)
  await runCaller(server, peer, 5000)
  const conv = await convP
  t.match(conv.toolResults, [{ tool_call_id: 'xfer-1', ok: true }], 'bridged with the second target')
  t.ok(queried.includes('_sip._tcp.humans.test'), `SRV asked for _sip._tcp (no port configured): ${queried.join(', ')}`)
  const h = await human.done
  t.equal(h.code, 0, `the human answered and got our BYE ${h.errors.slice(0, 800)}`)
  t.match(await ended, { outcome: 'transferred', transfer: { type: 'conference', result: 'succeeded', sipStatus: 200 } })
})
