// Child process for the AI-call load bench: the real gateway (startServer with the AI call layer:
// SIP over TCP, media engine, engine link) pointed at the echo engine, in a process of its own so
// /proc charges it only for its own work. argv: <engineAddress> <mediaThreads> [<realtimePriority>].
// stdout: first line the SIP TCP port. stdin commands -> one JSON line each:
//   stats -> {"activeCalls":n,"legs":n,"rss":bytes,"jbLost":n,"framesDropped":n,"framesToJs":n,"packetsLost":n,"srtpFailures":n}
//            (leg counters summed over the legs alive now)
//   close -> {"closed":true}, then exit
import readline from 'node:readline'
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks'
import { parseConfigText } from '../../../src/config'
import { startServer } from '../../../src/server'
import type { Leg } from '../../../src/media/leg'
import { rssBytes } from './proc-stat'

async function main (): Promise<void> {
  // An RTP/SAVP offer with a=crypto is answered with SRTP (src/sdp). SDES keys normally need TLS
  // signalling; SIPp has no TLS, and this is loopback, so the bench trunk allows SDES over TCP.
  const [engineAddress, threads, rtPriority] = process.argv.slice(2)
  const config = parseConfigText(`
sip:
  listen: {tcp: {host: 127.0.0.1, port: 0}}
  maxConcurrentCalls: 100000
  sessionTimer: {enabled: false}
trunks:
  - name: load
    inbound: {acl: [127.0.0.0/8]}
    allow_sdes_over_tcp: true
phone_numbers: [{number: '+15550100', agent: demo}]
agents: [{id: demo, name: Demo}]
engine: {address: '${engineAddress}', connectTimeoutMs: 5000, readyTimeoutMs: 10000}
media: {port_min: 42000, port_max: 60000, bind_address: 127.0.0.1, threads: ${Number(threads) || 2}, realtime_priority: ${Number(rtPriority) || 0}}
log: {level: silent}
`)
  const server = await startServer(config, { aiCalls: true })
  const media = server.aiCalls!.media
  // The bench needs the legs' counters; the facade keeps its leg map private, so watch createLeg
  // here (harness only, no change to the media facade).
  const legs = new Set<Leg>()
  const createLeg = media.createLeg.bind(media)
  media.createLeg = (opts) => {
    const leg = createLeg(opts)
    legs.add(leg)
    const close = leg.close.bind(leg)
    leg.close = () => { legs.delete(leg); close() }
    return leg
  }
  // Garbage collection seen by this process (counts and pause time by kind), to tell JS allocation
  // cost from media work in the bench log.
  const gc = { minor: 0, major: 0, minorMs: 0, majorMs: 0, incremental: 0, weak: 0 }
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) { gc.minor++; gc.minorMs += e.duration } else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) { gc.major++; gc.majorMs += e.duration } else if (kind === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL) gc.incremental++; else gc.weak++
    }
  }).observe({ entryTypes: ['gc'] })
  process.stdout.write(`${server.ports.tcp}\n`)
  const reply = (o: unknown): void => { process.stdout.write(JSON.stringify(o) + '\n') }
  const lines = readline.createInterface({ input: process.stdin })
  lines.on('line', line => {
    const cmd = line.trim()
    if (cmd === 'stats') {
      let jbLost = 0; let framesDropped = 0; let framesToJs = 0; let packetsLost = 0; let srtpFailures = 0
      for (const leg of legs) {
        try {
          const s = leg.stats()
          jbLost += s.jitterBuffer.lost + s.jitterBuffer.lateLosses
          framesDropped += s.framesDropped
          framesToJs += s.framesToJs
          packetsLost += s.packetsLost
          srtpFailures += s.srtpFailures
        } catch { /* closed meanwhile */ }
      }
      const workers = media.stats().workers.map(w => ({ legs: w.legs, ticks: w.ticks, skippedTicks: w.skippedTicks, busyMs: w.busyMs, maxLateMs: w.maxLateMs, realtime: w.realtime }))
      reply({ activeCalls: server.activeCalls(), legs: legs.size, rss: rssBytes('self'), jbLost, framesDropped, framesToJs, packetsLost, srtpFailures, workers, gc: { ...gc } })
    } else if (cmd === 'gc') {
      // Only with node --expose-gc: a full collection now, to check that the heap settings still
      // hold after one (LOAD_GATEWAY_FORCE_GC in ai-calls.ts).
      const gcNow = (globalThis as { gc?: () => void }).gc
      if (gcNow) gcNow()
      reply({ gc: gcNow !== undefined })
    } else if (cmd === 'close') {
      server.close().finally(() => { reply({ closed: true }); process.exit(0) })
    }
  })
  lines.on('close', () => { server.close().finally(() => process.exit(0)) })
}

main().catch(err => { console.error(err); process.exit(1) })
