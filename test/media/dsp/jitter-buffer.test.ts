// Adaptive jitter buffer under synthetic traces: jitter (target = high quantile of the delay distribution),
// loss, reordering, duplicates, late packets, sequence/timestamp wrap, timestamp jumps, SSRC change,
// talkspurts (marker bit), and sender clock drift in both directions (level stays bounded).
import t from 'tap'
import { runJitterBuffer, encode, decode, parseRtp, type JitterTracePacket, type RtpPacket } from '../../../src/media/dsp'
import { tone, readPcapUdp, td, firstDiff } from './helpers'

function prng (seed: number): () => number { // mulberry32: deterministic traces
  return () => {
    seed |= 0; seed = seed + 0x6d2b79f5 | 0
    let x = Math.imul(seed ^ seed >>> 15, 1 | seed)
    x = x + Math.imul(x ^ x >>> 7, 61 | x) ^ x
    return ((x ^ x >>> 14) >>> 0) / 4294967296
  }
}

const N = 1500 // 30 s of 20 ms packets
const audio = encode('PCMU', tone(440, 16000, N * 320, 8000)) // one 160-octet PCMU payload per 20 ms
const payload = (i: number): Buffer => audio.subarray((i % N) * 160, (i % N) * 160 + 160)

interface TraceOpts { n?: number, seq0?: number, ts0?: number, periodUs?: number, jitterMs?: number, loss?: number, seed?: number, ssrc?: number }
function trace (o: TraceOpts = {}): JitterTracePacket[] {
  const rnd = prng(o.seed ?? 1)
  const out: JitterTracePacket[] = []
  for (let i = 0; i < (o.n ?? N); i++) {
    if (o.loss !== undefined && rnd() < o.loss) continue
    const arrivalUs = Math.round(i * (o.periodUs ?? 20000) + (o.jitterMs ?? 0) * 1000 * rnd())
    out.push({ seq: ((o.seq0 ?? 1000) + i) & 0xffff, ts: ((o.ts0 ?? 5000) + i * 160) >>> 0, ssrc: o.ssrc ?? 7, marker: i === 0, arrivalUs, payload: payload(i) })
  }
  return out.sort((a, b) => a.arrivalUs - b.arrivalUs)
}
const pops = (n = N): number => n + 50
const count = <T>(a: T[], v: T): number => a.filter(x => x === v).length

t.test('steady stream: plays every packet at the minimum delay', async t => {
  const r = runJitterBuffer('PCMU', {}, trace(), 5000, pops())
  t.equal(r.stats.played, N)
  t.equal(r.stats.lost + r.stats.lateLosses + r.stats.underflows, 1, 'only the end-of-stream underflow')
  t.equal(r.stats.targetDelayMs, 20, 'no jitter: target = min delay 20 ms')
  t.ok(Math.max(...r.currentDelayMs.slice(10, N)) <= 40)
  t.equal(count(r.kinds.slice(1, N), 'audio'), N - 1)
})

t.test('played audio is the decoded stream itself (no sample lost at frame/packet boundaries)', async t => {
  const r = runJitterBuffer('PCMU', {}, trace(), 5000, pops())
  const first = r.kinds.indexOf('audio')
  const ref = decode('PCMU', audio, 160)
  t.equal(firstDiff(r.pcm.subarray(first * 320, (first + N) * 320), ref.subarray(0, N * 320)), -1)
})

