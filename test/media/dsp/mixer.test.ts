// Mix-minus conference mixer at 16 kHz: each listener hears everyone but itself, int32 accumulation with
// one saturation, click-free join/leave fades, mute, and whisper (heard by one listener only).
import t from 'tap'
import { Mixer } from '../../../src/media/dsp'

const F = 320
const dc = (v: number): Int16Array => new Int16Array(F).fill(v)
const allEqual = (a: Int16Array, v: number): boolean => a.every(x => x === v)

function room (n: number): { m: Mixer, ids: number[] } {
  const m = new Mixer(8)
  const ids = Array.from({ length: n }, () => m.join())
  // Run one cycle so the join fade-ins are over.
  ids.forEach(id => m.setInput(id, dc(0)))
  m.mix()
  return { m, ids }
}

t.test('mix-minus: each listener gets the sum of the others, never itself', async t => {
  const { m, ids } = room(4)
  const levels = [100, 200, 400, 800]
  ids.forEach((id, i) => m.setInput(id, dc(levels[i])))
  m.mix()
  ids.forEach((id, i) => t.ok(allEqual(m.output(id), 1500 - levels[i]), `listener ${i} hears ${1500 - levels[i]}`))
})

t.test('int32 accumulation: the sum saturates once, the own-voice subtraction is exact', async t => {
  const { m, ids } = room(3)
  m.setInput(ids[0], dc(30000)); m.setInput(ids[1], dc(30000)); m.setInput(ids[2], dc(-20000))
  m.mix()
  t.ok(allEqual(m.output(ids[2]), 32767), '30000 + 30000 saturates to 32767')
  t.ok(allEqual(m.output(ids[0]), 10000), '30000 - 20000: intermediate sums never clipped')
  m.setInput(ids[0], dc(-30000)); m.setInput(ids[1], dc(-30000)); m.setInput(ids[2], dc(0))
  m.mix()
  t.ok(allEqual(m.output(ids[2]), -32768))
})

t.test('a participant without input this cycle is silent, not repeated', async t => {
  const { m, ids } = room(2)
  m.setInput(ids[0], dc(500)); m.mix()
  t.ok(allEqual(m.output(ids[1]), 500))
  m.mix()
  t.ok(allEqual(m.output(ids[1]), 0))
})

t.test('join fades in and leave fades out over 10 ms: no step larger than the ramp', async t => {
  const { m, ids } = room(1)
  const late = m.join()
  m.setInput(ids[0], dc(0)); m.setInput(late, dc(16000)); m.mix()
  const inOut = m.output(ids[0])
  t.equal(inOut[0], 0, 'starts from silence')
  t.ok(Math.abs(inOut[159] - 16000 * 159 / 160) <= 1, 'linear ramp (Q15 gain)')
  t.ok(allEqual(inOut.subarray(160), 16000), 'full level after 160 samples')
  let maxStep = 0
  for (let i = 1; i < F; i++) maxStep = Math.max(maxStep, Math.abs(inOut[i] - inOut[i - 1]))
  t.ok(maxStep <= 101, `largest step ${maxStep}`)
  m.setInput(ids[0], dc(0)); m.setInput(late, dc(16000)); m.mix()
  m.leave(late)
  m.setInput(ids[0], dc(0)); m.mix()
  const outFade = m.output(ids[0])
  t.equal(outFade[0], 16000, 'fade-out starts at the last level')
  t.ok(outFade[100] < 16000 && outFade[100] > 0)
  t.ok(allEqual(outFade.subarray(160), 0), 'silent after the fade')
  t.equal(m.join(), late, 'the slot is free again after the fade')
})

t.test('whisper: heard only by its listener; the listener still hears the room', async t => {
  const { m, ids } = room(3) // 0 = customer, 1 = agent, 2 = coach
  t.equal(m.setWhisper(ids[2], ids[1]), true)
  m.setInput(ids[0], dc(100)); m.setInput(ids[1], dc(200)); m.setInput(ids[2], dc(400))
  m.mix()
  t.ok(allEqual(m.output(ids[0]), 200), 'customer hears the agent only')
  t.ok(allEqual(m.output(ids[1]), 500), 'agent hears customer + coach')
  t.ok(allEqual(m.output(ids[2]), 300), 'coach hears customer + agent')
  m.setWhisper(ids[2], -1)
  m.setInput(ids[0], dc(100)); m.setInput(ids[1], dc(200)); m.setInput(ids[2], dc(400)); m.mix()
  t.ok(allEqual(m.output(ids[0]), 600), 'whisper cleared: everyone hears the coach')
  t.equal(m.setWhisper(ids[2], ids[2]), false, 'cannot whisper to oneself')
  t.equal(m.setWhisper(ids[2], 7), false, 'listener must be a participant')
})

t.test('a whisperer whose listener leaves is muted rather than heard by the room', async t => {
  const { m, ids } = room(3)
  m.setWhisper(ids[2], ids[1])
  m.leave(ids[1])
  m.setInput(ids[0], dc(0)); m.setInput(ids[2], dc(400)); m.mix()
  t.ok(allEqual(m.output(ids[0]), 0))
})

t.test('mute keeps the participant listening', async t => {
  const { m, ids } = room(2)
  m.setMuted(ids[0], true)
  m.setInput(ids[0], dc(300)); m.setInput(ids[1], dc(50)); m.mix()
  t.ok(allEqual(m.output(ids[1]), 0))
  t.ok(allEqual(m.output(ids[0]), 50))
})

t.test('capacity and argument checks', async t => {
  const m = new Mixer(2)
  t.equal(m.join(), 0); t.equal(m.join(), 1); t.equal(m.join(), -1, 'full')
  t.throws(() => new Mixer(0), new RangeError('maxParticipants must be an integer 1..256'))
  t.throws(() => m.setInput(0, new Int16Array(100)), new RangeError('pcm must hold exactly 320 samples'))
  t.throws(() => m.setInput(0, [1] as unknown as Int16Array), new TypeError('pcm must be an Int16Array'))
  t.throws(() => m.output(300), new RangeError('id must be an integer 0..255'))
  t.throws(() => m.output(5), new RangeError('id is not a participant slot'))
})
