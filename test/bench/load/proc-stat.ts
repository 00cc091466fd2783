// CPU and memory of a process under test, read from /proc (proc(5)): utime + stime of all its
// threads (fields 14 and 15 of /proc/<pid>/stat, in clock ticks) and VmRSS from /proc/<pid>/status.
// CPU time, not wall time, so a noisy shared host changes the numbers less: what another process
// burns is not charged to ours.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'

let ticksPerSecond = 0

function clockTicks (): number {
  if (ticksPerSecond === 0) {
    try { ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100 } catch { ticksPerSecond = 100 }
  }
  return ticksPerSecond
}

// Fields after the "(comm)" part, which may itself contain spaces and parentheses.
export function parseStatTimes (stat: string, hz: number): { utime: number, stime: number } {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state), so field 14 (utime) is rest[11] and field 15 (stime) rest[12].
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unreadable /proc stat line')
  return { utime: utime / hz, stime: stime / hz }
}

export function cpuSeconds (pid: number | 'self'): number {
  const t = parseStatTimes(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'), clockTicks())
  return t.utime + t.stime
}

// One thread of a process (the main thread's tid is the pid: for Node, the JS thread).
export function threadCpuSeconds (pid: number, tid: number): number {
  const t = parseStatTimes(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'), clockTicks())
  return t.utime + t.stime
}

export function parseRssBytes (status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  if (!m) throw new Error('no VmRSS in /proc status')
  return Number(m[1]) * 1024
}

export function rssBytes (pid: number | 'self'): number {
  return parseRssBytes(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
}

// CPU of a process (or, with 'host', of the whole machine) over a window measured by the caller:
// start(), then stop() gives the share of one core (1.0 = one core busy) between the two calls.
export class CpuWindow {
  private cpu0 = 0
  private t0 = 0n
  // With tid: only that thread of pid.
  constructor (private readonly pid: number | 'self' | 'host', private readonly tid?: number) {}
  private read (): number {
    if (this.pid === 'host') return hostBusySeconds()
    return this.tid === undefined || this.pid === 'self' ? cpuSeconds(this.pid) : threadCpuSeconds(this.pid, this.tid)
  }
  start (): void { this.cpu0 = this.read(); this.t0 = process.hrtime.bigint() }
  stop (): { cores: number, cpuSeconds: number, wallSeconds: number } {
    const cpu = this.read() - this.cpu0
    const wall = Number(process.hrtime.bigint() - this.t0) / 1e9
    return { cores: cpu / wall, cpuSeconds: cpu, wallSeconds: wall }
  }
}

// Busy CPU seconds of the whole host (all processes, all cores) from /proc/stat's first line:
// everything but idle and iowait. Tells whether the machine itself, shared by the gateway, the engine
// and the load generators, ran out of cores.
export function hostBusySeconds (): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
  return (total - f[3] - f[4]) / clockTicks()
}

// Nearest-rank percentile (0..100) of unsorted samples; NaN for no samples.
export function percentile (samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p / 100 * sorted.length)))
  return sorted[rank - 1]
}
