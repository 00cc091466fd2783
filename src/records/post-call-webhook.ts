// Post-call webhook delivery from the store's outbox. Each finished call has a job; a job is retried
// with exponential backoff (base · 2^attempt, capped) up to maxAttempts, then marked dead — the record
// itself is never touched, so a failing webhook never loses a call. Jobs survive restarts (they are rows).
//
// Signature (optional secret): header `trunkgate-signature: t=<unix secs>,v0=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
// the same scheme as the seed's post-call webhooks, so receivers can reject replays and forgeries.
import crypto from 'node:crypto'
import { rootLogger, type Logger } from '../log'
import type { OutboxJob } from './call-record-store'
import type { RecordStore } from './record-store'
import { callRecordToJson } from './record-json'

export interface PostCallWebhookConfig {
  url: string
  secret?: string
  /** Per attempt, whole exchange. Default 5000. */
  timeoutMs?: number
  /** Default 6. */
  maxAttempts?: number
  /** First retry delay; doubles each attempt. Default 1000. */
  baseDelayMs?: number
  /** Default 5 minutes. */
  maxDelayMs?: number
  /** How often due jobs are looked for (kick() also runs a pass). Default 1000. */
  pollMs?: number
}

export interface WebhookTimers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (h: unknown) => void
}

export interface WebhookDeps {
  fetch?: typeof fetch
  now?: () => number
  timers?: WebhookTimers
  logger?: Logger
  /** Each delivery attempt: ms taken and whether it succeeded (metrics). */
  onAttempt?: (elapsedMs: number, ok: boolean) => void
}

export function backoffDelay (attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** attempt)
}

export class PostCallWebhook {
  private readonly cfg: Required<Omit<PostCallWebhookConfig, 'secret'>> & { secret?: string }
  private readonly fetchFn: typeof fetch
  private readonly now: () => number
  private readonly timers: WebhookTimers
  private readonly log: Logger
  private readonly onAttempt?: (elapsedMs: number, ok: boolean) => void
  private timer: unknown = null
  private running: Promise<void> | null = null
  private rerun = false
  private stopped = false

  constructor (private readonly store: RecordStore, cfg: PostCallWebhookConfig, deps: WebhookDeps = {}) {
    this.cfg = {
      url: cfg.url,
      secret: cfg.secret,
      timeoutMs: cfg.timeoutMs ?? 5000,
      maxAttempts: cfg.maxAttempts ?? 6,
      baseDelayMs: cfg.baseDelayMs ?? 1000,
      maxDelayMs: cfg.maxDelayMs ?? 300000,
      pollMs: cfg.pollMs ?? 1000
    }
    this.fetchFn = deps.fetch ?? fetch
    this.now = deps.now ?? Date.now
    this.timers = deps.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: h => clearTimeout(h as NodeJS.Timeout) }
    this.log = (deps.logger ?? rootLogger).child({ component: 'post-call-webhook' })
    this.onAttempt = deps.onAttempt
  }

  start (): void {
    this.stopped = false
    this.schedule()
  }

  /** A record just finished: deliver without waiting for the next poll. */
  kick (): void {
    if (this.stopped) return
    void this.pass()
  }

  /** One delivery pass over due jobs (tests await it). */
  pass (): Promise<void> {
    if (this.running) { this.rerun = true; return this.running }
    this.running = (async () => {
      do {
        this.rerun = false
        for (const job of this.store.dueJobs(this.now())) {
          if (this.stopped) break
          await this.deliver(job)
        }
      } while (this.rerun && !this.stopped)
    })().finally(() => { this.running = null })
    return this.running
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== null) this.timers.clearTimeout(this.timer)
    this.timer = null
    await this.running
  }

  private schedule (): void {
    if (this.stopped) return
    this.timer = this.timers.setTimeout(() => {
      this.pass().catch(err => this.log.error({ err }, 'webhook pass failed')).finally(() => this.schedule())
    }, this.cfg.pollMs)
  }

  private async deliver (job: OutboxJob): Promise<void> {
    const record = this.store.get(job.conversationId)
    if (!record) { this.store.markDead(job.id, 'record missing'); return }
    const body = JSON.stringify({ type: 'call_ended', event_timestamp: Math.floor(this.now() / 1000), data: callRecordToJson(record) })
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (this.cfg.secret) {
      const t = Math.floor(this.now() / 1000)
      const mac = crypto.createHmac('sha256', this.cfg.secret).update(`${t}.${body}`).digest('hex')
      headers['trunkgate-signature'] = `t=${t},v0=${mac}`
    }
    const started = performance.now()
    let error: string | null = null
    try {
      const res = await this.fetchFn(this.cfg.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.cfg.timeoutMs) })
      // Drain the body so the connection is reusable; its content does not matter.
      await res.arrayBuffer().catch(() => undefined)
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? `timeout after ${this.cfg.timeoutMs} ms` : String((err as Error).message ?? err)
    }
    this.onAttempt?.(performance.now() - started, error === null)
    if (error === null) {
      this.store.markDelivered(job.id)
      return
    }
    const attempts = job.attempts + 1
    if (attempts >= this.cfg.maxAttempts) {
      this.log.warn({ conversationId: job.conversationId, attempts, error }, 'post-call webhook given up (record kept)')
      this.store.markDead(job.id, error)
      return
    }
    const delay = backoffDelay(job.attempts, this.cfg.baseDelayMs, this.cfg.maxDelayMs)
    this.log.info({ conversationId: job.conversationId, attempts, error, retryInMs: delay }, 'post-call webhook failed, will retry')
    this.store.scheduleRetry(job.id, this.now() + delay, error)
  }
}
