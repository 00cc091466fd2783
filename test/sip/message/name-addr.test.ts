import t from 'tap'
import { formatNameAddr, parseNameAddr } from '../../../src/sip/message/name-addr'
import { SipError } from '../../../src/sip/sip-error'

t.test('name-addr forms (RFC 3261 §20.10, §25.1)', async t => {
  const rows: Array<[string, string | null, string, Array<[string, string | null]>]> = [
    ['"Bob" <sip:bob@biloxi.com>;tag=a6c85cf', 'Bob', 'bob', [['tag', 'a6c85cf']]],
    ['Bob <sip:bob@biloxi.com>', 'Bob', 'bob', []],
    ['caller<sip:caller@example.com>;tag=323', 'caller', 'caller', [['tag', '323']]],
    ['<sip:bob@biloxi.com>', null, 'bob', []],
    ['sip:bob@biloxi.com;tag=1928301774', null, 'bob', [['tag', '1928301774']]],
    ['sip:bob@biloxi.com ;   tag    = 1918181833n', null, 'bob', [['tag', '1918181833n']]],
    ['"A \\"quoted\\" name" <sip:a@b>', 'A "quoted" name', 'a', []],
    ['"" <sip:a@b>', '', 'a', []],
    ['"Joe" <sip:joe@example.org>;expires=3600;q=0.7;+sip.instance="<urn:uuid:f81d4fae>"', 'Joe', 'joe',
      [['expires', '3600'], ['q', '0.7'], ['+sip.instance', '"<urn:uuid:f81d4fae>"']]],
    ['<sip:a@b;lr>;Tag=X', null, 'a', [['tag', 'X']]]
  ]
  for (const [text, displayName, user, params] of rows) {
    const n = parseNameAddr(text)
    t.equal(n.displayName, displayName, `${text}: display name`)
    t.equal(n.uri.user, user, `${text}: user`)
    t.same([...n.params], params, `${text}: header params`)
  }
})

t.test('addr-spec without <>: ;params belong to the header, not the URI (RFC 3261 §20.10)', async t => {
  const n = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam')
  t.ok(n.params.has('unknownparam'))
  t.equal(n.uri.params.size, 0)
  const inside = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>')
  t.ok(inside.uri.params.has('unknownparam'))
  t.equal(inside.params.size, 0)
})

t.test('Contact: * (RFC 3261 §10.2.2)', async t => {
  const n = parseNameAddr('*')
  t.equal(n.star, true)
  t.equal(formatNameAddr(n), '*')
})

t.test('unknown schemes are accepted in name-addr (RFC 4475 §3.3.4)', async t => {
  t.equal(parseNameAddr('<http://www.example.com>;tag=3234233').uri.scheme, 'http')
  t.equal(parseNameAddr('isbn:2983792873').uri.opaque, '2983792873')
})

t.test('malformed name-addr values are a 400', async t => {
  const bad: Array<[string, string]> = [
    ['"Mr. J. User <sip:j.user@example.com>', 'SIP_ERR_UNTERMINATED_QUOTE'],
    ['"Watson, Thomas" < sip:t.watson@example.org >', 'SIP_ERR_BAD_URI'],
    ['sip:user@example.com?Route=%3Csip:sip.example.com%3E', 'SIP_ERR_BAD_NAME_ADDR'],
    ['"Joe" sip:joe@example.org', 'SIP_ERR_BAD_NAME_ADDR'],
    ['<sip:joe@example.org', 'SIP_ERR_BAD_NAME_ADDR'],
    ['"Joe" <sip:joe@example.org>;;;;', 'SIP_ERR_BAD_PARAM'],
    ['<sip:joe@example.org>;tag=', 'SIP_ERR_BAD_PARAM'],
    ['<sip:joe@example.org> junk', 'SIP_ERR_BAD_PARAM'],
    ['', 'SIP_ERR_BAD_NAME_ADDR'],
    ['sip:a@b c', 'SIP_ERR_BAD_PARAM']
  ]
  for (const [text, code] of bad) {
    try {
      parseNameAddr(text)
      t.fail(`accepted ${text}`)
    } catch (err) {
      t.ok(err instanceof SipError, text)
      t.match(err, { status: 400, code }, `${text} → ${code}`)
    }
  }
})

t.test('formatNameAddr writes the <> form, quotes and escapes display names, and round-trips', async t => {
  const n = parseNameAddr('"BEL:\\\x07 NUL:\\\x00 q:\\"" <sip:a@b>;tag=1')
  t.equal(n.displayName, 'BEL:\x07 NUL:\x00 q:"')
  const text = formatNameAddr(n)
  t.equal(text, '"BEL:\\\x07 NUL:\\\x00 q:\\"" <sip:a@b>;tag=1')
  t.same(parseNameAddr(text), n)
  t.equal(formatNameAddr(parseNameAddr('sip:bob@biloxi.com;tag=x')), '<sip:bob@biloxi.com>;tag=x', 'addr-spec gains <>')
  t.equal(formatNameAddr({ displayName: 'Evil\r\nVia: x', uri: parseNameAddr('<sip:a@b>').uri, params: new Map() }),
    '"EvilVia: x" <sip:a@b>', 'CR/LF can never be written into a display name')
})
