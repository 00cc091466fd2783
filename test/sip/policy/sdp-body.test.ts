import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { findSdp, parseMediaType } from '../../../src/sip/policy/sdp-body'

const torture = path.resolve(__dirname, '..', '..', '..', 'test', 'vectors', 'sip', 'rfc4475')

t.test('media types', async t => {
  t.same(parseMediaType('Application/SDP ; charset="utf-8"'), { type: 'application/sdp', params: new Map([['charset', 'utf-8']]) })
  t.equal(parseMediaType('sdp'), null)
  t.equal(parseMediaType(''), null)
})

t.test('bare SDP and unknown types', async t => {
  const body = Buffer.from('v=0\r\n')
  t.equal(findSdp('application/sdp', body), body)
  t.equal(findSdp('application/unknownformat', body), null)
  t.equal(findSdp('multipart/mixed', body), null, 'multipart without boundary')
})

t.test('RFC 4475 mpart01: multipart/mixed with a binary part and no SDP part -> none found, no crash', async t => {
  const raw = fs.readFileSync(path.join(torture, 'mpart01.dat'))
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.subarray(0, split).toString('latin1')
  const body = raw.subarray(split + 4)
  const ct = /^Content-Type: (.*)$/m.exec(head)![1].trim()
  t.equal(ct, 'multipart/mixed;boundary=7a9cbec02ceef655')
  t.equal(findSdp(ct, body), null)
  // The same body with its octet-stream part relabelled as SDP: that part is found, bounded by the delimiter.
  const relabelled = Buffer.from(body.toString('latin1').replace('application/octet-stream', 'application/sdp'), 'latin1')
  const sdp = findSdp(ct, relabelled)!
  t.ok(sdp.length > 100)
  t.notOk(sdp.toString('latin1').includes('--7a9cbec02ceef655'), 'stops before the close delimiter')
})

t.test('multipart without an SDP part', async t => {
  const body = Buffer.from('--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\n')
  t.equal(findSdp('multipart/mixed; boundary=b1', body), null)
  t.equal(findSdp('multipart/mixed; boundary=b1', Buffer.from('garbage')), null)
  const ok = Buffer.from('--b1\r\nContent-Type: application/isup\r\n\r\n\x01\x02\r\n--b1\r\ncontent-type:application/sdp\r\n\r\nv=0\r\n--b1--\r\n', 'latin1')
  t.equal(findSdp('multipart/mixed; boundary="b1"', ok)!.toString(), 'v=0')
})
