// SIP INFO DTMF bodies (application/dtmf-relay, application/dtmf) and the precise refusals.
import t from 'tap'
import { parseInfoDtmf } from '../../src/call/info-dtmf'
import { SipError } from '../../src/sip/sip-error'

const b = (s: string): Buffer => Buffer.from(s)

t.test('application/dtmf-relay: Signal and Duration, any line ending, case-insensitive keys', async t => {
  t.same(parseInfoDtmf('application/dtmf-relay', b('Signal=5\r\nDuration=160\r\n')), { digit: '5', durationMs: 160 })
  t.same(parseInfoDtmf('Application/DTMF-Relay; charset=utf-8', b('signal= *\nduration = 250')), { digit: '*', durationMs: 250 })
  t.same(parseInfoDtmf('application/dtmf-relay', b('Signal=#')), { digit: '#', durationMs: 100 }, 'default duration')
  t.same(parseInfoDtmf('application/dtmf-relay', b('Signal=10\r\nDuration=100')), { digit: '*', durationMs: 100 }, 'event code 10 is *')
  t.same(parseInfoDtmf('application/dtmf-relay', b('Signal=11')), { digit: '#', durationMs: 100 }, 'event code 11 is #')
  t.same(parseInfoDtmf('application/dtmf-relay', b('Signal=a')), { digit: 'A', durationMs: 100 })
  t.same(parseInfoDtmf('application/dtmf-relay', b('Signal=3\r\nDuration=-5')), { digit: '3', durationMs: 100 }, 'nonsense duration ignored')
})

t.test('application/dtmf: one digit', async t => {
  t.same(parseInfoDtmf('application/dtmf', b('7')), { digit: '7', durationMs: 100 })
  t.same(parseInfoDtmf('application/dtmf', b(' #\r\n')), { digit: '#', durationMs: 100 })
})

t.test('no body: a keep-alive INFO, nothing for the engine', async t => {
  t.equal(parseInfoDtmf(undefined, Buffer.alloc(0)), null)
})

t.test('unknown type → 415 with Accept; unreadable body → 400', async t => {
  const e415 = t.throws(() => parseInfoDtmf('text/plain', b('5'))) as SipError
  t.equal(e415.status, 415)
  t.same(e415.headers, [{ name: 'Accept', value: 'application/dtmf-relay, application/dtmf' }])
  t.equal((t.throws(() => parseInfoDtmf(undefined, b('5'))) as SipError).status, 415, 'no Content-Type with a body')
  for (const body of ['Signal=x', 'Duration=100', 'Signal=55']) {
    const e = t.throws(() => parseInfoDtmf('application/dtmf-relay', b(body))) as SipError
    t.equal(e.status, 400, `dtmf-relay "${body}"`)
  }
  t.equal((t.throws(() => parseInfoDtmf('application/dtmf', b('55'))) as SipError).status, 400)
})
