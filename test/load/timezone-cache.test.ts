// The per-zone Intl.DateTimeFormat cache behind system__time (added after the load bench profiled
// call setup, issue 7): cached answers equal fresh ones, invalid zones stay invalid, the cache is bounded.
import t from 'tap'
import { isoInTimezone, isValidTimezone } from '../../src/call/personalization/system-variables'

t.test('repeated lookups give the same answers as the first', async t => {
  for (let i = 0; i < 3; i++) {
    t.equal(isValidTimezone('Europe/Berlin'), true)
    t.equal(isValidTimezone('Mars/Olympus_Mons'), false)
    t.equal(isoInTimezone(Date.UTC(2026, 6, 1, 12, 0, 0), 'Europe/Berlin'), '2026-07-01T14:00:00+02:00')
    t.equal(isoInTimezone(Date.UTC(2026, 0, 1, 12, 0, 0), 'Europe/Berlin'), '2026-01-01T13:00:00+01:00', 'the cached formatter still follows DST')
  }
})

t.test('an invalid zone throws a RangeError from isoInTimezone, cached or not', async t => {
  t.throws(() => isoInTimezone(0, 'Not/AZone'), RangeError)
  t.throws(() => isoInTimezone(0, 'Not/AZone'), RangeError)
})

t.test('many distinct zones (e.g. from webhooks) do not break lookups: the cache is bounded and refills', async t => {
  for (let i = 0; i < 600; i++) isValidTimezone(`Bogus/Zone_${i}`)
  t.equal(isValidTimezone('Asia/Kolkata'), true)
  t.equal(isoInTimezone(Date.UTC(2026, 0, 1, 0, 0, 0), 'Asia/Kolkata'), '2026-01-01T05:30:00+05:30')
  t.equal(isValidTimezone('Bogus/Zone_5'), false)
})
