// DTMF both ways: RFC 4733 events (received from the RFC's own Table 5 packet sequence, sent to a
// dgram peer that parses them independently) and in-band tones detected by a second leg.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { MediaEngine } from '../../src/media/media-engine'
import type { DtmfEvent } from '../../src/media/leg'
import { RtpPeer, waitFor } from './rtp-peer'

const testdata = path.resolve(__dirname, '..', '..', 'test', 'vectors')
const engine = new MediaEngine({ portRange: [22000, 22999], bindAddress: '127.0.0.1', threads: 2 })
t.teardown(() => engine.close())

t.test('RFC 4733 §5 Table 5 ("911"): one dtmf event per digit with its duration', async t => {
  const vec = JSON.parse(fs.readFileSync(path.join(testdata, 'vectors', 'rfc4733_table5_events.json'), 'utf8')) as {
    packets: Array<{ time_ms: number, hex: string }>, expected_digits: Array<{ digit: string, duration_units: number }>
  }
  const leg = engine.createLeg()
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setCodec({ name: 'PCMU', telephoneEventPayloadType: 100 })
  leg.setRemote('127.0.0.1', peer.port)
  peer.sendTo('127.0.0.1', leg.localPort)
  const got: DtmfEvent[] = []
  leg.on('dtmf', (d: DtmfEvent) => got.push(d))
  await new Promise(resolve => setTimeout(resolve, 50))  // let setCodec reach the media thread
  const start = Date.now()
  for (const p of vec.packets) {
    const wait = start + p.time_ms - Date.now()
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
    peer.sendRaw(Buffer.from(p.hex, 'hex'))
  }
  await waitFor(() => got.length >= 3, 3000, 'three digits')
  t.same(got.map(d => d.digit), vec.expected_digits.map(d => d.digit), 'digits 9 1 1 in order')
  t.same(got.map(d => d.durationMs), vec.expected_digits.map(d => d.duration_units / 8), 'durations from the final duration field')
  t.ok(got.every(d => d.source === 'rfc4733'), 'source rfc4733')
  t.equal(leg.stats().dtmfReceived, 3, 'counted once each despite the repeated end packets')
})

t.test('sendDtmf over RFC 4733: events with marker, growing duration, 3 end packets, pauses, then dtmfDone', async t => {
  const leg = engine.createLeg()
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setCodec({ name: 'PCMU', telephoneEventPayloadType: 101 })
  leg.setRemote('127.0.0.1', peer.port)
  await waitFor(() => peer.received.length > 5, 2000, 'audio flowing')
  let done: { digits: string } | null = null
  leg.on('dtmfDone', (d: { digits: string }) => { done = d })
  leg.sendDtmf('1w#', { toneMs: 100, gapMs: 100 })
  await waitFor(() => done !== null, 5000, 'dtmfDone')
  t.same(done, { digits: '1w#' })
  const ev = peer.received.filter(p => p.payloadType === 101)
  const byTs = new Map<number, typeof ev>()
  for (const p of ev) byTs.set(p.timestamp, [...(byTs.get(p.timestamp) ?? []), p])
  const events = [...byTs.values()]
  t.equal(events.length, 2, 'two events (w is a pause, not an event)')
  t.same(events.map(e => e[0].payload[0]), [1, 11], 'event codes 1 and # (11), RFC 4733 §3.2')
  for (const e of events) {
    t.equal(e[0].marker, 1, 'first packet of an event has the marker bit')
    const ends = e.filter(p => (p.payload[1] & 0x80) !== 0)
    t.equal(ends.length, 3, 'end packet sent three times (§2.5.1.4)')
    const durations = e.map(p => p.payload.readUInt16BE(2))
    for (let i = 1; i < durations.length; i++) if (durations[i] < durations[i - 1]) t.fail('duration must not shrink')
    t.ok(ends.every(p => p.payload.readUInt16BE(2) === 800), 'final duration 100 ms = 800 units')
  }
  const gapUnits = (events[1][0].timestamp - events[0][0].timestamp) >>> 0
  t.ok(gapUnits >= (100 + 100 + 500) * 8, `second event starts after tone + gap + 500 ms pause (${gapUnits} units)`)
  const firstSeq = ev[0].sequenceNumber
  const lastSeq = ev[ev.length - 1].sequenceNumber
  const inBetween = peer.received.filter(p => p.payloadType === 0 && p.at > ev[0].at && p.at < ev[4].at)
  t.equal(inBetween.length, 0, 'no audio packets while the first event is being signalled')
  t.ok(((lastSeq - firstSeq) & 0xffff) > 0, 'events share the leg sequence space')
})

t.test('the whole string is validated before anything is sent', async t => {
  const leg = engine.createLeg()
  const peer = await RtpPeer.create()
  t.teardown(async () => { leg.close(); await peer.close() })
  leg.setCodec({ name: 'PCMU', telephoneEventPayloadType: 101 })
  leg.setRemote('127.0.0.1', peer.port)
  t.throws(() => leg.sendDtmf('12x4'), new RangeError("invalid DTMF character 'x' at index 2"))
  t.throws(() => leg.sendDtmf(''), new RangeError('digits must not be empty'))
  t.throws(() => leg.sendDtmf(12 as unknown as string), new TypeError('digits must be a string'))
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(peer.received.filter(p => p.payloadType === 101).length, 0, 'not a single event packet went out')
  leg.sendDtmf('5')
  t.throws(() => leg.sendDtmf('6'), /MEDIA_ERR_DTMF_BUSY/, 'one string at a time')
})

t.test('in-band DTMF: tones sent by one leg are detected on another', async t => {
  const a = engine.createLeg()
  const b = engine.createLeg({ inbandDtmf: true })
  t.teardown(() => { a.close(); b.close() })
  a.setRemote('127.0.0.1', b.localPort)
  b.setRemote('127.0.0.1', a.localPort)
  const got: DtmfEvent[] = []
  b.on('dtmf', (d: DtmfEvent) => got.push(d))
  let done = false
  a.on('dtmfDone', () => { done = true })
  a.sendDtmf('5*9', { toneMs: 100, gapMs: 100 })  // no telephone-event negotiated: auto -> in-band
  await waitFor(() => done && got.length >= 3, 5000, 'three in-band digits')
  t.same(got.map(d => d.digit), ['5', '*', '9'])
  t.ok(got.every(d => d.source === 'inband'), 'source inband')
  t.ok(got.every(d => d.durationMs >= 60 && d.durationMs <= 160), `durations near 100 ms (${got.map(d => d.durationMs).join(',')})`)
})
