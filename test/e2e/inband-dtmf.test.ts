// In-band DTMF from the caller: SIPp replays G.711 A-law audio holding the key tones (no RFC 4733
// events), the media core detects them, and the engine gets each key once with source INBAND.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
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

/** A call whose caller sends the key tones 4 and # in its A-law audio; resolves with what the engine heard. */
async function inbandCall (t: Test, opts: { trunkYaml?: string; telephoneEvent: boolean; expectDigits: number }): Promise<{ digits: Array<[string, string]>; dtmfReceived: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-inband-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const silence = (ms: number): Int16Array => new Int16Array(8 * ms)
  const parts = [silence(600), dtmfTone8k('4', 160), silence(400), dtmfTone8k('#', 160), silence(1000)]
  const audio = new Int16Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) { audio.set(p, off); off += p.length }
  const pcap = path.join(dir, 'inband-4-pound.pcap')
  writePcmaPcap(pcap, audio)

  // Waits for the expected digits (or, expecting none, long enough for the tones to have played).
  const engine = new TestEngine({
    onReady: conv => {
      const wait = opts.expectDigits > 0
        ? conv.until(c => c.digits.length >= opts.expectDigits, 10000, 'digits')
        : new Promise(resolve => setTimeout(resolve, 3500))
      void wait.then(() => setTimeout(() => conv.hangup('done'), 300), () => conv.hangup('no digits'))
    }
  })
  await engine.start()
  t.teardown(() => engine.stop())
  const server = await startGateway({ engineAddress: engine.address, trunkYaml: opts.trunkYaml })
  t.teardown(() => server.close())
  const ended = nextRecord(server)
  const { run } = await callUntilGatewayBye(server, { byeTimeoutMs: 12000, speechPcap: pcap, telephoneEvent: opts.telephoneEvent })
  t.equal(run.successfulCalls, 1, describeRun(run))
  const conv = await engine.conversation(0)
  const record = await ended
  return { digits: conv.digits.map(d => [d.digit, d.source]), dtmfReceived: record.dtmfReceived }
}

t.test('trunk without RFC 4733 (dtmf_inband: auto): key tones 4 and # reach the engine as DTMF_SOURCE_INBAND, once each', async t => {
  const r = await inbandCall(t, { telephoneEvent: false, expectDigits: 2 })
  t.same(r.digits, [['4', 'DTMF_SOURCE_INBAND'], ['#', 'DTMF_SOURCE_INBAND']])
  t.equal(r.dtmfReceived, 2)
})

t.test('RFC 4733 negotiated, dtmf_inband: auto: tones in the audio are not looked for (the peer signals keys as events)', async t => {
  const r = await inbandCall(t, { telephoneEvent: true, expectDigits: 0 })
  t.same(r.digits, [], 'no in-band detection while telephone-event is negotiated')
  t.equal(r.dtmfReceived, 0)
})

t.test('RFC 4733 negotiated, dtmf_inband: always (a PBX that sends tones anyway): the tones are detected', async t => {
  const r = await inbandCall(t, { telephoneEvent: true, expectDigits: 2, trunkYaml: '    dtmf_inband: always' })
  t.same(r.digits, [['4', 'DTMF_SOURCE_INBAND'], ['#', 'DTMF_SOURCE_INBAND']])
  t.equal(r.dtmfReceived, 2)
})
