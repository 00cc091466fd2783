// DTMF: RFC 4733 receiver (Table 5 "911", SIPp pcaps), RFC 4733 sender (§2.5.1), in-band tones through
// spandsp's detector, w/W pauses measured in the generated audio, and validation before sending.
import fs from 'node:fs'
import t from 'tap'
import {
  receiveDtmfEvents, dtmfToEvents, dtmfToPcm, detectDtmf, parseRtp, parseTelephoneEvent, encode, decode
} from '../../../src/media/dsp'
import { td, readPcapUdp } from './helpers'

// rtp-parser ships no types: declare the part we use.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const rtpParser = require('rtp-parser') as { parseRtpPacket: (b: Buffer) => { sequenceNumber: number, timestamp: number, marker: number, payloadType: number, ssrc: number, payload: Buffer } }

const table5 = JSON.parse(fs.readFileSync(td('vectors', 'rfc4733_table5_events.json'), 'utf8')) as {
  expected_digits: Array<{ digit: string, rtp_timestamp: number, duration_units: number }>
  packets: Array<{ time_ms: number, M: number, E: number, hex: string }>
}
const table5Packets = table5.packets.map(p => ({ packet: Buffer.from(p.hex, 'hex'), arrivalUs: p.time_ms * 1000 }))

t.test('RFC 4733 §5 Table 5: "911" is reported as three digits, each once, with its final duration', async t => {
  const got = receiveDtmfEvents(table5Packets, 3_000_000)
  t.same(got.map(d => [d.digit, d.timestamp, d.durationUnits]), table5.expected_digits.map(d => [d.digit, d.rtp_timestamp, d.duration_units]))
  t.ok(got.every(d => d.endSeen), 'each ended by its E packet; the repeated end packets were ignored')
  t.same(got.map(d => d.durationMs), [200, 250, 220])
})

t.test('a lost marker packet does not lose the digit (new event = new timestamp, §2.5.2.2)', async t => {
  const noMarkers = table5Packets.filter((_, i) => table5.packets[i].M === 0)
  t.same(receiveDtmfEvents(noMarkers, 3_000_000).map(d => d.digit), ['9', '1', '1'])
})

t.test('all end packets lost: the next event (or the timeout) ends the digit, still reported once', async t => {
  const noEnds = table5Packets.filter((_, i) => table5.packets[i].E === 0)
  const got = receiveDtmfEvents(noEnds, 3_000_000)
  t.same(got.map(d => [d.digit, d.durationUnits, d.endSeen]), [['9', 1600, false], ['1', 2000, false], ['1', 1600, false]])
  const onlyFirst = receiveDtmfEvents(noEnds.slice(0, 4), 600_000)
  t.same(onlyFirst.length, 0, 'no report before the 1 s timeout')
  t.same(receiveDtmfEvents(noEnds.slice(0, 4), 1_300_000).map(d => d.digit), ['9'], 'reported by the timeout')
})

const pcapDigits: Array<[string, string]> = [...'0123456789'].map(d => [`dtmf_2833_${d}.pcap`, d] as [string, string])
pcapDigits.push(['dtmf_2833_star.pcap', '*'], ['dtmf_2833_pound.pcap', '#'])

t.test('SIPp pcaps (end packet sent 3x with one seq): one digit per file, rtp-parser agrees with our parse', async t => {
  for (const [file, digit] of pcapDigits) {
    const udp = readPcapUdp(td('pcap', file))
    t.ok(udp.length >= 4, `${file}: ${udp.length} datagrams`)
    const packets = udp.map(u => {
      const theirs = rtpParser.parseRtpPacket(u.payload)
      const ours = parseRtp(u.payload)
      if ('error' in ours) throw new Error(`${file}: ${ours.error}`)
      if (theirs.sequenceNumber !== ours.sequence || theirs.timestamp !== ours.timestamp || theirs.payloadType !== ours.payloadType ||
        (theirs.marker === 1) !== ours.marker || !theirs.payload.equals(ours.payload)) throw new Error(`${file}: parsers disagree`)
      return { packet: u.payload, arrivalUs: u.tsUs - udp[0].tsUs }
    })
    const endEvent = parseTelephoneEvent((parseRtp(packets[packets.length - 1].packet) as { payload: Buffer }).payload)
    const got = receiveDtmfEvents(packets, packets[packets.length - 1].arrivalUs + 2_000_000)
    t.same(got.map(d => d.digit), [digit], `${file}: exactly one '${digit}'`)
    t.equal(got[0].durationUnits, endEvent?.duration, `${file}: duration from the end packet`)
  }
})

