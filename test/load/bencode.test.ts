// The load bench's bencode codec (rtpengine's ng protocol body, BEP 3) and /proc helpers.
import t from 'tap'
import { bdecode, bencode, BencodeError } from '../bench/load/bencode'
import { cpuSeconds, parseRssBytes, parseStatTimes, percentile, rssBytes } from '../bench/load/proc-stat'

t.test('bencode: BEP 3 examples encode byte-exact', async t => {
  t.equal(bencode('spam').toString(), '4:spam')
  t.equal(bencode(3).toString(), 'i3e')
  t.equal(bencode(-3).toString(), 'i-3e')
  t.equal(bencode(0).toString(), 'i0e')
  t.equal(bencode(['spam', 'eggs']).toString(), 'l4:spam4:eggse')
  t.equal(bencode({ cow: 'moo', spam: 'eggs' }).toString(), 'd3:cow3:moo4:spam4:eggse')
  t.equal(bencode({ spam: ['a', 'b'] }).toString(), 'd4:spaml1:a1:bee')
  t.equal(bencode('').toString(), '0:')
})

t.test('bencode: dictionary keys sorted as raw bytes, lengths count UTF-8 bytes', async t => {
  t.equal(bencode({ b: 1, a: 2, B: 3, 'call-id': 'x' }).toString(), 'd1:Bi3e1:ai2e1:bi1e7:call-id1:xe')
  t.equal(bencode('é').toString('latin1'), '2:\u00c3\u00a9')
  t.equal(bencode(Buffer.from([0, 255])).length, 4)
})

t.test('bencode: refuses what it cannot represent', async t => {
  t.throws(() => bencode(1.5), TypeError)
  t.throws(() => bencode(null as unknown as number), TypeError)
})

t.test('bdecode: round trip of an ng offer-like dictionary', async t => {
  const cmd = { command: 'offer', 'call-id': 'c1', sdp: 'v=0\r\nm=audio 4000 RTP/AVP 0\r\n', codec: { transcode: ['G722'], mask: ['PCMU'] }, n: -42 }
  t.same(bdecode(bencode(cmd)), cmd)
  t.same(bdecode(Buffer.from('d6:result4:ponge')), { result: 'pong' })
})

t.test('bdecode: malformed input is a BencodeError with the offset, never a hang', async t => {
  const bad: Array<[string, RegExp]> = [
    ['', /unexpected end at offset 0/],
    ['i12', /unterminated integer/],
    ['i-0e', /bad integer/],
    ['i03e', /bad integer/],
    ['5:abc', /string past the end/],
    ['l1:a', /unterminated list/],
    ['di1e1:ae', /key is not a string/],
    ['d1:a', /unexpected end/],
    ['x', /unexpected byte 0x78/],
    ['4:spamX', /trailing bytes at offset 6/],
    ['01:a', /bad string length/],
    ['l'.repeat(100) + 'e'.repeat(100), /nesting too deep/]
  ]
  for (const [text, re] of bad) {
    let caught: unknown = null
    try { bdecode(Buffer.from(text)) } catch (err) { caught = err }
    t.ok(caught instanceof BencodeError, `${JSON.stringify(text.slice(0, 20))} throws a BencodeError`)
    t.match((caught as Error | null)?.message, re, JSON.stringify(text.slice(0, 20)))
  }
})

t.test('proc-stat: utime and stime are fields 14 and 15 even when the command name has spaces and parentheses', async t => {
  // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const line = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 5000 1000000 2000'
  t.same(parseStatTimes(line, 100), { utime: 2.5, stime: 0.75 })
  t.throws(() => parseStatTimes('1 (x) S', 100))
  t.equal(parseRssBytes('Name:\tnode\nVmRSS:\t   12345 kB\nThreads: 3\n'), 12345 * 1024)
  t.throws(() => parseRssBytes('Name: x\n'))
})

t.test('proc-stat: our own process burns CPU we can see, and has a plausible RSS', async t => {
  const before = cpuSeconds('self')
  const until = Date.now() + 150
  let x = 0
  while (Date.now() < until) x += Math.sqrt(x + 1)
  t.ok(x > 0)
  t.ok(cpuSeconds('self') - before >= 0.05, 'at least 50 ms of CPU charged for 150 ms of spinning')
  const rss = rssBytes(process.pid)
  t.ok(rss > 10 * 1048576 && rss < 4096 * 1048576, `RSS ${rss} bytes`)
})

t.test('percentile: nearest rank', async t => {
  t.equal(percentile([5, 1, 4, 2, 3], 50), 3)
  t.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10)
  t.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9)
  t.equal(percentile([7], 1), 7)
  t.ok(Number.isNaN(percentile([], 50)))
})
