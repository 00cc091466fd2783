// Real peer: SIPp over TCP against the in-process server (loopback, ephemeral ports).
import t from 'tap'
import { StaticAnswerCallHandler } from '../../src/call/static-answer-handler'
import type { CallHandler } from '../../src/call/call-handler'
import { startServer } from '../../src/server'
import { testConfig } from './helpers'
import { describeRun, runSipp } from './sipp-runner'
import { replay } from './torture-client'

/** +15550199 rings and never answers (for CANCEL); every other number gets the static answer. */
function handler (answered: string[]): CallHandler {
  const answer = new StaticAnswerCallHandler({ onAnswered: call => answered.push(call.phoneNumber) })
  return {
    handleInvite: call => {
      if (call.phoneNumber === '+15550199') { call.ringing(); return }
      return answer.handleInvite(call)
    }
  }
}

async function waitFor (cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 20))
  return cond()
}

t.test('SIPp over TCP', async t => {
  const answered: string[] = []
  const server = await startServer(testConfig(), { callHandler: handler(answered) })
  t.teardown(() => server.close())
  const target = { host: '127.0.0.1', port: server.ports.tcp! }
  t.ok(target.port > 0, 'ephemeral TCP port bound')

  await t.test('basic call: INVITE -> 100/180 -> 200 (sendrecv PCMU) -> ACK -> BYE -> 200', async t => {
    const r = await runSipp({ scenario: 'uac-basic.xml', target, service: '+15550100', calls: 5, rate: 20, pauseMs: 50 })
    t.equal(r.exitCode, 0, describeRun(r))
    t.equal(r.successfulCalls, 5)
    t.equal(r.failedCalls, 0)
    t.same(answered, Array(5).fill('+15550100'), 'each call reached the call handler with the routed number')
    t.ok(await waitFor(() => server.activeCalls() === 0), 'every capacity slot released after BYE')
  })

  await t.test('unknown number -> 404 (and "15550100" without + is a different number)', async t => {
    for (const service of ['+19991234567', '15550100']) {
      const r = await runSipp({ scenario: 'uac-reject.xml', target, service, calls: 2, substitutions: { STATUS: '404' } })
      t.equal(r.exitCode, 0, `${service}: ${describeRun(r)}`)
      t.equal(r.successfulCalls, 2)
    }
    t.ok(await waitFor(() => server.activeCalls() === 0))
  })

  await t.test('CANCEL while ringing -> 200 to the CANCEL and 487 to the INVITE', async t => {
    const r = await runSipp({ scenario: 'uac-cancel.xml', target, service: '+15550199', calls: 3, rate: 10 })
    t.equal(r.exitCode, 0, describeRun(r))
    t.equal(r.successfulCalls, 3)
    t.ok(await waitFor(() => server.activeCalls() === 0), 'canceled calls release their slot')
  })

  await t.test('OPTIONS keep-alive -> 200 with Allow, Accept, Supported', async t => {
    const r = await runSipp({ scenario: 'uac-options.xml', target, calls: 3 })
    t.equal(r.exitCode, 0, describeRun(r))
    t.equal(r.successfulCalls, 3)
  })
})

t.test('a 404 scenario fails when the server answers the call (the assertion can fail)', async t => {
  // Own server: the answered call stays up waiting for the ACK SIPp never sends.
  const server = await startServer(testConfig())
  t.teardown(() => server.close())
  const r = await runSipp({ scenario: 'uac-reject.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100', calls: 1, timeoutSec: 5, substitutions: { STATUS: '404' } })
  t.not(r.exitCode, 0, 'SIPp reports the unexpected 200 as a failed call')
  t.equal(r.failedCalls, 1)
})

t.test('over capacity: 503 with Retry-After', async t => {
  const server = await startServer(testConfig({ extraSip: '  maxConcurrentCalls: 0\n  retryAfterSeconds: 7' }))
  t.teardown(() => server.close())
  const r = await runSipp({ scenario: 'uac-reject.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100', calls: 2, substitutions: { STATUS: '503' } })
  t.equal(r.exitCode, 0, describeRun(r))
  t.equal(r.successfulCalls, 2)
})

