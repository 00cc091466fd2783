// One key press reaches the engine once, whichever sources report it (engine proto README "DTMF").
import t from 'tap'
import { DtmfDeduplicator } from '../../src/call/dtmf-deduplicator'

t.test('same digit from a second source within the window is the same press', async t => {
  let now = 0
  const d = new DtmfDeduplicator({ windowMs: 400, now: () => now })
  t.ok(d.accept('5', 'rfc4733'))
  now = 100
  t.notOk(d.accept('5', 'inband'), 'tone left in the audio as well as the event')
  now = 200
  t.notOk(d.accept('5', 'info'))
  now = 1000
  t.ok(d.accept('5', 'inband'), 'outside the window: a new press')
})

t.test('the same source repeating a digit is a new press; another digit always passes', async t => {
  let now = 0
  const d = new DtmfDeduplicator({ now: () => now })
  t.ok(d.accept('1', 'rfc4733'))
  now = 50
  t.ok(d.accept('1', 'rfc4733'), '"11" dialled quickly')
  t.ok(d.accept('2', 'inband'))
})
