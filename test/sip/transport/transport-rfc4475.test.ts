// Every RFC 4475 torture message replayed through a real TCP connection into the transport. What is
// asserted here is the transport's part: framing, delivery, and that a broken request is answered on
// its own connection. The full-stack outcomes (404/416/420 …) are the server's tests.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import type { SipMessage } from '../../../src/sip/message/types'
import type { SipError } from '../../../src/sip/sip-error'
import type { TransportSource } from '../../../src/sip/transport/transport-types'
import { RawClient, TORTURE_DIR, collect, startTransport, statusCodes, waitFor } from './helpers'

interface ManifestRow { file: string, section: string, cls: string, expected: string }

const manifest: ManifestRow[] = fs.readFileSync(path.join(TORTURE_DIR, 'MANIFEST.tsv'), 'utf8')
  .split('\n').slice(1).filter(l => l.trim())
  .map(l => { const [file, section, , cls, expected] = l.split('\t'); return { file, section, cls, expected } })

/** Over a stream these cannot be framed (RFC 3261 §18.3): answered with 400 (if possible) and closed. */
const FRAMING_400 = new Set(['ncl.dat', 'mcl01.dat', 'inv2543.dat' /* no Content-Length: RFC 2543 syntax, mandatory on TCP */])
/** These never complete: the read timeout closes them without a response. */
const READ_TIMEOUT = new Set(['clerr.dat', 'baddn.dat'])
/** Syntactically broken or semantically odd: the parser may reject (then the transport answers) or pass on. */
const EITHER = new Set(['insuf.dat', 'multi01.dat', 'badbranch.dat', 'test.dat'])

const files = fs.readdirSync(TORTURE_DIR).filter(f => f.endsWith('.dat')).sort()

t.test('the manifest describes every .dat file', async t => {
  t.same(manifest.map(r => r.file).sort(), files)
})

t.test('RFC 4475 replay over TCP', async t => {
  const READ_TIMEOUT_MS = 600
  const tl = await startTransport({ limits: { headerReadTimeoutMs: READ_TIMEOUT_MS } })
  t.teardown(() => tl.close())
  const messages = collect<[SipMessage, TransportSource]>(tl, 'message')
  const errors = collect<[SipError, TransportSource, string | undefined]>(tl, 'parseError')

  await Promise.all(manifest.map(row => t.test(`${row.file} (§${row.section}, ${row.cls})`, async t => {
    const wire = fs.readFileSync(path.join(TORTURE_DIR, row.file))
    const c = await RawClient.connect(tl.localAddressFor('tcp').port)
    t.teardown(() => c.destroy())
    const port = c.socket.localPort // undefined once the socket is closed
    const mine = (): Array<[SipMessage, TransportSource]> => messages.filter(([, s]) => s.remotePort === port)
    const myErrors = (): Array<[SipError, TransportSource, string | undefined]> => errors.filter(([, s]) => s.remotePort === port)
    const started = Date.now()
    c.write(wire)

    if (FRAMING_400.has(row.file)) {
      await c.untilClosed(3000)
      t.same(statusCodes(c.text), [400], 'one 400 then close')
      t.equal(mine().length, 0)
      t.equal(myErrors().length, 1)
      t.ok(myErrors()[0][0].closeConnection)
      return
    }
    if (READ_TIMEOUT.has(row.file)) {
      await c.untilClosed(READ_TIMEOUT_MS + 3000)
      t.ok(Date.now() - started >= READ_TIMEOUT_MS - 50, 'closed by the read timeout, not at once')
      t.equal(c.text, '', 'no response')
      t.equal(mine().length + myErrors().length, 0)
      return
    }

    if (row.file === 'dblreq.dat') {
      // Over TCP the INVITE is a second framed message. Its body is 5 octets longer than its
      // Content-Length (150): the leftover "C\r\n\r\n" is a header section with no start line worth
      // answering and no Content-Length, so framing is lost and the connection closes, unanswered.
      await c.untilClosed(3000)
      t.same(mine().map(([m]) => m.kind === 'request' ? m.method : ''), ['REGISTER', 'INVITE'])
      t.same(myErrors().map(([e, , line]) => [e.code, line]), [['SIP_ERR_MISSING_CONTENT_LENGTH', 'C']])
      t.equal(c.text, '', 'no response to the leftover octets')
      return
    }
    const expected = 1
    await waitFor(() => mine().length + myErrors().length >= expected, 3000, 'message or parseError')
    if (row.cls.startsWith('valid') && !EITHER.has(row.file)) {
      t.equal(mine().length, expected, `${expected} message event(s): ${myErrors()[0]?.[0].message ?? ''}`)
    } else if (row.cls.startsWith('semantic') && !EITHER.has(row.file)) {
      t.equal(mine().length, 1, `parses: semantics are for the layers above (${myErrors()[0]?.[0].message ?? ''})`)
    } else {
      t.equal(mine().length + myErrors().length, 1, 'exactly one outcome')
    }
    for (const [err, , startLine] of myErrors()) {
      const isRequest = !/^SIP\//.test(startLine ?? '')
      if (isRequest) {
        await c.until(() => statusCodes(c.text).length > 0 || c.closed, 3000, 'error response')
        t.same(statusCodes(c.text), [err.status], `answered ${err.status} on its own connection (${err.code})`)
      } else {
        await new Promise(resolve => setTimeout(resolve, 50))
        t.equal(c.text, '', 'broken response dropped, never answered')
      }
      if (!err.closeConnection) t.notOk(c.closed, 'framing intact: connection stays open')
    }
  })))
})
