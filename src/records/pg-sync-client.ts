// PostgreSQL with synchronous calls, for the record store (record-store.ts explains why its methods are
// synchronous). The `pg` client runs in a worker thread; a call posts the statements to it and blocks
// the JS thread with Atomics.wait until the worker has the result (the pattern of synckit). The media
// threads are native and never wait on this. A statement batch marked as a transaction runs between
// BEGIN and COMMIT; PostgreSQL's default synchronous_commit makes COMMIT return after the WAL flush.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'

export interface PgStatement { text: string, values?: unknown[] }

export class PgSyncError extends Error {
  constructor (message: string, readonly code: string) { super(message) }
}

// Plain JS: the worker must run both from dist/ and from the TypeScript sources under the test runner.
const WORKER = `
const { workerData } = require('node:worker_threads')
const { Client } = require(workerData.pgPath)
const { port, flag, url } = workerData
const signal = new Int32Array(flag)
let client = null
async function connect () {
  if (client) return client
  const c = new Client({ connectionString: url, connectionTimeoutMillis: workerData.connectTimeoutMs })
  c.on('error', () => { if (client === c) client = null })
  await c.connect()
  client = c
  return c
}
async function run (req) {
  const c = await connect()
  const results = []
  if (req.transaction) await c.query('BEGIN')
  try {
    for (const s of req.statements) {
      const r = await c.query({ text: s.text, values: s.values })
      results.push({ rows: r.rows, rowCount: r.rowCount })
    }
    if (req.transaction) await c.query('COMMIT')
  } catch (err) {
    if (req.transaction) await c.query('ROLLBACK').catch(() => { client = null })
    throw err
  }
  return results
}
port.on('message', async (req) => {
  if (req.close) {
    if (client) await client.end().catch(() => undefined)
    client = null
    port.postMessage({ id: req.id, ok: true, results: [] })
  } else {
    try {
      port.postMessage({ id: req.id, ok: true, results: await run(req) })
    } catch (err) {
      if (err && err.code === undefined) { try { if (client) client.end() } catch {} client = null }
      port.postMessage({ id: req.id, ok: false, message: String(err && err.message || err), code: String(err && err.code || 'PG_ERR') })
    }
  }
  Atomics.store(signal, 0, 1)
  Atomics.notify(signal, 0)
})
`

export interface PgSyncClientOptions {
  /** postgres://user:password@host:port/db */
  url: string
  /** Longest a call may block before it fails (the database down or unreachable). Default 10000 ms. */
  timeoutMs?: number
  connectTimeoutMs?: number
}

export class PgSyncClient {
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly signal: Int32Array
  private readonly timeoutMs: number
  private closed = false
  private seq = 0

  constructor (opts: PgSyncClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10000
    const flag = new SharedArrayBuffer(4)
    this.signal = new Int32Array(flag)
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { port: port2, flag, url: opts.url, pgPath: require.resolve('pg'), connectTimeoutMs: opts.connectTimeoutMs ?? this.timeoutMs },
      transferList: [port2]
    })
    // The worker only lives for the client: it must not keep a stopping process alive.
    this.worker.unref()
  }

  query<T = Record<string, unknown>> (text: string, values: unknown[] = []): T[] {
    return this.batch([{ text, values }])[0].rows as T[]
  }

  /** Several statements in one round trip to the worker; transaction: all or nothing. */
  batch (statements: PgStatement[], opts: { transaction?: boolean, timeoutMs?: number } = {}): Array<{ rows: unknown[], rowCount: number | null }> {
    if (this.closed) throw new PgSyncError('the PostgreSQL record store is closed', 'RECORD_ERR_CLOSED')
    return this.call({ statements, transaction: opts.transaction ?? false }, opts.timeoutMs) as Array<{ rows: unknown[], rowCount: number | null }>
  }

  close (): void {
    if (this.closed) return
    try {
      this.call({ close: true })
    } catch { /* closing anyway */ }
    this.closed = true
    void this.worker.terminate()
  }

  private call (req: object, timeoutMs = this.timeoutMs): unknown {
    const id = ++this.seq
    // A reply that came after its call timed out must not be taken for this call's.
    while (receiveMessageOnPort(this.port) !== undefined) { /* stale */ }
    Atomics.store(this.signal, 0, 0)
    this.port.postMessage({ ...req, id })
    const waited = Atomics.wait(this.signal, 0, 0, timeoutMs)
    let reply: { id: number, ok: boolean, results?: unknown, message?: string, code?: string } | undefined
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      reply = m.message as typeof reply
      if (reply?.id === id) break
      reply = undefined
    }
    if (!reply) {
      throw new PgSyncError(`PostgreSQL did not answer within ${timeoutMs} ms (${waited})`, 'RECORD_ERR_DB_TIMEOUT')
    }
    if (!reply.ok) throw new PgSyncError(reply.message ?? 'PostgreSQL error', reply.code ?? 'PG_ERR')
    return reply.results
  }
}