t.test('SIPp g711a.pcap (PCMA, 30 ms packets, real capture timing) plays back sample-exact in 20 ms frames', async t => {
  const udp = readPcapUdp(td('pcap', 'g711a.pcap')).filter(u => { const p = parseRtp(u.payload); return !('error' in p) && p.payloadType === 8 })
  const pkts = udp.map(u => parseRtp(u.payload) as RtpPacket)
  t.ok(pkts.length > 100, `${pkts.length} PCMA packets`)
  t.ok(pkts.every(p => p.payload.length === 240), '30 ms packets')
  // Arrival times are the capture's own timestamps; pops every 20 ms.
  const tr = pkts.map((p, i) => ({ seq: p.sequence, ts: p.timestamp, ssrc: p.ssrc, marker: i === 0, arrivalUs: udp[i].tsUs - udp[0].tsUs, payload: p.payload }))
  const n = Math.floor(pkts.length * 1.5)
  const r = runJitterBuffer('PCMA', {}, tr, 1000, n + 10)
  t.equal(r.stats.played, pkts.length)
  t.equal(r.stats.lost + r.stats.lateLosses, 0)
  const first = r.kinds.indexOf('audio')
  const ref = decode('PCMA', Buffer.concat(pkts.map(p => p.payload)), 240)
  const frames = Math.floor(ref.length / 320) - 2
  t.equal(firstDiff(r.pcm.subarray(first * 320, (first + frames) * 320), ref.subarray(0, frames * 320)), -1)
})

t.test('target delay follows the 95th percentile of the measured delay, bounded by min/max', async t => {
  for (const j of [40, 80, 120]) {
    const r = runJitterBuffer('PCMU', {}, trace({ jitterMs: j, seed: j }), 5000, pops())
    const settled = r.targetDelayMs.slice(500, N)
    const mean = settled.reduce((a, b) => a + b, 0) / settled.length
    t.ok(Math.abs(mean - (0.95 * j + 20)) <= 12, `uniform 0..${j} ms jitter: target ${mean.toFixed(1)} ms`)
    t.ok(r.stats.lateLosses <= N * 0.03, `${j}: late losses ${r.stats.lateLosses}`)
    t.ok(r.stats.reorders > 0, `${j}: reordering seen (${r.stats.reorders})`)
  }
  const wild = runJitterBuffer('PCMU', { maxDelayMs: 150 }, trace({ jitterMs: 400, seed: 9 }), 5000, pops())
  t.ok(Math.max(...wild.targetDelayMs) <= 150, 'never above maxDelayMs')
  t.ok(Math.max(...wild.currentDelayMs) <= 150 + 40, `buffer level bounded (${Math.max(...wild.currentDelayMs)} ms)`)
  const floor = runJitterBuffer('PCMU', { minDelayMs: 60 }, trace(), 5000, pops())
  t.equal(floor.stats.targetDelayMs, 60, 'never below minDelayMs')
})

t.test('loss: gaps are concealed with PLC and counted, the timeline stays aligned', async t => {
  const tr = trace({ loss: 0.05, seed: 5 })
  const r = runJitterBuffer('PCMU', {}, tr, 5000, pops())
  t.equal(r.stats.lost, N - tr.length, 'every missing sequence number counted')
  t.equal(r.stats.lateLosses, 0)
  t.equal(r.stats.played, tr.length)
  t.ok(r.stats.concealedSamples >= (N - tr.length) * 320, 'each lost packet concealed')
  t.ok(count(r.kinds, 'concealed') >= N - tr.length)
})

t.test('PLC: a single lost packet in a steady tone is filled with a continuation, not silence', async t => {
  const tr = trace({ n: 200 }).filter(p => p.seq !== 1100)
  const r = runJitterBuffer('PCMU', {}, tr, 5000, 210)
  t.equal(r.stats.lost, 1)
  const k = r.kinds.indexOf('concealed')
  t.ok(k > 0 && r.kinds[k - 1] === 'audio', 'the concealed frame follows real audio')
  const frame = (i: number): Int16Array => r.pcm.subarray(i * 320, i * 320 + 320)
  const level = (x: Int16Array): number => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length)
  t.ok(level(frame(k)) > 0.5 * level(frame(k - 1)), `concealed level ${level(frame(k)).toFixed(0)} vs ${level(frame(k - 1)).toFixed(0)}`)
})

