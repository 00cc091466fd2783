// Time is injected so state machines can be driven by a fake clock in tests (STYLE.md: injected clocks/timers).

export type TimerHandle = unknown

export interface Clock {
  setTimeout (fn: () => void, ms: number): TimerHandle
  clearTimeout (handle: TimerHandle): void
  /** Milliseconds, monotonic enough for timeouts. */
  now (): number
}

export const systemClock: Clock = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    // A pending SIP timer (Timer B, session refresh …) must not keep the process alive on shutdown.
    t.unref()
    return t
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now()
}
