// media.realtime_priority (added for the load bench, issue 7): the AI call stack's media threads
// run SCHED_FIFO at that priority when the OS permits it; 0 (the default) keeps normal scheduling.
import t from 'tap'
import { ConfigError, parseConfigText } from '../../src/config'

const base = (media: string): string => `
sip: {listen: {tcp: {host: 127.0.0.1, port: 0}}}
trunks: [{name: t, inbound: {acl: [127.0.0.0/8]}}]
${media}
`

t.test('media.realtime_priority defaults to 0 and accepts 1..99', async t => {
  t.equal(parseConfigText(base('')).media.realtime_priority, 0)
  t.equal(parseConfigText(base('media: {realtime_priority: 30}')).media.realtime_priority, 30)
  t.equal(parseConfigText(base('media: {realtime_priority: 99}')).media.realtime_priority, 99)
})

t.test('media.realtime_priority outside 0..99 or not an integer is a ConfigError naming the field', async t => {
  for (const bad of ['100', '-1', '2.5', 'high']) {
    let caught: unknown = null
    try { parseConfigText(base(`media: {realtime_priority: ${bad}}`)) } catch (err) { caught = err }
    t.ok(caught instanceof ConfigError, `${bad} rejected`)
    t.match((caught as Error | null)?.message, /realtime_priority/, `${bad}: message names the field`)
  }
})
