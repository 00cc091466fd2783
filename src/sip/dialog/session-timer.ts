import type { Clock } from '../transaction/clock'

/**
 * RFC 4028 timing for one dialog. The refresher sends a refresh at half the interval (§7.4 "recommended");
 * the other side sends BYE "at the expiration time minus the minimum of 32 seconds and one third of the
 * session interval" if no refresh arrived (§10). Every refresh that succeeds re-arms the timer.
 */
export class SessionTimer {
  private timer: unknown = null
  private current: { interval: number, weRefresh: boolean } | null = null

  constructor (
    private readonly clock: Clock,
    private readonly onRefreshDue: () => void,
    private readonly onExpired: () => void
  ) {}

  get interval (): number | null { return this.current?.interval ?? null }
  get weRefresh (): boolean { return this.current?.weRefresh ?? false }
  get armed (): boolean { return this.timer !== null }

  /** Delay (ms) until our action: refresh when we refresh, BYE when we do not. */
  static delayMs (interval: number, weRefresh: boolean): number {
    if (weRefresh) return (interval * 1000) / 2
    return (interval - Math.min(32, interval / 3)) * 1000
  }

  arm (interval: number, weRefresh: boolean): void {
    this.disarm()
    this.current = { interval, weRefresh }
    this.timer = this.clock.setTimeout(() => {
      this.timer = null
      if (weRefresh) this.onRefreshDue()
      else this.onExpired()
    }, SessionTimer.delayMs(interval, weRefresh))
  }

  /** After a failed refresh we are no longer sure the peer refreshes: fall back to the expiry guard. */
  armExpiryOnly (): void {
    if (!this.current) return
    const interval = this.current.interval
    this.disarm()
    this.current = { interval, weRefresh: false }
    this.timer = this.clock.setTimeout(() => {
      this.timer = null
      this.onExpired()
    }, SessionTimer.delayMs(interval, true))
  }

  disarm (): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
  }
}
