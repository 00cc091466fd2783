import t from 'tap'
import { parseConfigText } from '../../../src/config'
import type { SipRequest } from '../../../src/sip/message/types'
import { SipError } from '../../../src/sip/sip-error'
import { InboundPolicy, type PolicySource } from '../../../src/sip/policy/inbound-policy'
import { CallRouter } from '../../../src/call/call-router'
import { DigestAuthenticator } from '../../../src/sip/auth/digest-server'
import { buildDigestAuthorization } from '../../../src/sip/auth/digest-client'

const config = parseConfigText(`
sip:
  listen: {tcp: {host: 127.0.0.1, port: 0}, tls: {host: 127.0.0.1, port: 0, ca: /dev/null}}
  maxConcurrentCalls: 2
  retryAfterSeconds: 17
  advertise: {host: sip.example.net}
trunks:
  - name: carrier
    inbound: {acl: [203.0.113.0/24], onAclFail: drop}
    phone_numbers: ['+15550100']
  - name: secure
    inbound: {acl: [198.51.100.0/24], auth: {username: u1, password: pw, algorithms: [MD5]}}
  - name: mtls
    inbound: {acl: [192.0.2.0/24], requireClientCert: true}
phone_numbers:
  - {number: '+15550100', agent: demo}
  - {number: '+15550111', agent: demo, trunk: secure}
  - {number: 'john', agent: demo}
agents: [{id: demo, name: Demo}]
`)

function req (method: string, uri: string, headers: Array<[string, string]> = [], body = ''): SipRequest {
  return {
    kind: 'request', method, uri, version: 'SIP/2.0', body: Buffer.from(body, 'latin1'),
    headers: [
      ['Via', 'SIP/2.0/TCP 203.0.113.5;branch=z9hG4bK1'], ['From', '<sip:a@203.0.113.5>;tag=1'], ['To', `<${uri}>`],
      ['Call-ID', 'c1'], ['CSeq', `1 ${method}`], ['Max-Forwards', '70']
    ].filter(([name]) => !headers.some(([n]) => n === name)).concat(headers).map(([name, value]) => ({ name, value }))
  }
}
const tcp = (remoteAddress: string): PolicySource => ({ transport: 'tcp', remoteAddress })

function rejection (fn: () => unknown): SipError {
  try { fn() } catch (err) { if (err instanceof SipError) return err; throw err }
  throw new Error('expected a SipError')
}

t.test('ACL: admitted source -> trunk; foreign source -> 403 or logged drop per trunk', async t => {
  const p = new InboundPolicy(config)
  const a = p.admit(req('INVITE', 'sip:+15550100@gw'), tcp('203.0.113.5'))
  t.same(a.action === 'accept' && a.trunk.name, 'carrier')
  const drop = p.admit(req('INVITE', 'sip:+15550100@gw'), tcp('10.9.9.9'))
  t.same(drop, { action: 'drop', code: 'SIP_ERR_ACL_DENIED', detail: 'source 10.9.9.9 is in no trunk ACL (called +15550100 on trunk carrier)' })
  const e = rejection(() => p.admit(req('OPTIONS', 'sip:gw'), tcp('10.9.9.9')))
  t.equal(e.status, 403)
  t.equal(e.code, 'SIP_ERR_ACL_DENIED')
})

t.test('screen(): only a source in no ACL on a drop trunk is dropped before any transaction', async t => {
  const p = new InboundPolicy(config)
  t.same(p.screen(req('INVITE', 'sip:+15550100@gw'), tcp('10.9.9.9')), { code: 'SIP_ERR_ACL_DENIED', detail: 'source 10.9.9.9 is in no trunk ACL' })
  t.equal(p.screen(req('INVITE', 'sip:+15550111@gw'), tcp('10.9.9.9')), null, 'trunk secure rejects (403 later), does not drop')
  t.equal(p.screen(req('INVITE', 'sip:+15550100@gw'), tcp('203.0.113.9')), null, 'admitted source')
})

