// Every RFC 4475 torture message replayed over a real TCP connection against the running server,
// each checked against the behaviour MANIFEST.tsv describes for a UAS (B2BUA inbound side).
//
// Encoding: `final` lists the final statuses the manifest allows (100 Trying is ignored); 'none'
// means no answer at all (responses are dropped, RFC 3261 §18.1.2). `close` says the server must (true)
// or must not (false) close the connection. Where the manifest allows alternatives, the one trunkgate
// gives is first and the `why` says so.
//
// Deliberate choices (documented here and in the report):
//  - trunkgate is not a registrar: every REGISTER gets 405 with Allow (regaut01, escnull, dblreq,
//    unksm2, and cparam01/cparam02/regescrt, whose manifest '200' is the answer of a registrar).
//  - Requests go to user@example.com etc., which are not configured numbers: a valid INVITE gets
//    404 (routing), so "processed normally" shows as 404.
//  - inv2543 has no Content-Length: over TCP, RFC 3261 §18.3 makes it mandatory (the message cannot be
//    framed), so it is refused with 400 and the connection closed, rather than accepted as over UDP.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { startServer } from '../../src/server'
import { testConfig } from './helpers'
import { replay } from './torture-client'
import { describeRun, runSipp } from './sipp-runner'

const dir = path.resolve(__dirname, '..', '..', 'test', 'vectors', 'sip', 'rfc4475')

interface Expectation { final: number[] | 'none'; close?: boolean; extra?: RegExp; why: string }

const E: Record<string, Expectation> = {
  'wsinv.dat': { final: [481], why: 'parses; the To tag makes it an in-dialog INVITE for an unknown dialog (§12.2.2)' },
  'intmeth.dat': { final: [501], extra: /^Allow: /m, why: 'valid syntax, unknown method -> 501 with Allow' },
  'esc01.dat': { final: [404], why: 'parses; user "sips:user@example.com" is not a configured number' },
  'escnull.dat': { final: [405], why: 'REGISTER: not a registrar' },
  'esc02.dat': { final: [501], why: 'RE%47IST%45R is an unknown method, not REGISTER' },
  'lwsdisp.dat': { final: [200], why: 'valid OPTIONS' },
  'longreq.dat': { final: [404], why: 'long values parse; unknown user' },
  'dblreq.dat': { final: [405, 404], why: 'TCP: REGISTER (CL 0) -> 405, then the INVITE is a 2nd framed message -> 404' },
  'semiuri.dat': { final: [200], why: 'valid OPTIONS (";" in the user part)' },
  'transports.dat': { final: [200], why: 'valid OPTIONS, unknown Via transports' },
  'mpart01.dat': { final: [405], why: 'MESSAGE out of dialog is not offered; the multipart body parses' },
  'unreason.dat': { final: 'none', close: false, why: 'a response: dropped' },
  'noreason.dat': { final: 'none', close: false, why: 'a response: dropped' },
  'badinv01.dat': { final: [400], why: 'extraneous header separators' },
  'clerr.dat': { final: 'none', close: true, why: 'TCP: Content-Length larger than the message -> wait, then close on the read timeout' },
  'ncl.dat': { final: [400], close: true, why: 'negative Content-Length: framing lost -> answer and close' },
  'scalar02.dat': { final: [400], why: 'overlarge scalar values' },
  'scalarlg.dat': { final: 'none', close: false, why: 'a response: dropped' },
  'quotbal.dat': { final: [400], why: 'unterminated quoted string' },
  'ltgtruri.dat': { final: [400], why: '<> around the Request-URI' },
  'lwsruri.dat': { final: [400], why: 'LWS in the Request-URI' },
  'lwsstart.dat': { final: [400], why: 'manifest: reject or tolerate; trunkgate rejects' },
  'trws.dat': { final: [400], why: 'manifest: reject or tolerate; trunkgate rejects' },
  'escruri.dat': { final: [400], why: 'manifest: 400 or ignore the escaped headers; trunkgate rejects' },
  'baddate.dat': { final: [404], why: 'Date does not matter to us: processed (unknown user)' },
  'regbadct.dat': { final: [400], why: 'manifest 400: the parser refuses the Contact before the method check' },
  'badaspec.dat': { final: [400], why: 'spaces within addr-spec: 400' },
  'baddn.dat': { final: [400], why: 'non-token display name: 400 (CRLF appended: the archive file lacks the empty line)' },
  'badvers.dat': { final: [505], why: 'SIP/7.0' },
  'mismatch01.dat': { final: [400], why: 'CSeq method differs from the request method' },
  'mismatch02.dat': { final: [501], why: 'unknown method (manifest prefers 501 over 400)' },
  'bigcode.dat': { final: 'none', close: false, why: 'a response: dropped' },
  'badbranch.dat': { final: [200], why: 'manifest: 400 or RFC 2543 matching; the OPTIONS is processed' },
  'insuf.dat': { final: [400], why: 'no Call-ID/From/To' },
  'unkscm.dat': { final: [416], why: 'unknown Request-URI scheme' },
  'novelsc.dat': { final: [416], why: 'manifest: 416 (or 404)' },
  'unksm2.dat': { final: [405], why: 'REGISTER: not a registrar' },
  'bext01.dat': { final: [420], extra: /^Unsupported: nothingSupportsThis, nothingSupportsThisEither\r$/m, why: 'Require with unknown tags' },
  'invut.dat': { final: [415], extra: /^Accept: application\/sdp/m, why: 'unknown Content-Type -> 415 with Accept' },
  'regaut01.dat': { final: [405], why: 'not a registrar: 405 (manifest)' },
  'multi01.dat': { final: [400], why: 'several values in single-value fields' },
  'mcl01.dat': { final: [400], close: true, why: 'two Content-Length values: framing lost -> answer and close' },
  'bcast.dat': { final: 'none', close: false, why: 'a response: dropped, nothing sent to 255.255.255.255' },
  'zeromf.dat': { final: [200], why: 'Max-Forwards 0 on OPTIONS: a UAS processes it normally' },
  'cparam01.dat': { final: [405], why: 'REGISTER: not a registrar (the manifest 200 is a registrar\'s)' },
  'cparam02.dat': { final: [405], why: 'REGISTER: not a registrar (the manifest 200 is a registrar\'s)' },
  'regescrt.dat': { final: [405], why: 'REGISTER: not a registrar (the manifest 200 is a registrar\'s)' },
  'sdp01.dat': { final: [406], extra: /^Warning: 399 /m, why: 'Accept excludes application/sdp -> 406 with Warning 399' },
  'inv2543.dat': { final: [400], close: true, why: 'no Content-Length on TCP (§18.3): cannot be framed -> 400 and close' },
  'test.dat': { final: [400], why: 'Request-Line without SIP-Version' }
}

