// E-model (ITU-T G.107) checks: the default R of 93.2 maps to MOS 4.41, R 50 to ~2.58 (Annex B),
// and the estimate falls as loss, jitter and delay grow.
import t from 'tap'
import { estimateMos, mediaQualityOf, mosFromR, rFactor } from '../../src/records'

t.test('G.107 Annex B R → MOS mapping', async t => {
  t.equal(Math.round(mosFromR(93.2) * 100) / 100, 4.41, 'default R 93.2 → 4.41')
  t.equal(Math.round(mosFromR(50) * 1000) / 1000, 2.575)
  t.equal(mosFromR(-5), 1)
  t.equal(mosFromR(120), 4.5)
})

t.test('impairments', async t => {
  const clean = rFactor({ lossPercent: 0, jitterMs: 0, rttMs: 0 })
  // Ta = 20 ms packet + 5 ms codec → Id = 0.6
  t.equal(Math.round(clean * 100) / 100, 92.6)
  // 1% random loss with PLC: Ie-eff = 95·1/(1 + 25.1) = 3.64
  t.equal(Math.round((clean - rFactor({ lossPercent: 1, jitterMs: 0, rttMs: 0 })) * 100) / 100, 3.64)
  // The delay knee at 177.3 ms one way: 400 ms RTT costs much more than twice 200 ms.
  const d200 = clean - rFactor({ lossPercent: 0, jitterMs: 0, rttMs: 200 })
  const d400 = clean - rFactor({ lossPercent: 0, jitterMs: 0, rttMs: 400 })
  t.ok(d400 > 2 * d200)
  let last = 5
  for (const loss of [0, 1, 2, 5, 10, 20]) {
    const m = estimateMos({ lossPercent: loss, jitterMs: 10, rttMs: 50 })
    t.ok(m < last, `MOS falls with ${loss}% loss (${m})`)
    last = m
  }
  t.ok(estimateMos({ lossPercent: 0, jitterMs: 80, rttMs: 50 }) < estimateMos({ lossPercent: 0, jitterMs: 5, rttMs: 50 }))
  t.equal(estimateMos({ lossPercent: NaN, jitterMs: NaN, rttMs: NaN }), estimateMos({ lossPercent: 0, jitterMs: 0, rttMs: 0 }), 'no stats: no penalty, no NaN')
})

t.test('media quality from leg statistics', async t => {
  const q = mediaQualityOf({ packetsReceived: 990, packetsSent: 1000, packetsLost: 10, jitterMs: 2.345, rttMs: 40.06 })
  t.equal(q.lossPercent, 1)
  t.equal(q.jitterMs, 2.3)
  t.equal(q.rttMs, 40.1)
  t.ok(q.mos !== null && q.mos > 4 && q.mos < 4.4, String(q.mos))
  t.equal(mediaQualityOf({ packetsReceived: 0, packetsSent: 0, packetsLost: 0, jitterMs: 0, rttMs: 0 }).lossPercent, 0)
})
