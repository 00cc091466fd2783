// The pre-call webhook (seed "Twilio personalization"): POST {caller_id, agent_id, called_number,
// call_sid} to the agent's URL while the call is being set up, and start the conversation with the
// conversation_initiation_client_data it returns.
//
// It never holds the call longer than its timeout: the timer aborts the request and the body read
// alike, and every failure becomes a typed outcome that the agent policy turns into "continue with
// defaults" or a SIP rejection (decideCallStart).
import { SipError } from '../../sip/sip-error'
import { rootLogger, type Logger } from '../../log'
import { validateInitiationData } from './initiation-data'
import type {
  AgentPersonalizationPolicy, DynamicValue, Overrides, PreCallRequest, PreCallWebhookConfig, WebhookOutcome
} from './types'

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 3000
/** A personalization answer is a few KiB; anything this big is a misconfigured endpoint. */
export const MAX_WEBHOOK_RESPONSE_BYTES = 1024 * 1024

export interface WebhookDeps {
  fetch?: typeof fetch
  /** Monotonic milliseconds, for elapsedMs. */
  now?: () => number
  log?: Logger
}

function isLoopback (hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\./.test(hostname)
}

class BodyTooLarge extends Error {}

async function readCapped (res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > MAX_WEBHOOK_RESPONSE_BYTES) throw new BodyTooLarge(`response of ${declared} bytes exceeds ${MAX_WEBHOOK_RESPONSE_BYTES}`)
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > MAX_WEBHOOK_RESPONSE_BYTES) {
      await reader.cancel()
      throw new BodyTooLarge(`response exceeds ${MAX_WEBHOOK_RESPONSE_BYTES} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function fetchInitiationData (
  config: PreCallWebhookConfig, request: PreCallRequest, policy: AgentPersonalizationPolicy, deps: WebhookDeps = {}
): Promise<WebhookOutcome> {
  const doFetch = deps.fetch ?? fetch
  const now = deps.now ?? (() => performance.now())
  const log = (deps.log ?? rootLogger).child({ agentId: policy.agentId, webhook: 'pre-call' })
  const timeoutMs = config.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS
  const started = now()
  const elapsed = (): number => Math.round(now() - started)

  let url: URL
  try {
    url = new URL(config.url)
  } catch {
    return { kind: 'request-failed', elapsedMs: 0, detail: `webhook URL ${JSON.stringify(config.url)} is not a URL` }
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (isLoopback(url.hostname) || config.allowInsecureHttp))) {
    return { kind: 'request-failed', elapsedMs: 0, detail: `webhook URL must be https (got ${url.protocol}//${url.host})` }
  }

  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'trunkgate', ...config.headers },
      body: JSON.stringify(request),
      signal: controller.signal,
      // A redirect would resend the secret headers to wherever it points: refuse it.
      redirect: 'error'
    })
    const text = await readCapped(res)
    if (res.status < 200 || res.status > 299) {
      return { kind: 'bad-response', elapsedMs: elapsed(), status: res.status, detail: `webhook answered HTTP ${res.status}` }
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (err) {
      return { kind: 'bad-response', elapsedMs: elapsed(), status: res.status, detail: `malformed JSON: ${(err as Error).message}` }
    }
    const v = validateInitiationData(body, policy, log)
    if (v.ok) return { kind: 'ok', data: v.data, elapsedMs: elapsed() }
    if (v.kind === 'override-rejected') return { kind: 'override-rejected', elapsedMs: elapsed(), detail: v.detail, fields: v.fields }
    return { kind: 'bad-response', elapsedMs: elapsed(), status: res.status, detail: v.detail }
  } catch (err) {
    if (controller.signal.aborted) return { kind: 'timeout', elapsedMs: elapsed(), detail: `no complete answer within ${timeoutMs} ms` }
    if (err instanceof BodyTooLarge) return { kind: 'bad-response', elapsedMs: elapsed(), detail: err.message }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    return { kind: 'request-failed', elapsedMs: elapsed(), detail: `request failed: ${cause?.code ?? cause?.message ?? (err as Error).message}` }
  } finally {
    clearTimeout(timer)
  }
}

export interface CallPersonalization {
  dynamicVariables: Record<string, DynamicValue>
  overrides: Overrides
  customLlmExtraBody?: Record<string, unknown>
  userId?: string
  /** True when the webhook failed and the agent's placeholders were used. */
  usedDefaults: boolean
}

export type CallStartDecision =
  | { action: 'continue'; personalization: CallPersonalization }
  | { action: 'reject'; error: SipError }

function defaults (policy: AgentPersonalizationPolicy): CallPersonalization {
  const vars: Record<string, DynamicValue> = {}
  for (const [n, v] of Object.entries(policy.dynamicVariables)) if (v !== null) vars[n] = v
  return { dynamicVariables: vars, overrides: {}, usedDefaults: true }
}

/**
 * Turns an outcome into what the call does.
 *  - disallowed override under policy 'reject' → 403 Forbidden: the agent's security settings forbid
 *    the conversation the webhook asked for (seed "Overrides": an error is thrown), and retrying
 *    elsewhere would get the same answer.
 *  - timeout / failure / bad response under 'reject' → 480 Temporarily Unavailable (RFC 3261
 *    §21.4.18) with Retry-After: the agent cannot take calls right now; a later try may work.
 *    Not 503, which upstream proxies read as "this server is down" and fail every call over.
 *  - under 'continue' → the agent's placeholders, logged.
 */
export function decideCallStart (outcome: WebhookOutcome, policy: AgentPersonalizationPolicy, log: Logger = rootLogger, retryAfterSeconds = 30): CallStartDecision {
  if (outcome.kind === 'ok') {
    const d = outcome.data
    const p: CallPersonalization = { dynamicVariables: d.dynamicVariables, overrides: d.overrides, usedDefaults: false }
    if (d.customLlmExtraBody) p.customLlmExtraBody = d.customLlmExtraBody
    if (d.userId !== undefined) p.userId = d.userId
    return { action: 'continue', personalization: p }
  }
  if (outcome.kind === 'override-rejected') {
    log.warn({ agentId: policy.agentId, fields: outcome.fields }, `call rejected: ${outcome.detail}`)
    return {
      action: 'reject',
      error: new SipError(403, 'Forbidden', 'CALL_ERR_OVERRIDE_NOT_ALLOWED', {
        detail: outcome.detail, headers: [{ name: 'Warning', value: '399 trunkgate "conversation override not enabled for this agent"' }]
      })
    }
  }
  log.warn({ agentId: policy.agentId, kind: outcome.kind, detail: outcome.detail, elapsedMs: outcome.elapsedMs },
    policy.onWebhookFailure === 'continue' ? 'pre-call webhook failed: continuing with the agent defaults' : 'pre-call webhook failed: call rejected')
  if (policy.onWebhookFailure === 'continue') return { action: 'continue', personalization: defaults(policy) }
  return {
    action: 'reject',
    error: new SipError(480, 'Temporarily Unavailable', 'CALL_ERR_PRECALL_WEBHOOK', {
      detail: `pre-call webhook ${outcome.kind}: ${outcome.detail}`,
      headers: [{ name: 'Retry-After', value: String(retryAfterSeconds) }]
    })
  }
}
