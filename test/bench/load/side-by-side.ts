// Side by side in one run: rtpengine (Debian rtpengine-daemon, userspace forwarding, ng protocol
// on loopback) and trunkgate's native media core carry the same M calls from the same load
// generator (load-peer.cc, a separate process), and we compare the CPU each server process uses
// (utime + stime from /proc, only the server's pid) per call.
//   transcode: the trunk side sends PCMU, the far side G.722; each call is transcoded both ways.
//   relay:     both sides PCMU (rtpengine forwards; trunkgate decodes, jitter-buffers, re-encodes).
import type { ChildProcess } from 'node:child_process'
import { buildTool, freeUdpPort, LineReader, siblingScript, spawnTracked, stopChild } from './children'
import { NgClient } from './ng-client'
import { CpuWindow, rssBytes } from './proc-stat'

export type Mode = 'transcode' | 'relay'
export type ServerKind = 'rtpengine' | 'trunkgate'

export interface PeerResult {
  streams: number, received: number, expected: number, lost: number, silentStreams: number, wrongPt: number, loud: number
  strays: number, p50ErrMs: number, p99ErrMs: number, maxErrMs: number, sendErrors: number
}

export interface SideResult {
  server: ServerKind, mode: Mode, calls: number, cores: number, cpuPctPerCall: number, rssMb: number
  peer: PeerResult, clean: boolean
}

export interface SideOptions { warmupS: number, measureS: number, threads: number }

interface Server {
  pid: number
  portsFor: (portA: number, portB: number) => Promise<Array<[number, number]>>
  stop: () => Promise<void>
}

function sdp (port: number, pt: number, name: string, version: number): string {
  return ['v=0', `o=- ${version} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${port} RTP/AVP ${pt}`, `a=rtpmap:${pt} ${name}/8000`, 'a=ptime:20', 'a=sendrecv', ''].join('\r\n')
}

function mPort (body: unknown): number {
  const m = /^m=audio (\d+) /m.exec(String(body))
  if (!m) throw new Error(`rtpengine returned SDP without an audio port: ${String(body).slice(0, 200)}`)
  return Number(m[1])
}

async function startRtpengine (calls: number, mode: Mode, opts: SideOptions): Promise<Server> {
  const ngPort = await freeUdpPort()
  // Each call takes two RTP/RTCP port pairs; keep the range well clear of trunkgate's 40000+.
  const args = ['--foreground', '--interface=127.0.0.1', `--listen-ng=127.0.0.1:${ngPort}`, '--port-min=30000',
    '--port-max=39999', '--table=-1', '--log-stderr', '--log-level=3', `--num-threads=${opts.threads}`,
    '--delete-delay=0', '--timeout=60', '--scheduling=fifo', '--priority=30']
  const child = spawnTracked('rtpengine', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000) })
  const ng = new NgClient(ngPort)
  try {
    await ng.command({ command: 'ping' }, { timeoutMs: 300, tries: 20 })
  } catch (err) {
    ng.close()
    await stopChild(child)
    throw new Error(`rtpengine did not start: ${(err as Error).message}\n${stderr}`)
  }
  const codecB = mode === 'transcode' ? { pt: 9, name: 'G722' } : { pt: 0, name: 'PCMU' }
  return {
    pid: child.pid!,
    async portsFor (portA, portB) {
      const ports: Array<[number, number]> = new Array(calls)
      const setup = async (i: number): Promise<void> => {
        const callId = `bench-${i}`
        // Offer from the PCMU trunk; for transcoding, rtpengine offers G.722 to the far side instead
        // ('transcode' adds it, 'mask' hides PCMU from the far side but keeps it for the trunk).
        const offer = await ng.command({
          command: 'offer', 'call-id': callId, 'from-tag': `a${i}`, sdp: sdp(portA, 0, 'PCMU', i),
          ...(mode === 'transcode' ? { codec: { transcode: ['G722'], mask: ['PCMU'] } } : {})
        })
        const answer = await ng.command({
          command: 'answer', 'call-id': callId, 'from-tag': `a${i}`, 'to-tag': `b${i}`, sdp: sdp(portB, codecB.pt, codecB.name, i)
        })
        // The trunk sends to the port in the answer rtpengine rewrote for it; the far side to the
        // port in the rewritten offer.
        ports[i] = [mPort(answer.sdp), mPort(offer.sdp)]
      }
      for (let i = 0; i < calls; i += 32) {
        await Promise.all(Array.from({ length: Math.min(32, calls - i) }, (_, k) => setup(i + k)))
      }
      return ports
    },
    async stop () { ng.close(); await stopChild(child) }
  }
}

