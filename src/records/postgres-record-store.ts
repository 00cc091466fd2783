// Call records in PostgreSQL (records.type: postgres), shared by the nodes of a cluster (issue 15).
// Same rows and rules as the SQLite store (call-record-store.ts): finish() writes the final record and
// its webhook job in one transaction and returns once PostgreSQL has committed it (synchronous_commit:
// the WAL is flushed), so a call releases its resources only after its record is durable.
// Each row names the node that owns the call (node_id, and its API address for the cluster-wide API):
// on start a node closes only ITS interrupted calls — the other nodes' live calls are theirs — and
// delivers only its own webhook jobs, so two nodes never post the same call.
// Migrations run at start, under an advisory lock: nodes starting together do not race on DDL.
import {
  isFinalStatus, type CallEnd, type CallRecord, type CallRecordUpdate, type NewCallRecord
} from './call-record'
import { CallRecordNotFoundError, type ListOptions, type OutboxJob } from './call-record-store'
import type { RecordStore } from './record-store'
import { recordFromRow, type CallRow } from './record-row'
import { PgSyncClient, type PgStatement } from './pg-sync-client'

/** Ordered migrations; schema_migrations keeps how many ran. Append only. */
const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS calls (
      conversation_id TEXT PRIMARY KEY,
      call_id TEXT, call_sid TEXT, sip_call_id TEXT,
      agent_id TEXT NOT NULL, direction TEXT NOT NULL, trunk TEXT,
      from_number TEXT NOT NULL, to_number TEXT NOT NULL,
      status TEXT NOT NULL,
      created_at BIGINT NOT NULL, answered_at BIGINT, ended_at BIGINT, duration_ms BIGINT,
      hangup_cause TEXT, hangup_side TEXT, sip_status INTEGER,
      transfer TEXT, tools_called TEXT NOT NULL DEFAULT '[]',
      dtmf_received INTEGER NOT NULL DEFAULT 0, dtmf_sent INTEGER NOT NULL DEFAULT 0,
      media TEXT,
      node_id TEXT, node_api TEXT,
      seq BIGSERIAL
    )`,
    'CREATE INDEX IF NOT EXISTS calls_status ON calls(status, created_at)',
    'CREATE INDEX IF NOT EXISTS calls_sip_call_id ON calls(sip_call_id)',
    'CREATE INDEX IF NOT EXISTS calls_live_node ON calls(node_id) WHERE ended_at IS NULL',
    `CREATE TABLE IF NOT EXISTS webhook_outbox (
      id BIGSERIAL PRIMARY KEY,
      conversation_id TEXT NOT NULL REFERENCES calls(conversation_id),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at BIGINT NOT NULL,
      last_error TEXT,
      state TEXT NOT NULL DEFAULT 'pending'
    )`,
    'CREATE INDEX IF NOT EXISTS outbox_due ON webhook_outbox(state, next_attempt_at)'
  ]
]
/** Any constant: the key of the advisory lock held while migrating. */
const MIGRATION_LOCK = 7715015
const MIGRATION_TIMEOUT_MS = 60000

export interface PostgresRecordStoreOptions {
  url: string
  /** This node's name in the rows it owns (records.node_id). */
  nodeId: string
  /** This node's control API base URL, stored with its calls for the cluster-wide API. */
  nodeApi?: string | null
  outbox?: boolean
  now?: () => number
  timeoutMs?: number
}

interface Row extends CallRow {
  node_id: string | null, node_api: string | null
}

export class PostgresRecordStore implements RecordStore {
  readonly file: string
  readonly nodeId: string
  private nodeApi: string | null
  private readonly db: PgSyncClient
  private readonly now: () => number
  private readonly outbox: boolean

  constructor (opts: PostgresRecordStoreOptions) {
    this.file = redact(opts.url)
    this.nodeId = opts.nodeId
    this.nodeApi = opts.nodeApi ?? null
    this.now = opts.now ?? Date.now
    this.outbox = opts.outbox ?? false
    this.db = new PgSyncClient({ url: opts.url, timeoutMs: opts.timeoutMs })
    try {
      this.migrate()
      this.recoverInterrupted()
    } catch (err) {
      this.db.close()
      throw err
    }
  }

  /** The API address is known only once the API listens (after the store opened). */
  setNodeApi (url: string | null): void { this.nodeApi = url }

  private migrate (): void {
    const statements: PgStatement[] = [
      { text: 'SELECT pg_advisory_xact_lock($1)', values: [MIGRATION_LOCK] },
      { text: 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL)' }
    ]
    // Start-up may wait behind another node's migration (the lock): longer than a record write may.
    const timeoutMs = MIGRATION_TIMEOUT_MS
    const [, , done] = this.db.batch([...statements, { text: 'SELECT coalesce(max(version), 0) AS v FROM schema_migrations' }], { transaction: true, timeoutMs })
    const have = Number((done.rows[0] as { v: number }).v)
    if (have >= MIGRATIONS.length) return
    // Under the lock again: another node may have migrated between the two batches.
    const todo: PgStatement[] = [...statements]
    for (let v = have; v < MIGRATIONS.length; v++) {
      for (const text of MIGRATIONS[v]) todo.push({ text })
      todo.push({ text: 'INSERT INTO schema_migrations (version) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM schema_migrations WHERE version >= $1)', values: [v + 1] })
    }
    this.db.batch(todo, { transaction: true, timeoutMs })
  }

  begin (rec: NewCallRecord): CallRecord {
    const rows = this.db.query<Row>(`INSERT INTO calls (conversation_id, call_id, call_sid, sip_call_id, agent_id, direction, trunk,
      from_number, to_number, status, created_at, node_id, node_api) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING *`, [
      rec.conversationId, rec.callId ?? null, rec.callSid ?? null, rec.sipCallId ?? null, rec.agentId, rec.direction, rec.trunk ?? null,
      rec.fromNumber, rec.toNumber, rec.status ?? 'initiated', rec.createdAt ?? this.now(), this.nodeId, this.nodeApi
    ])
    return recordFromRow(rows[0])
  }

  update (conversationId: string, patch: CallRecordUpdate): void {
    const cols: string[] = []
    const values: unknown[] = [conversationId]
    const set = (col: string, v: unknown): void => { values.push(v); cols.push(`${col}=$${values.length}`) }
    if (patch.status !== undefined) set('status', patch.status)
    if (patch.sipCallId !== undefined) set('sip_call_id', patch.sipCallId)
    if (patch.callSid !== undefined) set('call_sid', patch.callSid)
    if (patch.answeredAt !== undefined) set('answered_at', patch.answeredAt)
    if (patch.transfer !== undefined) set('transfer', patch.transfer === null ? null : JSON.stringify(patch.transfer))
    if (patch.toolsCalled !== undefined) set('tools_called', JSON.stringify(patch.toolsCalled))
    if (patch.dtmfReceived !== undefined) set('dtmf_received', patch.dtmfReceived)
    if (patch.dtmfSent !== undefined) set('dtmf_sent', patch.dtmfSent)
    if (cols.length === 0) return
    this.db.query(`UPDATE calls SET ${cols.join(', ')} WHERE conversation_id=$1 AND ended_at IS NULL`, values)
  }

  finish (conversationId: string, end: CallEnd): CallRecord {
    if (!isFinalStatus(end.status)) throw new RangeError(`${end.status} is not a final call status`)
    const current = this.mustGet(conversationId)
    if (current.endedAt !== null) return current
    const endedAt = end.endedAt ?? this.now()
    const durationMs = current.answeredAt === null ? 0 : Math.max(0, endedAt - current.answeredAt)
    const transfer = end.transfer !== undefined ? (end.transfer === null ? null : JSON.stringify(end.transfer)) : (current.transfer ? JSON.stringify(current.transfer) : null)
    const statements: PgStatement[] = [{
      text: `UPDATE calls SET status=$2, ended_at=$3, duration_ms=$4, hangup_cause=$5, hangup_side=$6, sip_status=$7, transfer=$8,
        tools_called=$9, dtmf_received=$10, dtmf_sent=$11, media=$12 WHERE conversation_id=$1 AND ended_at IS NULL`,
      values: [conversationId, end.status, endedAt, durationMs, end.hangupCause, end.hangupSide, end.sipStatus ?? null, transfer,
        JSON.stringify(end.toolsCalled ?? current.toolsCalled), end.dtmfReceived ?? current.dtmfReceived, end.dtmfSent ?? current.dtmfSent,
        end.media ? JSON.stringify(end.media) : null]
    }]
    if (this.outbox) {
      // Only when the UPDATE above changed the row (a concurrent finish wins once): same transaction.
      statements.push({
        text: `INSERT INTO webhook_outbox (conversation_id, next_attempt_at) SELECT $1::text, $2::bigint
          WHERE NOT EXISTS (SELECT 1 FROM webhook_outbox WHERE conversation_id=$1::text)`,
        values: [conversationId, endedAt]
      })
    }
    this.db.batch(statements, { transaction: true })
    return this.mustGet(conversationId)
  }

  get (conversationId: string): CallRecord | null {
    const rows = this.db.query<Row>('SELECT * FROM calls WHERE conversation_id=$1', [conversationId])
    return rows.length ? recordFromRow(rows[0]) : null
  }

  getBySipCallId (sipCallId: string): CallRecord | null {
    const rows = this.db.query<Row>('SELECT * FROM calls WHERE sip_call_id=$1 ORDER BY created_at DESC LIMIT 1', [sipCallId])
    return rows.length ? recordFromRow(rows[0]) : null
  }

  list (opts: ListOptions = {}): CallRecord[] {
    const where: string[] = []
    const values: unknown[] = []
    if (opts.status !== undefined) { values.push(opts.status); where.push(`status=$${values.length}`) }
    if (opts.direction !== undefined) { values.push(opts.direction); where.push(`direction=$${values.length}`) }
    const limit = Math.min(Math.max(1, opts.limit ?? 100), 1000)
    return this.db.query<Row>(`SELECT * FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, seq DESC LIMIT ${limit}`, values).map(recordFromRow)
  }

  /** The owner of a call: node name and API base URL (null for a call of an unknown node). */
  owner (conversationId: string): { nodeId: string | null, nodeApi: string | null } | null {
    const rows = this.db.query<{ node_id: string | null, node_api: string | null }>('SELECT node_id, node_api FROM calls WHERE conversation_id=$1', [conversationId])
    return rows.length ? { nodeId: rows[0].node_id, nodeApi: rows[0].node_api } : null
  }

  count (): number {
    return Number(this.db.query<{ n: string }>('SELECT count(*) AS n FROM calls')[0].n)
  }

  dueJobs (now: number, limit = 50): OutboxJob[] {
    return this.db.query<{ id: string, conversation_id: string, attempts: number, next_attempt_at: string, last_error: string | null }>(
      `SELECT o.id, o.conversation_id, o.attempts, o.next_attempt_at, o.last_error FROM webhook_outbox o JOIN calls c USING (conversation_id)
       WHERE o.state='pending' AND o.next_attempt_at <= $1 AND c.node_id = $2 ORDER BY o.next_attempt_at LIMIT $3`, [now, this.nodeId, limit])
      .map(r => ({ id: Number(r.id), conversationId: r.conversation_id, attempts: r.attempts, nextAttemptAt: Number(r.next_attempt_at), lastError: r.last_error }))
  }

  markDelivered (jobId: number): void { this.db.query(`UPDATE webhook_outbox SET state='delivered', attempts=attempts+1, last_error=NULL WHERE id=$1`, [jobId]) }
  scheduleRetry (jobId: number, nextAttemptAt: number, error: string): void { this.db.query('UPDATE webhook_outbox SET attempts=attempts+1, next_attempt_at=$1, last_error=$2 WHERE id=$3', [nextAttemptAt, error, jobId]) }
  markDead (jobId: number, error: string): void { this.db.query(`UPDATE webhook_outbox SET state='dead', attempts=attempts+1, last_error=$1 WHERE id=$2`, [error, jobId]) }

  outboxState (conversationId: string): { state: string, attempts: number, lastError: string | null } | null {
    const rows = this.db.query<{ state: string, attempts: number, last_error: string | null }>(
      'SELECT state, attempts, last_error FROM webhook_outbox WHERE conversation_id=$1 ORDER BY id DESC LIMIT 1', [conversationId])
    return rows.length ? { state: rows[0].state, attempts: rows[0].attempts, lastError: rows[0].last_error } : null
  }

  close (): void { this.db.close() }

  private mustGet (id: string): CallRecord {
    const r = this.get(id)
    if (!r) throw new CallRecordNotFoundError(id)
    return r
  }

  /** This node's calls left open by a crash end now as failed (gateway_restart); other nodes' are left alone. */
  private recoverInterrupted (): void {
    const rows = this.db.query<{ conversation_id: string }>('SELECT conversation_id FROM calls WHERE ended_at IS NULL AND node_id=$1', [this.nodeId])
    const now = this.now()
    for (const r of rows) this.finish(r.conversation_id, { status: 'failed', hangupCause: 'gateway_restart', hangupSide: 'system', endedAt: now })
  }
}

/** postgres://user:secret@host/db → postgres://user@host/db, for logs. */
function redact (url: string): string {
  try {
    const u = new URL(url)
    u.password = ''
    return u.toString()
  } catch {
    return 'postgres://(unparsable url)'
  }
}