t.test('RFC 4475 torture messages over TCP', async t => {
  const server = await startServer(testConfig({ extraSip: '  limits: {headerReadTimeoutMs: 1500}' }))
  t.teardown(() => server.close())
  const port = server.ports.tcp!
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.dat')).sort()
  t.same(files.filter(f => !E[f]), [], 'every .dat file in the archive has an expectation')
  t.same(Object.keys(E).filter(f => !files.includes(f)), [], 'no expectation for a missing file')
  const manifest = fs.readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8')
  for (const f of files) t.match(manifest, new RegExp(`^${f.replace('.', '\\.')}\\t`, 'm'), `${f} is in MANIFEST.tsv`)

  // Calls in progress on their own connection while the torture runs: someone else's bad input
  // (including the messages that make the server close a connection) must not drop them.
  const liveCalls = runSipp({ scenario: 'uac-basic.xml', target: { host: '127.0.0.1', port }, service: '+15550100', calls: 3, rate: 10, pauseMs: 4000, timeoutSec: 30 })

  // Replayed four at a time: each on its own connection, so they are independent.
  const results = new Map<string, Awaited<ReturnType<typeof replay>>>()
  for (let i = 0; i < files.length; i += 4) {
    await Promise.all(files.slice(i, i + 4).map(async f => {
      let bytes = fs.readFileSync(path.join(dir, f))
      if (f === 'baddn.dat') bytes = Buffer.concat([bytes, Buffer.from('\r\n')])
      const exp = E[f]
      const expected = exp.final === 'none' ? 99 : exp.final.length
      results.set(f, await replay(port, bytes, { expected, maxMs: exp.final === 'none' ? 2500 : 4000 }))
    }))
  }
  for (const f of files) {
    const exp = E[f]
    const r = results.get(f)!
    const finals = r.statuses.filter(s => s >= 200)
    const label = `${f}: ${exp.why}`
    if (exp.final === 'none') {
      t.same(r.statuses, [], `${label} (got ${JSON.stringify(r.statuses)})`)
    } else {
      t.same(finals, exp.final, `${label} (got ${JSON.stringify(r.statuses)})`)
    }
    if (exp.close !== undefined) t.equal(r.closedByServer, exp.close, `${f}: connection ${exp.close ? 'closed' : 'kept open'}`)
    if (exp.extra) t.match(r.raw, exp.extra, `${f}: response carries ${exp.extra}`)
  }

  const live = await liveCalls
  t.equal(live.exitCode, 0, `calls up during the torture run completed: ${describeRun(live)}`)
  t.equal(live.successfulCalls, 3)

  // The server is still healthy: OPTIONS on a fresh connection.
  const options = await replay(port, Buffer.from([
    'OPTIONS sip:127.0.0.1 SIP/2.0', 'Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-after', 'From: <sip:probe@127.0.0.1>;tag=1',
    'To: <sip:127.0.0.1>', 'Call-ID: after-torture', 'CSeq: 1 OPTIONS', 'Max-Forwards: 70', 'Content-Length: 0', '', ''
  ].join('\r\n')))
  t.same(options.statuses, [200], 'still answers OPTIONS after the torture run')
  t.equal(server.activeCalls(), 0, 'no torture message left a call slot taken')
})