async function startTrunkgate (calls: number, mode: Mode, opts: SideOptions): Promise<Server> {
  const child: ChildProcess = spawnTracked(process.execPath, [siblingScript('media-server')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const out = new LineReader(child.stdout!)
  const send = (obj: unknown): void => { child.stdin!.write(JSON.stringify(obj) + '\n') }
  return {
    pid: child.pid!,
    async portsFor (portA, portB) {
      send({ cmd: 'create', calls, remoteA: portA, remoteB: portB, codecB: mode === 'transcode' ? 'G722' : 'PCMU', threads: opts.threads })
      const r = JSON.parse(await out.next(30000, 'trunkgate media-server create')) as { ports?: Array<[number, number]>, error?: string }
      if (!r.ports) throw new Error(`trunkgate media-server: ${r.error ?? 'no ports'}`)
      return r.ports
    },
    async stop () {
      if (child.exitCode === null) send({ cmd: 'close' })
      await stopChild(child, 3000, 'SIGCONT')  // 'close' makes it exit; SIGKILL only if it does not
    }
  }
}

export async function runSide (server: ServerKind, mode: Mode, calls: number, opts: SideOptions): Promise<SideResult> {
  const peerBin = buildTool('load-peer', ['-lsrtp2', '-lspandsp', '-lopus'])
  const peer = spawnTracked(peerBin, [String(opts.warmupS), String(opts.measureS), '-', mode === 'transcode' ? 'g722' : 'pcmu'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const peerOut = new LineReader(peer.stdout!)
  let srv: Server | null = null
  try {
    const [portA, portB] = (await peerOut.next(5000, 'load-peer start')).split(' ').map(Number)
    srv = server === 'rtpengine' ? await startRtpengine(calls, mode, opts) : await startTrunkgate(calls, mode, opts)
    const ports = await srv.portsFor(portA, portB)
    peer.stdin!.write(ports.map(([a, b]) => `${a} a\n${b} b\n`).join('') + 'go\n')
    // Measure inside the peer's window: start after its warm-up, stop when it reports.
    await new Promise(resolve => setTimeout(resolve, opts.warmupS * 1000 + 300))
    const win = new CpuWindow(srv.pid)
    win.start()
    const line = await peerOut.next((opts.measureS + 30) * 1000, 'load-peer result')
    const cpu = win.stop()
    const rssMb = rssBytes(srv.pid) / 1048576
    const result = JSON.parse(line) as PeerResult
    const clean = result.lost === 0 && result.silentStreams === 0 && result.wrongPt === 0 &&
      result.received >= result.expected * 0.995 && result.sendErrors === 0
    return { server, mode, calls, cores: cpu.cores, cpuPctPerCall: cpu.cores * 100 / calls, rssMb, peer: result, clean }
  } finally {
    await stopChild(peer, 1000)
    if (srv) await srv.stop()
  }
}

export function describe (r: SideResult): string {
  const p = r.peer
  return `# ${r.server.padEnd(9)} ${r.mode.padEnd(9)} calls=${r.calls} cpu=${(r.cores * 100).toFixed(1)}% of a core ` +
    `(${r.cpuPctPerCall.toFixed(3)}%/call) rss=${r.rssMb.toFixed(0)}MB recv=${p.received}/${p.expected} lost=${p.lost} ` +
    `silent=${p.silentStreams} wrongPt=${p.wrongPt} p50=${p.p50ErrMs}ms p99=${p.p99ErrMs}ms max=${p.maxErrMs}ms ${r.clean ? 'CLEAN' : 'LOSSY'}`
}

// Alternates the servers for `repeats` rounds (so drifting background load hits both alike) and
// keeps each server's least-disturbed run (lowest CPU) — the figure closest to its own cost.
export async function sideBySide (mode: Mode, calls: number, repeats: number, opts: SideOptions): Promise<Record<ServerKind, SideResult>> {
  const best: Partial<Record<ServerKind, SideResult>> = {}
  for (let round = 0; round < repeats; round++) {
    for (const server of ['rtpengine', 'trunkgate'] as const) {
      const r = await runSide(server, mode, calls, opts)
      console.error(describe(r))
      const prev = best[server]
      if (!prev || r.cores < prev.cores) best[server] = r
    }
  }
  return best as Record<ServerKind, SideResult>
}