t.test('reordering and duplicates: played in order, duplicates dropped and counted', async t => {
  const base = trace()
  const shuffled = base.map((p, i) => ({ ...p, arrivalUs: p.arrivalUs + (i % 2 === 0 ? 25000 : 0) })).sort((a, b) => a.arrivalUs - b.arrivalUs)
  const dup = shuffled.flatMap(p => [p, { ...p, arrivalUs: p.arrivalUs + 3000 }]).sort((a, b) => a.arrivalUs - b.arrivalUs)
  const r = runJitterBuffer('PCMU', {}, dup, 5000, pops())
  t.equal(r.stats.duplicates, N)
  t.equal(count(r.pushResults, 'duplicate'), N)
  t.ok(r.stats.reorders >= N / 2 - 1)
  t.equal(r.stats.played, N)
  t.equal(r.stats.lost + r.stats.lateLosses, 0)
  const first = r.kinds.indexOf('audio')
  const ref = decode('PCMU', audio, 160)
  t.equal(firstDiff(r.pcm.subarray(first * 320, (first + 300) * 320), ref.subarray(0, 300 * 320)), -1, 'in order')
})

t.test('a packet arriving after its playout time is a late loss', async t => {
  const tr = trace({ n: 300 })
  tr.find(p => p.seq === 1100)!.arrivalUs += 500_000
  tr.sort((a, b) => a.arrivalUs - b.arrivalUs)
  const r = runJitterBuffer('PCMU', {}, tr, 5000, pops(300))
  t.equal(r.stats.lateLosses, 1)
  t.equal(r.pushResults[tr.findIndex(p => p.seq === 1100)], 'late')
  t.equal(r.stats.lost, 1, 'its slot was concealed when due')
})

t.test('sequence number and RTP timestamp wrap: no reset, no loss', async t => {
  const r = runJitterBuffer('PCMU', {}, trace({ n: 600, seq0: 65300, ts0: 4294967296 - 160 * 300 }), 5000, pops(600))
  t.equal(r.stats.resets, 0)
  t.equal(r.stats.played, 600)
  t.equal(r.stats.lost + r.stats.lateLosses, 0)
})

t.test('timestamp jump and SSRC change reset the stream and playback resumes', async t => {
  const a = trace({ n: 300 })
  const jumped = trace({ n: 300, seq0: 1300, ts0: 5000 + 300 * 160 + 8000 * 60 }).map(p => ({ ...p, arrivalUs: p.arrivalUs + 6_000_000, marker: false }))
  const r = runJitterBuffer('PCMU', {}, [...a, ...jumped], 5000, 650)
  t.equal(r.stats.resets, 1, '60 s forward jump while playing')
  t.equal(r.stats.played, 600)
  const other = trace({ n: 300, seq0: 7, ts0: 99, ssrc: 8 }).map(p => ({ ...p, arrivalUs: p.arrivalUs + 6_000_000 }))
  const s = runJitterBuffer('PCMU', {}, [...a, ...other], 5000, 650)
  t.equal(s.stats.resets, 1, 'new SSRC')
  t.equal(s.stats.played, 600)
  t.equal(s.stats.lateLosses, 0, 'old sequence state forgotten')
})

t.test('a timestamp stepping back with contiguous sequence numbers resyncs instead of discarding', async t => {
  const a = trace({ n: 300 })
  const back = trace({ n: 300, seq0: 1300, ts0: 5000 + 300 * 160 - 8 * 400 }).map(p => ({ ...p, arrivalUs: p.arrivalUs + 6_000_000, marker: false }))
  const r = runJitterBuffer('PCMU', {}, [...a, ...back], 5000, 650)
  t.equal(r.stats.resets, 1, '400 ms backward step detected')
  t.equal(r.stats.lateLosses, 0)
  t.equal(r.stats.played, 600)
})

