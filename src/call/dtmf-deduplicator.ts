// The engine contract (src/engine/proto/README.md): one key press is reported once. A phone that
// sends RFC 4733 events AND leaves the tone in the audio, or sends INFO as well as events, would
// otherwise press every key twice. The first report of a digit wins; the same digit from another
// source within the window is the same key press. The same source repeating the digit is a new
// press (the media core already folds RFC 4733 end-packet retransmissions).

export type DtmfOrigin = 'rfc4733' | 'inband' | 'info'

export class DtmfDeduplicator {
  private readonly windowMs: number
  private readonly now: () => number
  private last: { digit: string; origin: DtmfOrigin; at: number } | null = null

  constructor (opts: { windowMs?: number; now?: () => number } = {}) {
    this.windowMs = opts.windowMs ?? 400
    this.now = opts.now ?? (() => performance.now())
  }

  /** True when this report is a new key press that should reach the engine. */
  accept (digit: string, origin: DtmfOrigin): boolean {
    const at = this.now()
    const prev = this.last
    if (prev && prev.digit === digit && prev.origin !== origin && at - prev.at < this.windowMs) return false
    this.last = { digit, origin, at }
    return true
  }
}
