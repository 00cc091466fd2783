import t from 'tap'
import { formatUri, parseUri, uriEquals } from '../../../src/sip/message/uri'
import { SipError } from '../../../src/sip/sip-error'

t.test('RFC 3261 §19.1.1 sip/sips URI components', async t => {
  const u = parseUri('sips:alice:secretword@Atlanta.COM:5061;transport=TLS;Lr?Subject=project%20x&priority=urgent')
  t.equal(u.scheme, 'sips')
  t.equal(u.user, 'alice')
  t.equal(u.password, 'secretword')
  t.equal(u.host, 'atlanta.com', 'host lower-cased')
  t.equal(u.port, 5061)
  t.same([...u.params], [['transport', 'TLS'], ['lr', null]], 'param names lower-cased, values kept')
  t.same([...u.headers], [['Subject', 'project x'], ['priority', 'urgent']], 'headers unescaped')

  const bare = parseUri('sip:example.com')
  t.same(bare, { scheme: 'sip', user: null, password: null, host: 'example.com', port: null, params: new Map(), headers: new Map() })
  t.equal(parseUri('SIP:Bob@Biloxi.com').scheme, 'sip', 'scheme lower-cased')
  t.equal(parseUri('SIP:Bob@Biloxi.com').user, 'Bob', 'user case kept')
})

t.test('IPv6 references (RFC 5118)', async t => {
  const u = parseUri('sip:[2001:DB8::10]:5070;maddr=[2001:db8::20]')
  t.equal(u.host, '2001:db8::10', 'brackets removed, lower-cased')
  t.equal(u.port, 5070)
  t.equal(u.params.get('maddr'), '[2001:db8::20]')
  t.equal(formatUri(u), 'sip:[2001:db8::10]:5070;maddr=[2001:db8::20]', 'brackets restored')
  t.equal(parseUri('sip:alice@[::1]').host, '::1')
  t.throws(() => parseUri('sip:[2001:db8::1'), { status: 400, code: 'SIP_ERR_BAD_URI' }, 'unterminated')
  t.throws(() => parseUri('sip:[xyz]'), { status: 400, code: 'SIP_ERR_BAD_URI' }, 'not an IPv6 address')
})

t.test('RFC 3261 §19.1.2 escaping: user, password, params and headers are unescaped', async t => {
  const rows: Array<[string, Partial<{ user: string | null, password: string | null }>]> = [
    ['sip:%61lice@atlanta.com', { user: 'alice' }],
    ['sip:sips%3Auser%40example.com@example.net', { user: 'sips:user@example.com' }],
    ['sip:null-%00-null@example.com', { user: 'null-\x00-null' }],
    ['sip:%C3%A9t%C3%A9@example.com', { user: 'été' }],
    ['sip:a:p%40ss@example.com', { user: 'a', password: 'p@ss' }],
    ['sip:user;par=u%40example.net@example.com', { user: 'user;par=u@example.net' }]
  ]
  for (const [text, want] of rows) t.match(parseUri(text), want, text)
  const p = parseUri('sip:h;%6C%72;n%61me=v%61lue%25%34%31')
  t.same([...p.params], [['lr', null], ['name', 'value%41']], 'escaped parameter names and values')
  t.throws(() => parseUri('sip:bad%zzuser@h'), { status: 400, code: 'SIP_ERR_BAD_URI' }, 'bad escape')
  t.throws(() => parseUri('sip:bad%4@h'), { status: 400, code: 'SIP_ERR_BAD_URI' }, 'truncated escape')
})

t.test('formatUri escapes what the component grammar does not allow and round-trips', async t => {
  const u = parseUri('sip:I%20have%20spaces@example.net;x=a%20b?Subject=next%20meeting')
  t.equal(formatUri(u), 'sip:I%20have%20spaces@example.net;x=a%20b?Subject=next%20meeting')
  const nul = parseUri('sip:%00%00@host5.example.com')
  t.equal(formatUri(nul), 'sip:%00%00@host5.example.com', 'NUL escaped back, not dropped')
  const rows = [
    'sip:alice@atlanta.com',
    'sips:bob:pw@biloxi.com:5061;transport=tcp;lr',
    'sip:+15551234567@gw.example.net;user=phone',
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
    'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    'tel:+1-201-555-0123;phone-context=example.com',
    'urn:service:sos',
    'http://www.example.com/a?b=c'
  ]
  for (const text of rows) {
    const once = parseUri(text)
    t.same(parseUri(formatUri(once)), once, `round-trip ${text}`)
  }
  t.equal(formatUri(parseUri('sip:user@example.com?Route=%3Csip:sip.example.com%3E')), 'sip:user@example.com?Route=%3Csip:sip.example.com%3E')
})

