import type { Clock } from '../../../src/sip/transaction/clock'

/** A clock that only moves when the test says so: tick(ms) fires due timers in time order. */
export class FakeClock implements Clock {
  private t = 0
  private seq = 0
  private readonly timers = new Map<number, { at: number, fn: () => void }>()

  now (): number { return this.t }

  setTimeout (fn: () => void, ms: number): number {
    const id = ++this.seq
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn })
    return id
  }

  clearTimeout (handle: unknown): void { this.timers.delete(handle as number) }

  get pending (): number { return this.timers.size }

  /** Advance time by ms, running every timer that falls due (including ones scheduled by those timers). */
  tick (ms: number): void {
    const end = this.t + ms
    for (;;) {
      let nextId = -1
      let nextAt = Infinity
      for (const [id, timer] of this.timers) {
        if (timer.at <= end && (timer.at < nextAt || (timer.at === nextAt && id < nextId))) { nextAt = timer.at; nextId = id }
      }
      if (nextId < 0) break
      const timer = this.timers.get(nextId)!
      this.timers.delete(nextId)
      this.t = timer.at
      timer.fn()
    }
    this.t = end
  }
}