t.test('digest trunk: dialog-creating INVITE challenged (realm = advertise host), retried INVITE admitted', async t => {
  const p = new InboundPolicy(config, { authenticator: new DigestAuthenticator() })
  const first = rejection(() => p.admit(req('INVITE', 'sip:+15550111@gw'), tcp('198.51.100.1')))
  t.equal(first.status, 401)
  t.equal(first.headers.length, 1, 'only the configured algorithm')
  t.match(first.headers[0].value, /realm="sip.example.net".*algorithm=MD5/)
  const auth = buildDigestAuthorization({ challenge: first.headers[0].value, method: 'INVITE', uri: 'sip:+15550111@gw', username: 'u1', password: 'pw' })
  const ok = p.admit(req('INVITE', 'sip:+15550111@gw', [['Authorization', auth]]), tcp('198.51.100.1'))
  t.same(ok.action === 'accept' && [ok.trunk.name, ok.authUser], ['secure', 'u1'])
  const bad = buildDigestAuthorization({ challenge: first.headers[0].value, method: 'INVITE', uri: 'sip:+15550111@gw', username: 'u1', password: 'no', nc: 2 })
  t.equal(rejection(() => p.admit(req('INVITE', 'sip:+15550111@gw', [['Authorization', bad]]), tcp('198.51.100.1'))).status, 403)
  // Never challenged: ACK/CANCEL (RFC 3261 §22.1), OPTIONS keep-alives, in-dialog requests.
  for (const r of [req('ACK', 'sip:+15550111@gw'), req('CANCEL', 'sip:+15550111@gw'), req('OPTIONS', 'sip:gw'),
    req('INVITE', 'sip:+15550111@gw', [['To', '<sip:+15550111@gw>;tag=abc']])]) {
    t.equal(p.admit(r, tcp('198.51.100.1')).action, 'accept', `${r.method} not challenged`)
  }
})

t.test('client certificate required: TCP and unverified TLS refused, verified TLS admitted', async t => {
  const p = new InboundPolicy(config)
  const invite = req('INVITE', 'sip:+15550100@gw')
  t.equal(rejection(() => p.admit(invite, tcp('192.0.2.7'))).code, 'SIP_ERR_TLS_REQUIRED')
  t.equal(rejection(() => p.admit(invite, { transport: 'tls', remoteAddress: '192.0.2.7' })).code, 'SIP_ERR_CLIENT_CERT_REQUIRED')
  const cert = { subject: { CN: 'pbx' } } as never
  t.equal(rejection(() => p.admit(invite, { transport: 'tls', remoteAddress: '192.0.2.7', tlsPeerCertificate: cert, tlsAuthorized: false })).status, 403)
  t.equal(p.admit(invite, { transport: 'tls', remoteAddress: '192.0.2.7', tlsPeerCertificate: cert, tlsAuthorized: true }).action, 'accept')
})

