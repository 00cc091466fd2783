// Every RFC 4475 torture message from test/vectors/sip/rfc4475/MANIFEST.tsv, with the
// parse-level outcome the manifest gives. Where the final answer is decided above the parser (416, 420,
// 415, 501 for an unknown method, 401/405, 406 …), the test asserts that the parser accepts the message
// and exposes exactly what that layer needs, and names the layer in `decidedBy`.

import t, { type Test } from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { parseMessage, SipParseError } from '../../../src/sip/parser/parser'
import { serializeMessage } from '../../../src/sip/parser/serializer'
import { findHeaderEnd, readContentLength } from '../../../src/sip/parser/framing'
import { SipError } from '../../../src/sip/sip-error'
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message/types'
import {
  getCallId, getContacts, getCSeq, getFrom, getHeader, getHeaders, getMaxForwards, getTo, getVias
} from '../../../src/sip/message/headers'
import { parseUri, uriEquals } from '../../../src/sip/message/uri'

const dir = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors', 'sip', 'rfc4475')

function load (file: string): Buffer {
  return fs.readFileSync(path.join(dir, file))
}

function req (m: SipMessage): SipRequest {
  if (m.kind !== 'request') throw new Error('expected a request')
  return m
}

function res (m: SipMessage): SipResponse {
  if (m.kind !== 'response') throw new Error('expected a response')
  return m
}

interface Accept {
  accept: (t: Test, m: SipMessage) => void
  /** The layer that gives the final answer when it is not "process normally". */
  decidedBy?: string
}
interface Reject {
  status: number
  code: string
  close?: boolean
  /** Responses are never answered: any SipError means "drop" to the transport. */
  drop?: boolean
}