t.test('talkspurts (marker bit after silence suppression): silence is not loss, the delay re-adapts', async t => {
  const tr: JitterTracePacket[] = []
  let seq = 1; const rnd = prng(11)
  for (let spurt = 0; spurt < 6; spurt++) {
    const startMs = spurt * 3000 // 1 s of speech then 2 s of silence (no packets, timestamps keep running)
    for (let i = 0; i < 50; i++) {
      const ms = startMs + i * 20
      tr.push({ seq: seq++ & 0xffff, ts: 5000 + ms * 8, ssrc: 7, marker: i === 0, arrivalUs: ms * 1000 + Math.round(rnd() * (spurt < 3 ? 10000 : 80000)), payload: payload(i) })
    }
  }
  tr.sort((a, b) => a.arrivalUs - b.arrivalUs)
  const r = runJitterBuffer('PCMU', {}, tr, 5000, 6 * 150 + 20)
  t.equal(r.stats.resets, 0, 'a 2 s timestamp gap with a marker is a talkspurt, not a jump')
  t.equal(r.stats.lost, r.stats.lateLosses, 'sequence numbers are contiguous across silences: only late packets are lost')
  t.equal(r.stats.played + r.stats.lateLosses, 300)
  t.ok(r.stats.lateLosses <= 6, `late ${r.stats.lateLosses}`)
  t.ok(r.targetDelayMs[5 * 150] > r.targetDelayMs[2 * 150] + 30, `target rose with the jitter (${r.targetDelayMs[2 * 150]} -> ${r.targetDelayMs[5 * 150]} ms)`)
  t.ok(count(r.kinds, 'empty') > 6 * 50, 'silence periods output empty frames after concealment runs out')
})

t.test('clock drift: a fast sender makes the buffer drop frames, a slow one insert — the level stays bounded', async t => {
  const n = 3000 // 60 s
  const fast = runJitterBuffer('PCMU', {}, trace({ n, periodUs: 19800 }), 5000, n + 50) // +1 %
  t.ok(fast.stats.droppedFrames >= 25, `fast sender: ${fast.stats.droppedFrames} frames dropped`)
  t.ok(Math.max(...fast.currentDelayMs) <= 120, `fast sender: level <= ${Math.max(...fast.currentDelayMs)} ms`)
  const slow = runJitterBuffer('PCMU', {}, trace({ n, periodUs: 20200 }), 5000, Math.round(n * 1.01) + 50) // -1 %
  t.ok(slow.stats.insertedFrames >= 25, `slow sender: ${slow.stats.insertedFrames} frames inserted`)
  t.ok(slow.stats.underflows <= 5, `slow sender: ${slow.stats.underflows} underflows`)
  t.equal(slow.stats.played, n, 'nothing thrown away')
  // Without correction the fast sender's surplus would reach 1 % of 60 s = 600 ms.
  t.ok(fast.stats.currentDelayMs < 200)
})

t.test('G.722 (RTP clock 8000, 16 kHz audio) plays through the same buffer', async t => {
  const g = encode('G722', tone(1000, 16000, 320 * 200, 8000))
  const tr = Array.from({ length: 200 }, (_, i) => ({ seq: i, ts: i * 160, ssrc: 1, marker: i === 0, arrivalUs: i * 20000, payload: g.subarray(i * 160, i * 160 + 160) }))
  const r = runJitterBuffer('G722', {}, tr, 5000, 210)
  t.equal(r.stats.played, 200)
  const first = r.kinds.indexOf('audio')
  t.equal(firstDiff(r.pcm.subarray(first * 320, (first + 100) * 320), decode('G722', g, 160).subarray(0, 100 * 320)), -1)
})

t.test('argument checks', async t => {
  t.throws(() => runJitterBuffer('PCMU', { quantile: 1.5 }, [], 0, 1), new RangeError('quantile must be in (0, 1]'))
  t.throws(() => runJitterBuffer('PCMU', { minDelayMs: 100, maxDelayMs: 50 }, [], 0, 1), new RangeError('maxDelayMs must be an integer 100..5000'))
  t.throws(() => runJitterBuffer('PCMU', {}, [{ seq: 1, ts: 1, arrivalUs: 5, payload: Buffer.alloc(1) }, { seq: 2, ts: 2, arrivalUs: 4, payload: Buffer.alloc(1) }], 0, 1), new RangeError('trace must be sorted by arrivalUs'))
  t.throws(() => runJitterBuffer('PCMU', {}, [{ seq: 70000, ts: 1, arrivalUs: 5, payload: Buffer.alloc(1) }], 0, 1), new RangeError('seq must be an integer 0..65535'))
})
