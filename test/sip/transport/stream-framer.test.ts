// RFC 3261 §18.3 stream framing, RFC 5626 §4.4.1 keep-alives, RFC 4475 framing torture cases —
// at the framer level (the same cases run over real sockets in transport-framing.test.ts).
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { StreamFramer, readContentLength, type FramerEvent } from '../../../src/sip/transport/stream-framer'
import { SipError } from '../../../src/sip/sip-error'

const TORTURE = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors', 'sip', 'rfc4475')

function msg (body: string, extraHeaders = ''): Buffer {
  return Buffer.from(
    'OPTIONS sip:u@example.com SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\n' +
    extraHeaders +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` + body)
}

function messages (events: FramerEvent[]): string[] {
  return events.flatMap(e => e.kind === 'message' ? [e.buffer.toString()] : [])
}

t.test('two pipelined messages in one chunk come out as two frames', async t => {
  const f = new StreamFramer({ maxMessageBytes: 65536 })
  const a = msg('hello')
  const b = msg('', 'Subject: second\r\n')
  const out = messages(f.push(Buffer.concat([a, b])))
  t.same(out, [a.toString(), b.toString()])
  t.equal(f.state, 'idle')
  t.equal(f.bufferedBytes, 0)
})

t.test('a message split byte by byte is framed once, only at its last byte', async t => {
  const f = new StreamFramer({ maxMessageBytes: 65536 })
  const m = msg('v=0\r\n')
  let frames: string[] = []
  for (let i = 0; i < m.length; i++) {
    const out = messages(f.push(m.subarray(i, i + 1)))
    if (i < m.length - 1) t.equal(out.length, 0, `no frame after byte ${i}`)
    frames = frames.concat(out)
  }
  t.same(frames, [m.toString()])
})

t.test('a folded header split across chunks does not end the header block early', async t => {
  const f = new StreamFramer({ maxMessageBytes: 65536 })
  const m = Buffer.from('OPTIONS sip:u@example.com SIP/2.0\r\nSubject: one\r\n two\r\nContent-Length: 0\r\n\r\n')
  const cut = m.indexOf('\r\n two') + 2
  t.same(f.push(m.subarray(0, cut)), [])
  t.ok(f.midMessage)
  t.same(messages(f.push(m.subarray(cut))), [m.toString()])
})

t.test('Content-Length folded onto a continuation line is still found', async t => {
  const block = Buffer.from('OPTIONS sip:u@x SIP/2.0\r\nContent-Length:\r\n 12')
  t.equal(readContentLength(block, 1000), 12)
})

t.test('compact l: and odd spacing are accepted', async t => {
  t.equal(readContentLength(Buffer.from('X sip:a SIP/2.0\r\nl: 7'), 100), 7)
  t.equal(readContentLength(Buffer.from('X sip:a SIP/2.0\r\nL:0'), 100), 0)
  t.equal(readContentLength(Buffer.from('X sip:a SIP/2.0\r\nContent-Length   : 00150'), 1000), 150)
})

t.test('CRLFCRLF between messages is a ping; lone CRLFs are skipped (RFC 5626 §4.4.1, RFC 3261 §7.5)', async t => {
  const f = new StreamFramer({ maxMessageBytes: 65536 })
  t.same(f.push(Buffer.from('\r\n\r\n')), [{ kind: 'ping' }])
  t.same(f.push(Buffer.from('\r\n')), [], 'half a ping waits')
  t.same(f.push(Buffer.from('\r\n')), [{ kind: 'ping' }], 'completed across chunks')
  t.notOk(f.midMessage, 'a keep-alive does not start the read timer')
  const m = msg('')
  const out = f.push(Buffer.concat([Buffer.from('\r\n'), m]))
  t.same(messages(out), [m.toString()], 'a lone CRLF before a start line is ignored')
  t.equal(out.filter(e => e.kind === 'ping').length, 0)
})

function framingError (f: StreamFramer, data: Buffer): SipError {
  const ev = f.push(data).find(e => e.kind === 'error')
  if (!ev || ev.kind !== 'error') throw new Error('expected a framing error')
  return ev.error
}

t.test('missing Content-Length: 400, framing lost', async t => {
  const f = new StreamFramer({ maxMessageBytes: 65536 })
  const err = framingError(f, Buffer.from('OPTIONS sip:u@x SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n'))
  t.equal(err.status, 400)
  t.equal(err.code, 'SIP_ERR_MISSING_CONTENT_LENGTH')
  t.ok(err.closeConnection)
  t.equal(f.state, 'failed')
  t.same(f.push(msg('')), [], 'nothing is framed after the loss')
})

t.test('negative, non-numeric and duplicate Content-Length: 400 with a precise code', async t => {
  const cases: Array<[string, string]> = [
    ['Content-Length: -999\r\n', 'SIP_ERR_BAD_CONTENT_LENGTH'],
    ['Content-Length: 12a\r\n', 'SIP_ERR_BAD_CONTENT_LENGTH'],
    ['Content-Length: \r\n', 'SIP_ERR_BAD_CONTENT_LENGTH'],
    ['Content-Length: 0\r\nl: 0\r\n', 'SIP_ERR_DUPLICATE_CONTENT_LENGTH'],
    ['Content-Length: 13\r\nContent-Length: 5\r\n', 'SIP_ERR_DUPLICATE_CONTENT_LENGTH']
  ]
  for (const [h, code] of cases) {
    const f = new StreamFramer({ maxMessageBytes: 65536 })
    const err = framingError(f, Buffer.from(`OPTIONS sip:u@x SIP/2.0\r\n${h}\r\n`))
    t.equal(err.status, 400, JSON.stringify(h))
    t.equal(err.code, code, JSON.stringify(h))
  }
})

t.test('oversize: header section beyond the limit is 513, Content-Length beyond it is 413', async t => {
  const f1 = new StreamFramer({ maxMessageBytes: 200 })
  const e1 = framingError(f1, Buffer.from('OPTIONS sip:u@x SIP/2.0\r\n' + 'X-Pad: aaaaaaaaaa\r\n'.repeat(20)))
  t.equal(e1.status, 513)
  const f2 = new StreamFramer({ maxMessageBytes: 200 })
  t.equal(framingError(f2, Buffer.from('OPTIONS sip:u@x SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n')).status, 413)
  const f3 = new StreamFramer({ maxMessageBytes: 200 })
  t.equal(framingError(f3, Buffer.from('OPTIONS sip:u@x SIP/2.0\r\nContent-Length: 190\r\n\r\n')).status, 513,
    'headers + body together over the limit')
})

t.test('RFC 4475 clerr.dat: body shorter than Content-Length waits (no error)', async t => {
  const f = new StreamFramer({ maxMessageBytes: 65536 })
  t.same(f.push(fs.readFileSync(path.join(TORTURE, 'clerr.dat'))), [])
  t.equal(f.state, 'body')
  t.ok(f.midMessage)
})

t.test('RFC 4475 dblreq.dat over a stream: two framed messages', async t => {
  const f = new StreamFramer({ maxMessageBytes: 65536 })
  const events = f.push(fs.readFileSync(path.join(TORTURE, 'dblreq.dat')))
  const out = messages(events)
  t.equal(out.length, 2)
  // The INVITE body is 5 octets longer than its Content-Length: the rest is an unframeable section.
  const last = events[events.length - 1]
  t.equal(last.kind === 'error' && last.error.code, 'SIP_ERR_MISSING_CONTENT_LENGTH')
  t.match(out[0], /^REGISTER /)
  t.match(out[1], /^INVITE /)
})

/** Small deterministic PRNG (mulberry32) so a failing split can be reproduced from its seed. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

function summarize (events: FramerEvent[]): string[] {
  return events.map(e => e.kind === 'message' ? `message:${e.buffer.toString('latin1')}` : e.kind === 'ping' ? 'ping' : `error:${e.error.code}`)
}

t.test('fuzz: any chunking of a stream gives the same frames as one push', async t => {
  // Every well-framed torture message, with keep-alives and lone CRLFs between them.
  const corpus: Buffer[] = []
  for (const f of fs.readdirSync(TORTURE).filter(f => f.endsWith('.dat')).sort()) {
    if (['clerr.dat', 'ncl.dat', 'mcl01.dat', 'inv2543.dat', 'baddn.dat', 'dblreq.dat'].includes(f)) continue
    corpus.push(fs.readFileSync(path.join(TORTURE, f)), Buffer.from(corpus.length % 3 === 0 ? '\r\n\r\n' : '\r\n'))
  }
  // End with a framing error so the failed state is covered too.
  corpus.push(fs.readFileSync(path.join(TORTURE, 'ncl.dat')))
  const stream = Buffer.concat(corpus)
  const reference = summarize(new StreamFramer({ maxMessageBytes: 65536 }).push(stream))
  t.equal(reference.filter(s => s.startsWith('message:')).length, 44, 'all 44 well-framed messages')
  t.equal(reference[reference.length - 1], 'error:SIP_ERR_BAD_CONTENT_LENGTH')
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = prng(seed)
    const f = new StreamFramer({ maxMessageBytes: 65536 })
    const events: FramerEvent[] = []
    for (let pos = 0; pos < stream.length;) {
      const n = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 8 : 700))
      events.push(...f.push(stream.subarray(pos, pos + n)))
      pos += n
    }
    const got = summarize(events)
    if (JSON.stringify(got) !== JSON.stringify(reference)) {
      t.fail(`seed ${seed} framed differently`)
      return
    }
  }
  t.pass('200 random chunkings agree')
})

t.test('fuzz: random octets never throw and never buffer past the limit', async t => {
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = prng(seed)
    const f = new StreamFramer({ maxMessageBytes: 4096 })
    const alphabet = Buffer.from('\r\n\r\n:l Content-Length: 12-0 INVITE sip:a SIP/2.0 \t\x00\xff')
    for (let i = 0; i < 200 && f.state !== 'failed'; i++) {
      const chunk = Buffer.alloc(1 + Math.floor(rnd() * 64))
      for (let j = 0; j < chunk.length; j++) chunk[j] = rnd() < 0.8 ? alphabet[Math.floor(rnd() * alphabet.length)] : Math.floor(rnd() * 256)
      f.push(chunk)
      if (f.bufferedBytes > 4096 + 64) { t.fail(`seed ${seed}: ${f.bufferedBytes} octets buffered`); return }
    }
  }
  t.pass('300 random streams handled')
})