const expectations: Record<string, Accept | Reject> = {
  // ---- 3.1.1 valid messages
  'wsinv.dat': {
    accept: (t, m) => {
      t.equal(getMaxForwards(m), 68, 'Max-Forwards 0068 reads as 68')
      t.same(getCSeq(m), { seq: 9, method: 'INVITE' }, 'folded CSeq 0009 INVITE')
      t.equal(getCallId(m), 'wsinv.ndaksdj@192.0.2.1')
      const to = getTo(m)
      t.equal(to.params.get('tag'), '1918181833n', 'LWS around ; and = in To')
      const from = getFrom(m)
      t.equal(from.displayName, 'J Rosenberg \\"', 'quoted-pairs resolved in the display name')
      t.equal(from.params.get('tag'), '98asjd8', 'tag on a folded continuation line')
      const vias = getVias(m)
      t.equal(vias.length, 3, 'three Via values over two header fields')
      t.match(vias[0], { protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.2', branch: '390skdjuw' })
      t.match(vias[1], { transport: 'TCP', host: 'spindle.example.com', branch: 'z9hG4bK9ikj8' })
      t.match(vias[2], { transport: 'UDP', host: '192.168.255.111', branch: 'z9hG4bK30239' })
      t.equal(getHeader(m, 'Subject'), '', 'empty Subject (s :) kept')
      t.equal(getHeader(m, 'NewFangledHeader'), 'newfangled value continued newfangled value', 'unknown header unfolded')
      t.equal(getHeader(m, 'UnknownHeaderWithUnusualValue'), ';;,,;;,;', 'unknown header value kept verbatim')
      const contact = getContacts(m)
      t.equal(contact.length, 1)
      t.equal(contact[0]?.displayName, 'Quoted string ""')
      t.equal(contact[0]?.params.get('newparam'), 'newvalue')
      t.equal(contact[0]?.params.get('secondparam'), null)
      t.equal(contact[0]?.params.get('q'), '0.33')
      t.equal(getHeaders(m, 'Route').length, 1)
      t.equal(m.body.length, 150)
    }
  },
  'intmeth.dat': {
    accept: (t, m) => {
      const r = req(m)
      t.equal(r.method, "!interesting-Method0123456789_*+`.%indeed'~")
      t.equal(getCSeq(m).method, r.method)
      const ruri = parseUri(r.uri)
      t.equal(ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
      t.equal(ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
      t.equal(ruri.host, 'example.com')
      t.equal(getTo(m).displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f', 'escaped BEL, NUL and DEL in a quoted string')
      const from = getFrom(m)
      t.equal(from.displayName, "token1~` token2'+_ token3*%!.-")
      t.equal(from.params.get('tag'), "_token~1'+`*%!-.")
      t.equal(from.params.get("fromparam''~+*_!.-%"), '"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439"', 'UTF-8 quoted value kept with its quotes')
      t.ok((getHeader(m, "extensionHeader-!.%*+_`'~") ?? '').startsWith('\ufeff'), 'UTF-8 value starting with a BOM')
      t.equal(getVias(m)[0]?.transport, 'TCP')
      t.equal(getCallId(m), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{', 'Call-ID with quote and brackets is one word')
    }
  },
  'esc01.dat': {
    accept: (t, m) => {
      const ruri = parseUri(req(m).uri)
      t.equal(ruri.user, 'sips:user@example.com', 'escaped : and @ in the user part')
      t.equal(getTo(m).uri.user, 'user', '%75se%72 unescapes to user')
      t.ok(uriEquals(getTo(m).uri, parseUri('sip:user@example.com')), 'equal to the unescaped form (§19.1.4)')
      t.equal(getFrom(m).uri.user, 'I have spaces')
      const c = getContacts(m)[0]
      t.equal(c?.uri.user, 'caller')
      t.ok(c?.uri.params.has('lr'), '%6C%72 is the lr parameter')
      t.equal(c?.uri.params.get('name'), 'value%41', 'n%61me=v%61lue%25%34%31')
    }
  },
  'escnull.dat': {
    accept: (t, m) => {
      t.equal(getTo(m).uri.user, 'null-\x00-null', '%00 does not truncate')
      t.equal(getFrom(m).uri.user, 'null-\x00-null')
      const users = getContacts(m).map(c => c.uri.user)
      t.same(users, ['\x00', '\x00\x00'])
      t.notOk(uriEquals(getContacts(m)[0]!.uri, getContacts(m)[1]!.uri), 'one NUL is not two NULs')
    }
  },
  'esc02.dat': {
    decidedBy: 'UA: RE%47IST%45R is not REGISTER, an unknown method answered 501',
    accept: (t, m) => {
      t.equal(req(m).method, 'RE%47IST%45R', 'the method is not unescaped')
      t.not(req(m).method, 'REGISTER')
      t.equal(getTo(m).displayName, '%Z%45', 'display name kept literally')
      t.equal(getContacts(m).length, 2, 'exactly two Contact values')
      t.equal(getHeader(m, 'C%6Fntact'), '<sip:alias2@host2.example.com>', 'C%6Fntact is an unknown header')
      t.equal(getVias(m)[0]?.branch, 'z9hG4bK209%fzsnel234')
    }
  },
  'lwsdisp.dat': {
    accept: (t, m) => {
      t.equal(getFrom(m).displayName, 'caller')
      t.equal(getFrom(m).uri.user, 'caller')
    }
  },
  'longreq.dat': {
    accept: (t, m) => {
      const vias = getVias(m)
      t.equal(vias.length, 34, 'every Via spelling is a Via')
      t.ok((getTo(m).displayName ?? '').length > 100, 'long display name')
      t.equal(getTo(m).uri.port, 6000)
      t.equal(getTo(m).uri.params.size, 3, 'three long URI parameters')
      t.ok([...getTo(m).uri.params.keys()].some(k => k.length > 90 && k.endsWith('parameternamewithnovalue')), 'long valueless parameter name')
      t.ok(getFrom(m).uri.user!.length > 100, 'long user part')
      t.ok(getFrom(m).params.get('tag')!.length > 100, 'long tag')
      t.ok(getCallId(m).length > 100, 'long Call-ID')
      t.equal(m.body.length, 150)
    }
  },
  'dblreq.dat': {
    accept: (t, m) => {
      t.equal(req(m).method, 'REGISTER', 'the first message is the one parsed')
      t.equal(m.body.length, 0, 'Content-Length 0: the trailing INVITE octets are not body')
      t.equal(getCallId(m), 'dblreq.0ha0isndaksdj99sdfafnl3lk233412')
    }
  },
  'semiuri.dat': {
    accept: (t, m) => {
      const ruri = parseUri(req(m).uri)
      t.equal(ruri.user, 'user;par=u@example.net', "';' belongs to the user part")
      t.equal(ruri.host, 'example.com')
      t.equal(ruri.params.size, 0)
      t.same(getHeaders(m, 'Accept'), ['application/sdp', 'application/pkcs7-mime', 'multipart/mixed',
        'multipart/signed', 'message/sip', 'message/sipfrag'])
    }
  },
  'transports.dat': {
    accept: (t, m) => {
      t.same(getVias(m).map(v => v.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'])
    }
  },
  'mpart01.dat': {
    accept: (t, m) => {
      t.match(getHeader(m, 'Content-Type'), /^multipart\/mixed;boundary=7a9cbec02ceef655/)
      t.equal(m.body.length, Number(getHeader(m, 'Content-Length')))
      const raw = load('mpart01.dat')
      t.ok(raw.subarray(raw.length - m.body.length).equals(m.body), 'body is the raw octets')
      t.ok(m.body.includes(Buffer.from([0x0a])) && m.body.some((b, i) => b === 0x0a && m.body[i - 1] !== 0x0d), 'contains bare LF octets')
    }
  },
  'unreason.dat': {
    accept: (t, m) => {
      t.equal(res(m).status, 200)
      t.ok(res(m).reason.startsWith('= 2**3 * 5**2 '), 'reason phrase kept')
      t.ok(/[\u0400-\u04ff]/.test(res(m).reason), 'UTF-8 decoded')
    }
  },
  'noreason.dat': {
    accept: (t, m) => {
      t.equal(res(m).status, 100)
      t.equal(res(m).reason, '', 'empty reason phrase')
    }
  },
  // ---- 3.1.2 invalid messages
  'badinv01.dat': { status: 400, code: 'SIP_ERR_BAD_PARAM' },
  'clerr.dat': { status: 400, code: 'SIP_ERR_INCOMPLETE_BODY' },
  'ncl.dat': { status: 400, code: 'SIP_ERR_BAD_CONTENT_LENGTH', close: true },
  'scalar02.dat': { status: 400, code: 'SIP_ERR_BAD_CSEQ' },
  'scalarlg.dat': { status: 400, code: 'SIP_ERR_BAD_CSEQ', drop: true },
  'quotbal.dat': { status: 400, code: 'SIP_ERR_UNTERMINATED_QUOTE' },
  'ltgtruri.dat': { status: 400, code: 'SIP_ERR_BAD_URI' },
  'lwsruri.dat': { status: 400, code: 'SIP_ERR_BAD_START_LINE' },
  'lwsstart.dat': { status: 400, code: 'SIP_ERR_BAD_START_LINE' },
  'trws.dat': { status: 400, code: 'SIP_ERR_BAD_START_LINE' },
  'escruri.dat': { status: 400, code: 'SIP_ERR_BAD_REQUEST_URI' },
  'baddate.dat': {
    decidedBy: 'nobody: Date is informational for a B2BUA and is ignored',
    accept: (t, m) => { t.equal(getHeader(m, 'Date'), 'Fri, 01 Jan 2010 16:00:00 EST', 'Date kept as one value') }
  },
  'regbadct.dat': { status: 400, code: 'SIP_ERR_BAD_NAME_ADDR' },
  'badaspec.dat': { status: 400, code: 'SIP_ERR_BAD_URI' },
  // The archive file lacks the final empty line; the display-name error itself is checked below with CRLF added.
  'baddn.dat': { status: 400, code: 'SIP_ERR_INCOMPLETE_MESSAGE' },
  'badvers.dat': { status: 505, code: 'SIP_ERR_VERSION_NOT_SUPPORTED' },
  'mismatch01.dat': { status: 400, code: 'SIP_ERR_CSEQ_METHOD_MISMATCH' },
  'mismatch02.dat': { status: 501, code: 'SIP_ERR_METHOD_NOT_IMPLEMENTED' },
  'bigcode.dat': { status: 400, code: 'SIP_ERR_BAD_STATUS_CODE', drop: true },
  // ---- 3.2 transaction layer
  'badbranch.dat': {
    decidedBy: 'transaction layer: branch "z9hG4bK" alone falls back to RFC 2543 matching',
    accept: (t, m) => { t.equal(getVias(m)[0]?.branch, 'z9hG4bK') }
  },
  // ---- 3.3 application layer semantics
  'insuf.dat': { status: 400, code: 'SIP_ERR_MISSING_HEADER' },
  'unkscm.dat': {
    decidedBy: 'UA: 416 Unsupported URI Scheme',
    accept: (t, m) => {
      const u = parseUri(req(m).uri)
      t.equal(u.scheme, 'nobodyknowsthisscheme')
      t.equal(u.opaque, 'totallyopaquecontent')
    }
  },
  'novelsc.dat': {
    decidedBy: 'UA: 416 Unsupported URI Scheme',
    accept: (t, m) => {
      const u = parseUri(req(m).uri)
      t.equal(u.scheme, 'soap.beep')
      t.equal(u.opaque, '//192.0.2.103:3002')
    }
  },
  'unksm2.dat': {
    decidedBy: 'registrar (none here): 400 for a non-SIP To; a UA processes it',
    accept: (t, m) => {
      t.equal(getTo(m).uri.scheme, 'isbn')
      t.equal(getFrom(m).uri.scheme, 'http')
      t.equal(getContacts(m)[0]?.uri.scheme, 'name')
      t.equal(getContacts(m)[0]?.uri.opaque, 'John_Smith')
    }
  },
  'bext01.dat': {
    decidedBy: 'UA: 420 Bad Extension with Unsupported listing the Require tags',
    accept: (t, m) => {
      t.same(getHeaders(m, 'Require'), ['nothingSupportsThis', 'nothingSupportsThisEither'])
      t.same(getHeaders(m, 'Proxy-Require'), ['noProxiesSupportThis', 'norDoAnyProxiesSupportThis'])
    }
  },
  'invut.dat': {
    decidedBy: 'UA: 415 Unsupported Media Type with Accept',
    accept: (t, m) => {
      t.equal(getHeader(m, 'Content-Type'), 'application/unknownformat')
      t.equal(m.body.length, 40)
    }
  },
  'regaut01.dat': {
    decidedBy: 'UA/auth: 401 with a Digest challenge (or 405 REGISTER)',
    accept: (t, m) => { t.equal(getHeader(m, 'Authorization'), 'NoOneKnowsThisScheme opaque-data=here') }
  },
  'multi01.dat': { status: 400, code: 'SIP_ERR_MULTIPLE_VALUES' },
  'mcl01.dat': { status: 400, code: 'SIP_ERR_BAD_CONTENT_LENGTH', close: true },
  'bcast.dat': {
    decidedBy: 'transaction layer: a response whose second Via is broadcast is discarded, never sent there',
    accept: (t, m) => {
      t.equal(res(m).status, 200)
      t.equal(getVias(m)[1]?.host, '255.255.255.255')
    }
  },
  'zeromf.dat': {
    decidedBy: 'UA processes normally (Max-Forwards 0 only stops proxies)',
    accept: (t, m) => { t.equal(getMaxForwards(m), 0) }
  },
  'cparam01.dat': {
    accept: (t, m) => {
      const c = getContacts(m)[0]!
      t.ok(c.params.has('unknownparam'), 'without <> it is a contact parameter')
      t.notOk(c.uri.params.has('unknownparam'))
      t.equal(c.uri.user, '+19725552222')
    }
  },
  'cparam02.dat': {
    accept: (t, m) => {
      const c = getContacts(m)[0]!
      t.ok(c.uri.params.has('unknownparam'), 'inside <> it is a URI parameter')
      t.notOk(c.params.has('unknownparam'))
    }
  },
  'regescrt.dat': {
    decidedBy: 'registrar: store the Contact with its escaped Route header',
    accept: (t, m) => {
      const c = getContacts(m)[0]!
      t.equal(c.uri.headers.get('Route'), '<sip:sip.example.com>', 'escaped Route stays inside the URI')
      t.equal(getHeaders(m, 'Route').length, 0, 'and never becomes a real Route header')
    }
  },
  'sdp01.dat': {
    decidedBy: 'UA/SDP: 406 Not Acceptable, Accept lists nothing we send',
    accept: (t, m) => { t.same(getHeaders(m, 'Accept'), ['text/nobodyKnowsThis']) }
  },
  'inv2543.dat': {
    decidedBy: 'transaction layer: no magic cookie, RFC 2543 matching',
    accept: (t, m) => {
      t.equal(getVias(m)[0]?.branch, null, 'no branch')
      t.notOk(getFrom(m).params.has('tag'), 'no From tag')
      t.equal(getMaxForwards(m), null, 'no Max-Forwards')
      t.equal(getHeader(m, 'Content-Length'), undefined, 'no Content-Length: body is the rest of the datagram')
      t.ok(m.body.toString().startsWith('v=0\r\n'))
      t.notOk(getTo(m).uri.params.has('user'), 'To without <>: ;user=phone is a header param')
      t.equal(getTo(m).params.get('user'), 'phone')
    }
  },
  'test.dat': { status: 400, code: 'SIP_ERR_BAD_START_LINE' }
}

function isReject (e: Accept | Reject): e is Reject {
  return 'status' in e
}

/** parse → serialize → parse gives the same message (Content-Length is always rewritten). */
function assertRoundTrip (t: Test, m: SipMessage): void {
  const again = parseMessage(serializeMessage(m))
  const strip = (x: SipMessage): unknown => ({
    ...x,
    headers: x.headers.filter(h => h.name !== 'Content-Length'),
    body: x.body.toString('hex')
  })
  t.same(strip(again), strip(m), 'serialize → parse round-trips')
}

const manifest = fs.readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1).filter(l => l.trim().length > 0)

t.test('every manifest entry has an expectation', async t => {
  const files = manifest.map(l => l.split('\t')[0])
  t.equal(files.length, 50)
  t.same(files.filter(f => f !== undefined && !(f in expectations)), [])
  t.same(Object.keys(expectations).filter(f => !files.includes(f)), [])
})

for (const line of manifest) {
  const [file, section, title, klass] = line.split('\t')
  if (file === undefined) continue
  const e = expectations[file]
  t.test(`${file} (RFC 4475 §${section ?? ''} ${title ?? ''}, ${klass ?? ''})`, async t => {
    if (e === undefined) { t.fail('no expectation'); return }
    const buf = load(file)
    if (isReject(e)) {
      const err = t.throws(() => parseMessage(buf)) as unknown
      t.ok(err instanceof SipError, 'throws a SipError')
      const se = err as SipError
      t.equal(se.status, e.status, `status ${e.status}`)
      t.equal(se.code, e.code)
      t.equal(se.closeConnection, e.close ?? false, e.close === true ? 'framing lost: close the connection' : 'connection survives')
      if (e.drop === true) t.ok(buf.toString('latin1').startsWith('SIP/2.0 '), 'a response: the caller drops it')
      return
    }
    const m = parseMessage(buf)
    e.accept(t, m)
    assertRoundTrip(t, m)
    if (e.decidedBy !== undefined) t.comment(`final answer decided by ${e.decidedBy}`)
  })
}

t.test('baddn with its missing empty line restored: non-token display name splits into two From values', async t => {
  const buf = Buffer.concat([load('baddn.dat'), Buffer.from('\r\n')])
  const err = t.throws(() => parseMessage(buf)) as SipError
  t.equal(err.status, 400)
  t.equal(err.code, 'SIP_ERR_MULTIPLE_VALUES')
})

t.test('errors found after the header section is split carry the partial message (to answer the 400)', async t => {
  const err = t.throws(() => parseMessage(load('mismatch01.dat'))) as SipParseError
  t.ok(err instanceof SipParseError)
  t.ok(err.partial !== null)
  t.equal(getCallId(err.partial!), 'mismatch01.dj0234sxdfl3')
  t.equal(getVias(err.partial!)[0]?.branch, 'z9hG4bKkdjuw')
  const early = t.throws(() => parseMessage(load('lwsstart.dat'))) as SipParseError
  t.equal(early.partial, null, 'a bad start line leaves nothing to answer with')
})

t.test('dblreq over a stream: the second message frames and parses on its own', async t => {
  const buf = load('dblreq.dat')
  const first = parseMessage(buf)
  const headerText = buf.toString('latin1')
  const secondStart = headerText.indexOf('INVITE ')
  t.ok(secondStart > 0)
  const second = parseMessage(buf.subarray(secondStart))
  t.equal(req(second).method, 'INVITE')
  t.equal(second.body.length, 150)
  t.equal(getTo(second).uri.user, 'joe', 'compact t: is To')
  t.not(getCallId(first), getCallId(second))
})

t.test('stream framing view of the Content-Length traps (readContentLength)', async t => {
  const framed = (file: string): number | null => {
    const buf = load(file)
    return readContentLength(buf, 0, findHeaderEnd(buf))
  }
  t.equal(framed('clerr.dat'), 9999, 'clerr: a TCP framer waits for 9999 octets (then times out)')
  t.throws(() => framed('ncl.dat'), { status: 400, code: 'SIP_ERR_BAD_CONTENT_LENGTH', closeConnection: true }, 'ncl: -999 is never used as a length')
  t.throws(() => framed('mcl01.dat'), { status: 400, code: 'SIP_ERR_BAD_CONTENT_LENGTH', closeConnection: true }, 'mcl01: two lengths, framing lost')
  t.equal(framed('dblreq.dat'), 0, 'dblreq: the REGISTER ends after its header section')
  t.equal(framed('inv2543.dat'), null, 'inv2543: no Content-Length')
})
