/**
 * Counts authentication failures per source address. After `maxFailures` within `windowMs` the source is
 * blocked for `blockMs`: password guessing against a trunk costs the attacker time, and the block is
 * logged once when it starts (not per request, so a flood cannot flood the log).
 */
export class FailureRateLimiter {
  private readonly failures = new Map<string, number[]>()
  private readonly blockedUntil = new Map<string, number>()

  constructor (private readonly opts: { maxFailures: number; windowMs: number; blockMs: number; clock: () => number }) {}

  isBlocked (source: string): boolean {
    const until = this.blockedUntil.get(source)
    if (until === undefined) return false
    if (this.opts.clock() < until) return true
    this.blockedUntil.delete(source)
    return false
  }

  /** Records one failure; returns true when this failure starts a block. */
  recordFailure (source: string): boolean {
    const now = this.opts.clock()
    const recent = (this.failures.get(source) ?? []).filter(t => now - t < this.opts.windowMs)
    recent.push(now)
    if (recent.length >= this.opts.maxFailures) {
      this.failures.delete(source)
      this.blockedUntil.set(source, now + this.opts.blockMs)
      return true
    }
    this.failures.set(source, recent)
    this.prune(now)
    return false
  }

  recordSuccess (source: string): void {
    this.failures.delete(source)
  }

  /** Keeps the tables bounded when many sources fail once and never come back. */
  private prune (now: number): void {
    if (this.failures.size < 10000) return
    for (const [source, times] of this.failures) {
      if (times.every(t => now - t >= this.opts.windowMs)) this.failures.delete(source)
    }
    for (const [source, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(source)
  }
}