t.test('RFC 4733 sender: marker on the first packet, same timestamp, growing duration, 3 end packets', async t => {
  const ev = dtmfToEvents('1', { toneMs: 100, gapMs: 100, ssrc: 0x5234a8, sequence: 65534, timestamp: 4294967000 })
  t.equal(ev.length, 5 + 3)
  const parsed = ev.map(e => { const p = parseRtp(e.packet); if ('error' in p) throw new Error(p.error); return { p, te: parseTelephoneEvent(p.payload)! } })
  t.same(parsed.map(x => x.p.marker), [true, false, false, false, false, false, false, false])
  t.same(parsed.map(x => x.p.sequence), [65534, 65535, 0, 1, 2, 3, 4, 5], 'one sequence number per packet, wrapping')
  t.ok(parsed.every(x => x.p.timestamp === 4294967000 && x.p.payloadType === 101 && x.p.ssrc === 0x5234a8))
  t.same(parsed.map(x => x.te.duration), [160, 320, 480, 640, 800, 800, 800, 800])
  t.same(parsed.map(x => x.te.end), [false, false, false, false, false, true, true, true])
  t.same(ev.map(e => e.tick), [0, 1, 2, 3, 4, 5, 6, 7], 'one packet per 20 ms tick')
})

t.test('sender -> receiver round trip for a whole string, pauses shift the event timestamps', async t => {
  const ev = dtmfToEvents('123#w*', { toneMs: 80, gapMs: 60, timestamp: 1000 })
  const got = receiveDtmfEvents(ev.map(e => ({ packet: e.packet, arrivalUs: e.tick * 20000 })), 10_000_000)
  t.same(got.map(d => d.digit).join(''), '123#*')
  t.ok(got.every(d => d.durationMs === 80 && d.endSeen))
  const starts = got.map(d => (d.timestamp - 1000) / 8) // ms
  t.same(starts, [0, 140, 280, 420, 420 + 140 + 500], 'tone 80 + gap 60; w adds 500 ms')
})

// Splits generated audio into tone/silence runs (in ms) from per-ms energy.
function runs (pcm: Int16Array): Array<{ tone: boolean, ms: number }> {
  const out: Array<{ tone: boolean, ms: number }> = []
  for (let ms = 0; ms < pcm.length / 16; ms++) {
    let e = 0
    for (let i = ms * 16; i < ms * 16 + 16; i++) e += pcm[i] * pcm[i]
    const tone = e / 16 > 100 * 100
    if (out.length > 0 && out[out.length - 1].tone === tone) out[out.length - 1].ms++
    else out.push({ tone, ms: 1 })
  }
  return out
}

t.test('in-band: every key is generated and detected by spandsp dtmf_rx', async t => {
  const keys = '0123456789*#ABCD'
  const pcm = dtmfToPcm(keys, { toneMs: 60, gapMs: 60 })
  t.equal(detectDtmf(pcm).map(d => d.digit).join(''), keys)
  t.equal(detectDtmf(pcm, 77).map(d => d.digit).join(''), keys, 'odd chunk sizes')
  // Through a real codec path too (G.711 with both resamplers, and G.722).
  for (const codec of ['PCMU', 'PCMA', 'G722'] as const) {
    t.equal(detectDtmf(decode(codec, encode(codec, pcm))).map(d => d.digit).join(''), keys, codec)
  }
  t.same(detectDtmf(new Int16Array(16000)), [], 'silence: nothing')
})

t.test('w = 500 ms and W = 1000 ms pauses, tone and gap lengths, measured in the generated audio', async t => {
  const pcm = dtmfToPcm('1w2W3', { toneMs: 100, gapMs: 80 })
  const r = runs(pcm)
  t.same(r.map(x => x.tone), [true, false, true, false, true, false])
  t.same(r.filter(x => x.tone).map(x => x.ms), [100, 100, 100], 'each tone 100 ms')
  t.same(r.filter(x => !x.tone).map(x => x.ms), [80 + 500, 80 + 1000, 80], 'gap + pause')
  const det = detectDtmf(pcm)
  t.same(det.map(d => d.digit), ['1', '2', '3'])
  const silence12 = det[1].startMs - (det[0].startMs + det[0].durationMs)
  t.ok(Math.abs(silence12 - 580) <= 20, `detector sees ${silence12} ms between 1 and 2`)
  const silence23 = det[2].startMs - (det[1].startMs + det[1].durationMs)
  t.ok(Math.abs(silence23 - 1080) <= 20, `detector sees ${silence23} ms between 2 and 3`)
  t.ok(det.every(d => Math.abs(d.durationMs - 100) <= 20), 'detected durations ~100 ms')
})

t.test('validation happens before anything is generated; Q.24 minimum durations', async t => {
  t.throws(() => dtmfToPcm('12x4'), new RangeError("invalid DTMF character 'x' at index 2"))
  t.throws(() => dtmfToEvents('9,1'), new RangeError("invalid DTMF character ',' at index 1"))
  t.throws(() => dtmfToPcm('1', { toneMs: 30 }), new RangeError('toneMs must be an integer 40..10000'))
  t.throws(() => dtmfToEvents('1', { gapMs: 39 }), new RangeError('gapMs must be an integer 40..10000'))
  t.throws(() => dtmfToPcm(5 as unknown as string), new TypeError('digits must be a string'))
  t.throws(() => dtmfToEvents('1', { payloadType: 8 }), new RangeError('payloadType must be an integer 96..127'))
  t.equal(dtmfToPcm('').length, 0, 'empty string: nothing to send')
  t.same(dtmfToPcm('abcd'), dtmfToPcm('ABCD'), 'lower-case A-D accepted')
})