t.test('RFC 3261 §8.2 request checks: 405/501 with Allow, 416, 420 with Unsupported, 415 with Accept', async t => {
  const p = new InboundPolicy(config)
  const reg = rejection(() => p.checkRequest(req('REGISTER', 'sip:gw')))
  t.same([reg.status, reg.code], [405, 'SIP_ERR_METHOD_NOT_ALLOWED'])
  t.match(reg.headers.find(h => h.name === 'Allow')?.value, /INVITE.*OPTIONS/)
  const unknown = rejection(() => p.checkRequest(req('RE%47IST%45R', 'sip:gw')))
  t.same([unknown.status, unknown.code], [501, 'SIP_ERR_METHOD_NOT_IMPLEMENTED'])
  t.ok(unknown.headers.find(h => h.name === 'Allow'))
  t.equal(rejection(() => p.checkRequest(req('OPTIONS', 'nobodyKnowsThisScheme:totallyopaquecontent'))).status, 416)
  t.equal(rejection(() => p.checkRequest(req('INVITE', 'http://x/y'))).code, 'SIP_ERR_UNSUPPORTED_URI_SCHEME')
  p.checkRequest(req('INVITE', 'tel:+15550100'))
  p.checkRequest(req('INVITE', 'sips:+15550100@gw'))
  const ext = rejection(() => p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Require', 'timer, 100rel'], ['Require', 'foo']])))
  t.same([ext.status, ext.code], [420, 'SIP_ERR_BAD_EXTENSION'])
  t.same(ext.headers, [{ name: 'Unsupported', value: '100rel, foo' }])
  p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Require', 'timer']]))
  p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Proxy-Require', 'foo']]))
  const ut = rejection(() => p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Content-Type', 'application/unknownformat']], '<audio/>')))
  t.same([ut.status, ut.code], [415, 'SIP_ERR_UNSUPPORTED_MEDIA_TYPE'])
  t.same(ut.headers, [{ name: 'Accept', value: 'application/sdp, multipart/mixed' }])
  t.equal(rejection(() => p.checkRequest(req('INVITE', 'sip:+15550100@gw', [], 'v=0\r\n'))).status, 415, 'body without Content-Type')
  const enc = rejection(() => p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Content-Type', 'application/sdp'], ['Content-Encoding', 'gzip']], 'x')))
  t.same([enc.status, enc.code, enc.headers[0].name], [415, 'SIP_ERR_UNSUPPORTED_ENCODING', 'Accept-Encoding'])
  p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Content-Type', 'application/SDP']], 'v=0\r\n'))
  p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Content-Type', 'multipart/mixed;boundary=b']], '--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b--'))
  t.equal(rejection(() => p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Content-Type', 'multipart/mixed;boundary=b']], '--b\r\n\r\nhi\r\n--b--'))).status, 415)
  p.checkRequest(req('INVITE', 'sip:+15550100@gw'))
  const na = rejection(() => p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Accept', 'text/nobodyKnowsThis']])))
  t.same([na.status, na.code, na.headers[0].name], [406, 'SIP_ERR_NOT_ACCEPTABLE', 'Warning'])
  t.equal(rejection(() => p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Accept', '']]))).status, 406, 'empty Accept: no body acceptable')
  p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Accept', 'text/html, application/SDP;q=0.5']]))
  p.checkRequest(req('INVITE', 'sip:+15550100@gw', [['Accept', '*/*']]))
  p.checkRequest(req('OPTIONS', 'sip:gw', [['Accept', 'text/nobodyKnowsThis']]))
  p.checkRequest(req('CANCEL', 'sip:+15550100@gw', [['Require', 'foo']]))
  p.checkRequest(req('BYE', 'sip:+15550100@gw', [['Content-Type', 'x/y']], 'body'))
  t.equal(rejection(() => p.checkRequest(req('MESSAGE', 'sip:+15550100@gw'))).status, 405)
})

t.test('capacity: 503 with Retry-After at sip.maxConcurrentCalls', async t => {
  const p = new InboundPolicy(config)
  p.checkCapacity(1)
  const e = rejection(() => p.checkCapacity(2))
  t.same([e.status, e.code, e.headers], [503, 'SIP_ERR_CAPACITY', [{ name: 'Retry-After', value: '17' }]])
})

t.test('OPTIONS answer carries Allow, Accept, Supported', async t => {
  const names = new InboundPolicy(config).optionsHeaders().map(h => h.name)
  t.same(names.filter(n => ['Allow', 'Accept', 'Supported'].includes(n)), ['Allow', 'Accept', 'Supported'])
})

t.test('routing: the user part must equal a configured number exactly', async t => {
  const r = new CallRouter(config)
  const carrier = config.trunks[0]
  const secure = config.trunks[1]
  t.same(r.route(req('INVITE', 'sip:+15550100@gw;transport=tcp'), carrier).agentId, 'demo')
  t.equal(r.route(req('INVITE', 'tel:+15550100'), carrier).phoneNumber, '+15550100')
  t.equal(r.route(req('INVITE', 'sip:john@gw'), secure).phoneNumber, 'john')
  t.equal(rejection(() => r.route(req('INVITE', 'sip:15550100@gw'), carrier)).code, 'SIP_ERR_UNKNOWN_NUMBER', '+ matters')
  t.equal(rejection(() => r.route(req('INVITE', 'sip:gw'), carrier)).code, 'SIP_ERR_NO_USER_PART')
  t.equal(rejection(() => r.route(req('INVITE', 'sip:+15550111@gw'), carrier)).code, 'SIP_ERR_NUMBER_NOT_ON_TRUNK', 'restricted to trunk secure')
  t.equal(rejection(() => r.route(req('INVITE', 'sip:john@gw'), carrier)).code, 'SIP_ERR_NUMBER_NOT_ON_TRUNK', 'carrier lists only +15550100')
  t.equal(rejection(() => r.route(req('INVITE', 'sip:+15550101@gw'), secure)).status, 404)
})
