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

import { E } from './rfc4475-expectations'

const dir = path.resolve(__dirname, '..', '..', 'test', 'vectors', 'sip', 'rfc4475')

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
