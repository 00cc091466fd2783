// In-band DTMF from the caller: SIPp replays G.711 A-law audio holding the key tones (no RFC 4733
// events), the media core detects them, and the engine gets each key once with source INBAND.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { describeRun } from '../integration/sipp-runner'
import { TestEngine } from './test-engine'
import { callUntilGatewayBye, nextRecord, startGateway } from './helpers'
import { dtmfTone8k, linearToAlaw, writePcmaPcap } from './pcap-writer'

t.test('A-law encoder matches the G.711 reference points', async t => {
  t.equal(linearToAlaw(0), 0xd5, 'zero is 0xD5')
  t.equal(linearToAlaw(-1), 0x55)
  t.equal(linearToAlaw(32767), 0xaa, 'positive full scale')
  t.equal(linearToAlaw(-32768), 0x2a, 'negative full scale')
})

t.test('in-band key tones 4 and # reach the engine as DTMF_SOURCE_INBAND, once each', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-inband-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const silence = (ms: number): Int16Array => new Int16Array(8 * ms)
  const parts = [silence(600), dtmfTone8k('4', 160), silence(400), dtmfTone8k('#', 160), silence(1000)]
  const audio = new Int16Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) { audio.set(p, off); off += p.length }
  const pcap = path.join(dir, 'inband-4-pound.pcap')
  writePcmaPcap(pcap, audio)

  const engine = new TestEngine({
    onReady: conv => { void conv.until(c => c.digits.length >= 2, 10000, 'two digits').then(() => setTimeout(() => conv.hangup('done'), 300), () => conv.hangup('no digits')) }
  })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run } = await callUntilGatewayBye(server, { byeTimeoutMs: 12000, speechPcap: pcap })
  t.equal(run.successfulCalls, 1, describeRun(run))
  const conv = await engine.conversation(0)
  t.same(conv.digits.map(d => [d.digit, d.source]), [['4', 'DTMF_SOURCE_INBAND'], ['#', 'DTMF_SOURCE_INBAND']])
  t.match(await ended, { dtmfReceived: 2 })
})
