// ConferenceTransfer's state machine on scripted legs and an injected clock: the whisper bound, the
// human or the caller hanging up mid-transfer (the tool call always settles), failure wording.
import t from 'tap'
import { EventEmitter } from 'node:events'
import { transferSettings } from '../../src/config/transfer-schema'
import { parseConfigText } from '../../src/config'
import { rootLogger } from '../../src/log'
import { ConferenceTransfer, ConferenceState, describeDialFailure } from '../../src/transfer/conference-transfer'
import { HumanDialError, type HumanDialer } from '../../src/transfer/human-dialer'
import { FakeClock } from '../fixtures/sip/fake-clock'

class FakeLeg extends EventEmitter {
  isClosed = false
  played = 0
  cleared = 0
  bridgedTo: FakeLeg | null = null
  play (pcm: Int16Array | Buffer): number { this.played += pcm.length; return 0 }
  queuedMs (): number { return 0 }
  clear (): void { this.cleared++ }
  bridge (o: FakeLeg): void { this.bridgedTo = o; o.bridgedTo = this }
  unbridge (): void { this.bridgedTo = null }
}

class FakeDialog extends EventEmitter {
  destroyed = false
  destroy (): Promise<null> { this.destroyed = true; return Promise.resolve(null) }
}

const trunk = parseConfigText(`
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks: [{name: t, inbound: {acl: [127.0.0.1]}, outbound: {address: 127.0.0.1}}]
`).trunks[0]

function setup (dial: HumanDialer, settings = transferSettings.check({ whisper_max_ms: 2000 }, 'transfer')): {
  conf: ConferenceTransfer, caller: FakeLeg, clock: FakeClock, routed: Array<FakeLeg | null>, hungUp: string[]
} {
  const caller = new FakeLeg()
  const clock = new FakeClock()
  const routed: Array<FakeLeg | null> = []
  const hungUp: string[] = []
  const conf = new ConferenceTransfer({
    host: {
      callerLeg: () => caller as never,
      routeEngineAudio: (leg) => routed.push(leg as never),
      humanHungUp: () => hungUp.push('human'),
      trunk, callId: 'c1', callerId: '+15557770000', mediaAddress: '127.0.0.1', log: rootLogger.child({}, { level: 'silent' })
    },
    dial, settings, clock
  })
  return { conf, caller, clock, routed, hungUp }
}

function humanLeg (): { leg: FakeLeg, dialog: FakeDialog, dial: HumanDialer } {
  const leg = new FakeLeg()
  const dialog = new FakeDialog()
  return { leg, dialog, dial: async () => ({ dialog: dialog as never, media: { leg, close: () => { leg.isClosed = true } } as never }) }
}

const noProgress = (): void => undefined
const req = { toolCallId: 'x', rule: null as never, number: '+15551234567', args: null as never, progress: noProgress }

t.test('no Mark from the engine: the whisper ends at whisper_max_ms and the legs are bridged', async t => {
  const h = humanLeg()
  const { conf, caller, clock, routed } = setup(h.dial)
  const p = conf.run(req)
  await new Promise(resolve => setImmediate(resolve))
  t.equal(conf.state, ConferenceState.Whisper)
  t.same(routed, [h.leg], 'engine audio goes to the human')
  t.ok(caller.played > 0, 'the caller gets hold audio')
  clock.tick(1999)
  t.equal(conf.state, ConferenceState.Whisper)
  clock.tick(1)
  t.match(await p, { ok: true })
  t.equal(caller.bridgedTo, h.leg)
  t.same(routed, [h.leg, null])
  h.dialog.emit('destroy', { reason: 'BYE' })
})

t.test('an engine Mark played on the human leg ends the whisper at once', async t => {
  const h = humanLeg()
  const { conf, caller } = setup(h.dial)
  const p = conf.run(req)
  await new Promise(resolve => setImmediate(resolve))
  h.leg.emit('mark', { kind: 'other' })
  t.equal(conf.state, ConferenceState.Whisper, 'a mark that is not the engine\'s does not count')
  h.leg.emit('mark', { engineMark: 'whisper-done' }, { flushed: false })
  t.match(await p, { ok: true })
  t.equal(caller.bridgedTo, h.leg)
})

t.test('after the bridge the human hanging up ends the call', async t => {
  const h = humanLeg()
  const { conf, hungUp } = setup(h.dial)
  const p = conf.run(req)
  await new Promise(resolve => setImmediate(resolve))
  h.leg.emit('mark', { engineMark: 'm' }, { flushed: false })
  await p
  h.dialog.emit('destroy', { reason: 'BYE' })
  t.same(hungUp, ['human'])
})

t.test('the human hangs up during the whisper: failure, engine audio back to the caller, no bridge', async t => {
  const h = humanLeg()
  const { conf, caller, routed } = setup(h.dial)
  const p = conf.run(req)
  await new Promise(resolve => setImmediate(resolve))
  h.dialog.emit('destroy', { reason: 'BYE' })
  t.match(await p, { ok: false, detail: 'the human hung up during the whisper' })
  t.equal(caller.bridgedTo, null)
  t.same(routed.at(-1), null)
  t.equal(conf.state, ConferenceState.Failed)
})

t.test('the caller hangs up during the whisper: the tool call settles, the human gets BYE', async t => {
  const h = humanLeg()
  const { conf, clock } = setup(h.dial)
  const p = conf.run(req)
  await new Promise(resolve => setImmediate(resolve))
  conf.close()
  t.match(await p, { ok: false })
  t.ok(h.dialog.destroyed, 'BYE to the human')
  t.ok(h.leg.isClosed, 'human leg released')
  t.equal(clock.pending, 0, 'no timer left')
})

t.test('the caller hangs up while the human rings: the late answer is hung up', async t => {
  const h = humanLeg()
  let answer!: () => void
  const dial: HumanDialer = () => new Promise(resolve => { answer = () => { void h.dial(null as never).then(resolve) } })
  const { conf } = setup(dial)
  const p = conf.run(req)
  conf.close()
  answer()
  t.match(await p, { ok: false, detail: /hung up before the human answered/ })
  t.ok(h.dialog.destroyed)
})

t.test('dial failures: busy / no answer / failed wording and the hold audio stops', async t => {
  const { conf, caller } = setup(async () => { throw new HumanDialError(486, 'Busy Here', 'busy') })
  t.match(await conf.run(req), { ok: false, sipStatus: 486, detail: 'busy (486 Busy Here)' })
  t.ok(caller.cleared > 0, 'hold audio cleared from the caller leg')
  t.equal(describeDialFailure(600, 'Busy Everywhere'), 'busy (600 Busy Everywhere)')
  t.equal(describeDialFailure(487, 'Request Terminated'), 'no answer (487 Request Terminated)')
  t.equal(describeDialFailure(480, 'Temporarily Unavailable'), 'no answer (480 Temporarily Unavailable)')
  t.equal(describeDialFailure(503, 'Service Unavailable'), 'failed (503 Service Unavailable)')
  t.equal(describeDialFailure(0, 'connection refused'), 'failed (connection refused)')
})
