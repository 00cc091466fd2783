// Child process for the side-by-side bench: trunkgate's native media core doing what rtpengine
// does in the same run — M calls, each a PCMU leg (the trunk) bridged to a G.722 leg (or a second
// PCMU leg for the plain relay case). A separate process so /proc charges it only for its own work.
// Protocol: one JSON command per stdin line, one JSON reply per stdout line:
//   {"cmd":"create","calls":M,"remoteA":portA,"remoteB":portB,"codecB":"G722"|"PCMU","srtpKeyA":hex?,"threads":T}
//     -> {"ports":[[a0,b0],[a1,b1],...]}  (legs' local ports; the peer sends side A to a_i, side B to b_i)
//   {"cmd":"stats"} -> {"jbLost":n,"rss":bytes}
//   {"cmd":"close"} -> {"closed":true}, then the process exits
import readline from 'node:readline'
import { MediaEngine } from '../../../src/media/media-engine'
import type { Leg } from '../../../src/media/leg'
import type { CodecName } from '../../../src/media/media-args'
import { rssBytes } from './proc-stat'

interface CreateCommand {
  cmd: 'create', calls: number, remoteA: number, remoteB: number, codecB: CodecName, srtpKeyA?: string, threads?: number
}

let engine: MediaEngine | null = null
const legs: Leg[] = []

function reply (obj: unknown): void { process.stdout.write(JSON.stringify(obj) + '\n') }

function create (c: CreateCommand): void {
  // SCHED_FIFO media threads where permitted, as in test/bench/media.ts and as a production
  // deployment would run them; rtpengine gets the same scheduling in this bench.
  engine = new MediaEngine({ portRange: [40000, 60000], bindAddress: '127.0.0.1', threads: c.threads ?? 2, realtimePriority: 30 })
  const ports: Array<[number, number]> = []
  for (let i = 0; i < c.calls; i++) {
    const a = engine.createLeg({ frames: false, timeouts: { beforeMediaMs: 0, afterMediaMs: 0 } })
    a.setCodec({ name: 'PCMU' })
    if (c.srtpKeyA) {
      const key = Buffer.from(c.srtpKeyA, 'hex')
      a.setSrtp({ suite: 'AES_CM_128_HMAC_SHA1_80', localKey: key, remoteKey: key })
    }
    a.setRemote('127.0.0.1', c.remoteA)
    const b = engine.createLeg({ frames: false, timeouts: { beforeMediaMs: 0, afterMediaMs: 0 } })
    b.setCodec({ name: c.codecB })
    b.setRemote('127.0.0.1', c.remoteB)
    a.bridge(b)
    legs.push(a, b)
    ports.push([a.localPort, b.localPort])
  }
  reply({ ports })
}

function jbLost (): number {
  return legs.reduce((acc, l) => { const s = l.stats().jitterBuffer; return acc + s.lost + s.lateLosses }, 0)
}

function shutdown (): void {
  for (const l of legs) l.close()
  legs.length = 0
  engine?.close()
  engine = null
}

const lines = readline.createInterface({ input: process.stdin })
lines.on('line', line => {
  try {
    const c = JSON.parse(line) as { cmd: string }
    if (c.cmd === 'create') create(c as CreateCommand)
    else if (c.cmd === 'stats') reply({ jbLost: jbLost(), rss: rssBytes('self') })
    else if (c.cmd === 'close') { shutdown(); reply({ closed: true }); process.exit(0) }
  } catch (err) {
    reply({ error: String((err as Error).message) })
  }
})
// The parent going away (stdin closed) ends us: never a stray media process.
lines.on('close', () => { shutdown(); process.exit(0) })
