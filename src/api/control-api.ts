// The HTTP control API (node:http): routes, API-key check, JSON bodies with a size bound, and the
// mapping of validation / call-control errors to 400 (field named), 401, 404, 409, 503.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { rootLogger, type Logger } from '../log'
import { callRecordToJson } from '../records/record-json'
import type { CallStatus } from '../records/call-record'
import { ApiKeys } from './api-keys'
import { callIdParamSchema, dtmfRequestSchema, listQuerySchema, originateRequestSchema, transferRequestSchema, type OriginateBody } from './api-schemas'
import { CallControlError, type CallControl, type TransferRequest } from './call-control'
import type { GatewayMetrics } from './gateway-metrics'
import { validate, ValidationError } from './json-schema'
import { openApiDocument } from './openapi'

export interface ControlApiOptions {
  host: string
  port: number
  keys: readonly string[]
  calls: CallControl
  metrics: GatewayMetrics
  /** /metrics without a key (for scrapers that cannot send headers). Default false. */
  publicMetrics?: boolean
  logger?: Logger
  version?: string
  /** Largest request body. Default 64 KiB. */
  maxBodyBytes?: number
}

class HttpError extends Error {
  constructor (readonly status: number, readonly code: string, message: string, readonly field?: string) { super(message) }
}

interface Route {
  method: string
  pattern: RegExp
  name: string
  auth: boolean
  handle: (req: http.IncomingMessage, params: string[], url: URL) => Promise<{ status: number, body: unknown, contentType?: string }>
}

export class ControlApi {
  private readonly server: http.Server
  private readonly keys: ApiKeys
  private readonly log: Logger
  private readonly routes: Route[]
  private readonly maxBody: number

  constructor (private readonly opts: ControlApiOptions) {
    this.keys = new ApiKeys(opts.keys)
    this.log = (opts.logger ?? rootLogger).child({ component: 'control-api' })
    this.maxBody = opts.maxBodyBytes ?? 65536
    const doc = JSON.stringify(openApiDocument(opts.version ?? '0.1.0'))
    const calls = opts.calls
    this.routes = [
      { method: 'GET', pattern: /^\/healthz$/, name: 'healthz', auth: false, handle: async () => ({ status: 200, body: { status: 'ok' } }) },
      { method: 'GET', pattern: /^\/openapi\.json$/, name: 'openapi', auth: false, handle: async () => ({ status: 200, body: doc, contentType: 'application/json' }) },
      {
        method: 'GET', pattern: /^\/metrics$/, name: 'metrics', auth: !opts.publicMetrics,
        handle: async () => { const m = await opts.metrics.text(); return { status: 200, body: m.body, contentType: m.contentType } }
      },
      {
        method: 'POST', pattern: /^\/v1\/calls$/, name: 'originate', auth: true,
        handle: async (req) => {
          const body = validate<OriginateBody>(originateRequestSchema, await readJson(req, this.maxBody))
          const rec = await calls.originate({
            agentId: body.agent_id,
            fromNumber: body.from_number,
            to: body.to,
            trunk: body.trunk,
            ringTimeoutSecs: body.ring_timeout_secs,
            dynamicVariables: body.dynamic_variables ?? {},
            overrides: {
              prompt: body.overrides?.prompt,
              firstMessage: body.overrides?.first_message,
              language: body.overrides?.language,
              voiceId: body.overrides?.voice_id
            }
          })
          return { status: 201, body: callRecordToJson(rec) }
        }
      },
      {
        method: 'GET', pattern: /^\/v1\/calls$/, name: 'list', auth: true,
        handle: async (_req, _p, url) => {
          const q: Record<string, string> = {}
          for (const [k, v] of url.searchParams) {
            if (k in q) throw new ValidationError(k, 'given more than once')
            q[k] = v
          }
          validate(listQuerySchema, q)
          const list = calls.list({
            status: q.status as CallStatus | undefined,
            direction: q.direction as 'inbound' | 'outbound' | undefined,
            limit: q.limit !== undefined ? Number(q.limit) : undefined
          })
          return { status: 200, body: { calls: list.map(callRecordToJson) } }
        }
      },
      {
        method: 'GET', pattern: /^\/v1\/calls\/([^/]+)$/, name: 'get', auth: true,
        handle: async (_req, [id]) => {
          const rec = calls.get(callId(id))
          if (!rec) throw new HttpError(404, 'API_ERR_CALL_NOT_FOUND', `no call ${id}`)
          return { status: 200, body: callRecordToJson(rec) }
        }
      },
      {
        method: 'POST', pattern: /^\/v1\/calls\/([^/]+)\/hangup$/, name: 'hangup', auth: true,
        handle: async (req, [id]) => {
          await readBody(req, this.maxBody) // any body is ignored, but it must not exceed the bound
          return { status: 200, body: callRecordToJson(await calls.hangup(callId(id))) }
        }
      },
      {
        method: 'POST', pattern: /^\/v1\/calls\/([^/]+)\/dtmf$/, name: 'dtmf', auth: true,
        handle: async (req, [id]) => {
          const cid = callId(id)
          const body = validate<{ digits: string }>(dtmfRequestSchema, await readJson(req, this.maxBody))
          await calls.dtmf(cid, body.digits)
          return { status: 202, body: { conversation_id: cid, digits: body.digits } }
        }
      },
      {
        method: 'POST', pattern: /^\/v1\/calls\/([^/]+)\/transfer$/, name: 'transfer', auth: true,
        handle: async (req, [id]) => {
          const cid = callId(id)
          const body = validate<TransferRequest>(transferRequestSchema, await readJson(req, this.maxBody))
          const r = await calls.transfer(cid, body)
          return { status: 200, body: { conversation_id: cid, to: body.to, transferred: true, ...(r.result ? { result: r.result } : {}) } }
        }
      }
    ]
    this.server = http.createServer((req, res) => { void this.serve(req, res) })
    // Slow or idle clients must not hold sockets forever.
    this.server.requestTimeout = 30000
    this.server.headersTimeout = 10000
    this.server.keepAliveTimeout = 5000
  }