t.test('source outside every ACL: 403 (reject) on a trunk that only admits another network', async t => {
  const server = await startServer(testConfig({ trunksYaml: `
  - name: elsewhere
    inbound: {acl: [203.0.113.0/24]}` }))
  t.teardown(() => server.close())
  const r = await runSipp({ scenario: 'uac-reject.xml', target: { host: '127.0.0.1', port: server.ports.tcp! }, service: '+15550100', calls: 1, substitutions: { STATUS: '403' } })
  t.equal(r.exitCode, 0, describeRun(r))
})

t.test('silent drop: a source in no ACL gets no bytes at all (not even 100 Trying), the connection stays', async t => {
  const server = await startServer(testConfig({
    extraSip: '  onUnknownSource: drop',
    trunksYaml: `
  - name: elsewhere
    inbound: {acl: [203.0.113.0/24]}`
  }))
  t.teardown(() => server.close())
  const invite = Buffer.from([
    'INVITE sip:+15550100@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-drop1', 'From: <sip:scan@127.0.0.1>;tag=1',
    'To: <sip:+15550100@127.0.0.1>', 'Call-ID: drop-1', 'CSeq: 1 INVITE', 'Max-Forwards: 70', 'Contact: <sip:scan@127.0.0.1:5999>',
    'Content-Length: 0', '', ''
  ].join('\r\n'))
  const r = await replay(server.ports.tcp!, invite, { expected: 99, maxMs: 1200 })
  t.equal(r.raw, '', 'nothing sent back')
  t.equal(r.closedByServer, false, 'no reaction at all, not even a close')
  t.equal(server.activeCalls(), 0)
})

t.test('Max-Forwards 0 on an INVITE to a routed number is processed as a call (RFC 4475 §3.3.11: a UAS does not answer 483)', async t => {
  const server = await startServer(testConfig({ extraSip: '  maxConcurrentCalls: 1' }))
  t.teardown(() => server.close())
  const invite = Buffer.from([
    'INVITE sip:+15550100@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-mf0', 'From: <sip:probe@127.0.0.1>;tag=mf0',
    'To: <sip:+15550100@127.0.0.1>', 'Call-ID: mf0-slot', 'CSeq: 1 INVITE', 'Contact: <sip:probe@127.0.0.1:5999;transport=tcp>',
    'Max-Forwards: 0', 'Content-Length: 0', '', ''
  ].join('\r\n'))
  const r = await replay(server.ports.tcp!, invite, { expected: 2, maxMs: 2000 })
  t.equal(r.statuses.find(s => s >= 200), 200, `answered as a call (${JSON.stringify(r.statuses)})`)
  t.equal(server.activeCalls(), 1, 'the answered call holds the one capacity slot')
})

t.test('offerless INVITE gets our offer in the 200; an unusable SDP offer is refused, not answered', async t => {
  const server = await startServer(testConfig())
  t.teardown(() => server.close())
  const invite = (callId: string, sdp: string | null): Buffer => Buffer.from([
    'INVITE sip:+15550100@127.0.0.1 SIP/2.0', `Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-${callId}`, `From: <sip:probe@127.0.0.1>;tag=${callId}`,
    'To: <sip:+15550100@127.0.0.1>', `Call-ID: ${callId}`, 'CSeq: 1 INVITE', 'Max-Forwards: 70', 'Contact: <sip:probe@127.0.0.1:5999;transport=tcp>',
    ...(sdp === null ? ['Content-Length: 0', '', ''] : ['Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(sdp)}`, '', sdp])
  ].join('\r\n'))
  const late = await replay(server.ports.tcp!, invite('late-offer', null), { expected: 3, maxMs: 3000 })
  t.equal(late.statuses.at(-1), 200, `late offer answered (${JSON.stringify(late.statuses)})`)
  t.match(late.raw, /\r\nm=audio \d+ RTP\/AVP 0 101\r\n/, '200 carries our PCMU offer')
  const bad = await replay(server.ports.tcp!, invite('bad-sdp', 'this is not sdp\r\n'), { expected: 3, maxMs: 3000 })
  const final = bad.statuses.at(-1)!
  t.ok(final === 400 || final === 488, `garbage SDP refused with 400/488 (got ${JSON.stringify(bad.statuses)})`)
  const video = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 4000 RTP/AVP 31\r\n'
  const noAudio = await replay(server.ports.tcp!, invite('no-audio', video), { expected: 3, maxMs: 3000 })
  t.equal(noAudio.statuses.at(-1), 488, `offer without audio -> 488 (got ${JSON.stringify(noAudio.statuses)})`)
})
