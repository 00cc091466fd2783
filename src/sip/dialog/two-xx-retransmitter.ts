import type { SipResponse } from '../message/types'
import type { Clock } from '../transaction/clock'
import type { TimerTable } from '../transaction/timers'

/**
 * RFC 3261 §13.3.1.4: the UAS core retransmits its 2xx to INVITE "with an interval that starts at T1 seconds and
 * doubles for each retransmission until it reaches T2 seconds", until the ACK arrives, even over reliable
 * transports (the 2xx may be lost beyond a proxy). After 64*T1 without ACK, onTimeout (the caller sends BYE).
 */
export class TwoXxRetransmitter {
  private timer: unknown = null
  private interval: number
  private elapsed = 0
  private done = false

  constructor (
    private readonly clock: Clock,
    private readonly timers: TimerTable,
    readonly response: SipResponse,
    private readonly retransmit: (res: SipResponse) => void,
    private readonly onTimeout: () => void
  ) {
    this.interval = timers.T1
  }

  get active (): boolean { return !this.done }

  start (): void { this.schedule() }

  private schedule (): void {
    const wait = Math.min(this.interval, 64 * this.timers.T1 - this.elapsed)
    this.timer = this.clock.setTimeout(() => {
      this.elapsed += wait
      if (this.elapsed >= 64 * this.timers.T1) {
        this.done = true
        this.onTimeout()
        return
      }
      this.retransmit(this.response)
      this.interval = Math.min(this.interval * 2, this.timers.T2)
      this.schedule()
    }, wait)
  }

  /** The ACK arrived (§13.3.1.4: "retransmissions cease"). */
  stop (): void {
    if (this.done) return
    this.done = true
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
  }
}