  async listen (): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.opts.port, this.opts.host, () => { this.server.off('error', reject); resolve() })
    })
    return this.server.address() as AddressInfo
  }

  address (): AddressInfo { return this.server.address() as AddressInfo }

  async close (): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }

  private async serve (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let routeName = 'unknown'
    let status = 500
    try {
      const url = new URL(req.url ?? '/', 'http://api')
      const candidates = this.routes.filter(r => r.pattern.test(url.pathname))
      if (candidates.length === 0) throw new HttpError(404, 'API_ERR_NO_ROUTE', `no route ${url.pathname}`)
      const route = candidates.find(r => r.method === req.method)
      if (!route) {
        res.setHeader('Allow', candidates.map(r => r.method).join(', '))
        throw new HttpError(405, 'API_ERR_METHOD', `${req.method ?? ''} not allowed on ${url.pathname}`)
      }
      routeName = route.name
      if (route.auth && !this.authorized(req)) {
        res.setHeader('WWW-Authenticate', 'ApiKey header="x-api-key"')
        throw new HttpError(401, 'API_ERR_UNAUTHORIZED', 'missing or invalid x-api-key')
      }
      const params = (route.pattern.exec(url.pathname) ?? []).slice(1).map(p => decodeURIComponent(p))
      const out = await route.handle(req, params, url)
      status = out.status
      const text = typeof out.body === 'string' ? out.body : JSON.stringify(out.body)
      res.writeHead(out.status, { 'content-type': out.contentType ?? 'application/json', 'cache-control': 'no-store' })
      res.end(text)
    } catch (err) {
      const e = toHttpError(err)
      status = e.status
      if (e.status >= 500) this.log.error({ err }, 'control API request failed')
      if (!res.headersSent) res.writeHead(e.status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify({ error: { code: e.code, message: e.message, ...(e.field !== undefined ? { field: e.field } : {}) } }))
    } finally {
      this.opts.metrics.apiRequests.inc({ route: routeName, status: String(status) })
    }
  }

  private authorized (req: http.IncomingMessage): boolean {
    const header = req.headers['x-api-key']
    if (typeof header === 'string') return this.keys.verify(header)
    // Prometheus sends credentials as Authorization: Bearer.
    const auth = req.headers.authorization
    const bearer = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth)?.[1] : undefined
    return this.keys.verify(bearer)
  }
}

function callId (raw: string): string {
  try {
    return validate<string>(callIdParamSchema, raw, 'id')
  } catch {
    // An id that cannot exist is simply not found, not a client syntax error worth a 400.
    throw new HttpError(404, 'API_ERR_CALL_NOT_FOUND', 'no such call')
  }
}

function toHttpError (err: unknown): HttpError {
  if (err instanceof HttpError) return err
  if (err instanceof ValidationError) return new HttpError(400, 'API_ERR_INVALID_FIELD', err.message, err.field)
  if (err instanceof CallControlError) return new HttpError(err.status, err.code, err.message, err.field)
  return new HttpError(500, 'API_ERR_INTERNAL', 'internal error')
}

async function readBody (req: http.IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > max) throw new HttpError(413, 'API_ERR_BODY_TOO_LARGE', `request body larger than ${max} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

async function readJson (req: http.IncomingMessage, max: number): Promise<unknown> {
  const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (ct !== 'application/json') throw new HttpError(415, 'API_ERR_CONTENT_TYPE', 'content-type must be application/json')
  const body = await readBody(req, max)
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new ValidationError('body', `not valid JSON (${(err as Error).message})`)
  }
}