t.test('tel URIs (RFC 3966)', async t => {
  const u = parseUri('tel:+1-201-555-0123;phone-context=example.com;ext=22')
  t.equal(u.scheme, 'tel')
  t.equal(u.user, '+1-201-555-0123')
  t.equal(u.host, '')
  t.equal(u.params.get('phone-context'), 'example.com')
  t.ok(uriEquals(u, parseUri('tel:+1.201.555.0123;ext=22;phone-context=example.com')), 'visual separators and param order ignored')
  t.notOk(uriEquals(u, parseUri('tel:+1-201-555-0123;phone-context=example.com')), 'a missing parameter differs')
  t.notOk(uriEquals(parseUri('tel:+12015550123'), parseUri('tel:+12015550124')))
  t.throws(() => parseUri('tel:;x=1'), { status: 400, code: 'SIP_ERR_BAD_URI' }, 'no number')
})

t.test('unknown schemes parse so the UAS can answer 416', async t => {
  const rows: Array<[string, string, string]> = [
    ['nobodyKnowsThisScheme:totallyopaquecontent', 'nobodyknowsthisscheme', 'totallyopaquecontent'],
    ['soap.beep://192.0.2.103:3002', 'soap.beep', '//192.0.2.103:3002'],
    ['isbn:2983792873', 'isbn', '2983792873'],
    ['name:John_Smith', 'name', 'John_Smith']
  ]
  for (const [text, scheme, opaque] of rows) {
    const u = parseUri(text)
    t.equal(u.scheme, scheme, text)
    t.equal(u.opaque, opaque)
    t.equal(formatUri(u), `${scheme}:${opaque}`)
  }
})

t.test('malformed URIs are a 400', async t => {
  const bad = [
    '', 'example.com', ':x', '1sip:a@b', 'sip:', 'sip:@example.com', 'sip:user@', 'sip:a@b:port', 'sip:a@b:99999',
    'sip:user@example.com; lr', '<sip:user@example.com>', 'sip:a b@example.com', 'sip:a@b;;x', 'sip:a@b?x',
    'sip:a@b?=v', 'sip:a@b/path', 'sip:a@b\r\nVia: x', 'sip:"x"@b', 'sip:a@host\t'
  ]
  for (const text of bad) {
    try {
      parseUri(text)
      t.fail(`accepted ${JSON.stringify(text)}`)
    } catch (err) {
      t.ok(err instanceof SipError && err.status === 400, `400 for ${JSON.stringify(text)}`)
    }
  }
})

t.test('RFC 3261 §19.1.4 equivalent URIs', async t => {
  const equal: Array<[string, string]> = [
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
    ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
    ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x']
  ]
  for (const [a, b] of equal) {
    t.ok(uriEquals(parseUri(a), parseUri(b)), `${a} == ${b}`)
    t.ok(uriEquals(parseUri(b), parseUri(a)), `${b} == ${a} (symmetric)`)
  }
})

t.test('RFC 3261 §19.1.4 non-equivalent URIs', async t => {
  const different: Array<[string, string, string]> = [
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP', 'different usernames'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060', 'can resolve to different ports'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp', 'can resolve to different transports'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp', 'different port and transport'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting', 'different header component'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4', 'even though that is what the name resolves to'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off', 'a parameter in both must match'],
    ['sip:alice@atlanta.com', 'sips:alice@atlanta.com', 'sip is never sips'],
    ['sip:alice@atlanta.com', 'sip:atlanta.com', 'user present in only one'],
    ['sip:alice:pw@atlanta.com', 'sip:alice@atlanta.com', 'password present in only one'],
    ['sip:alice@atlanta.com;user=phone', 'sip:alice@atlanta.com', 'user param in only one'],
    ['sip:alice@atlanta.com;ttl=1', 'sip:alice@atlanta.com', 'ttl in only one'],
    ['sip:alice@atlanta.com;method=INVITE', 'sip:alice@atlanta.com', 'method in only one'],
    ['sip:alice@atlanta.com;maddr=239.255.255.1', 'sip:alice@atlanta.com', 'maddr in only one'],
    ['sip:null-%00-null@example.com', 'sip:null-@example.com', 'NUL is a character, not an end'],
    ['sip:alice@atlanta.com?subject=project%20x', 'sip:alice@atlanta.com?subject=project%20y', 'header values differ']
  ]
  for (const [a, b, why] of different) {
    t.notOk(uriEquals(parseUri(a), parseUri(b)), `${a} != ${b}: ${why}`)
    t.notOk(uriEquals(parseUri(b), parseUri(a)), `${b} != ${a} (symmetric)`)
  }
  // §19.1.4: the comparison is not transitive.
  t.ok(uriEquals(parseUri('sip:carol@chicago.com;security=on'), parseUri('sip:carol@chicago.com')))
  t.ok(uriEquals(parseUri('sip:carol@chicago.com'), parseUri('sip:carol@chicago.com;security=off')))
})
