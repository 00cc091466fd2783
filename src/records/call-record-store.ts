// Durable call records in SQLite (better-sqlite3). WAL journal: readers (the API) never block the writer.
// Updates during a call commit with synchronous=NORMAL (a crash can lose the last in-progress change,
// never corrupt the file); the final record commits with synchronous=FULL, so once finish() returns the
// record has been fsynced and survives kill -9 and power loss. finish() also queues the post-call
// webhook in the SAME transaction (transactional outbox): a record never exists without its delivery
// job, and a failing webhook never loses the record.
import Database from 'better-sqlite3'
import { recordFromRow, type CallRow } from './record-row'
import fs from 'node:fs'
import path from 'node:path'
import {
  isFinalStatus, type CallEnd, type CallRecord, type CallRecordUpdate, type CallStatus, type NewCallRecord
} from './call-record'

export interface ListOptions {
  status?: CallStatus
  direction?: 'inbound' | 'outbound'
  /** Newest first; default 100, at most 1000. */
  limit?: number
}

export interface OutboxJob {
  id: number
  conversationId: string
  attempts: number
  nextAttemptAt: number
  lastError: string | null
}

export interface CallRecordStoreOptions {
  /** Queue a post-call webhook job with each finished record. */
  outbox?: boolean
  now?: () => number
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS calls (
  conversation_id TEXT PRIMARY KEY,
  call_id TEXT, call_sid TEXT, sip_call_id TEXT,
  agent_id TEXT NOT NULL, direction TEXT NOT NULL, trunk TEXT,
  from_number TEXT NOT NULL, to_number TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL, answered_at INTEGER, ended_at INTEGER, duration_ms INTEGER,
  hangup_cause TEXT, hangup_side TEXT, sip_status INTEGER,
  transfer TEXT, tools_called TEXT NOT NULL DEFAULT '[]',
  dtmf_received INTEGER NOT NULL DEFAULT 0, dtmf_sent INTEGER NOT NULL DEFAULT 0,
  media TEXT
);
CREATE INDEX IF NOT EXISTS calls_status ON calls(status, created_at);
CREATE INDEX IF NOT EXISTS calls_sip_call_id ON calls(sip_call_id);
CREATE TABLE IF NOT EXISTS webhook_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES calls(conversation_id),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  state TEXT NOT NULL DEFAULT 'pending'
);
CREATE INDEX IF NOT EXISTS outbox_due ON webhook_outbox(state, next_attempt_at);
`

type Row = CallRow

export class CallRecordNotFoundError extends Error {
  readonly code = 'RECORD_ERR_NOT_FOUND'
  constructor (id: string) { super(`no call record ${id}`) }
}

export class CallRecordStore {
  readonly file: string
  private readonly db: Database.Database
  private readonly now: () => number
  private readonly outbox: boolean
  private readonly stmts: ReturnType<CallRecordStore['prepare']>

  /** Opens (creating when needed) the database; calls left active by a crash are closed as failed. */
  constructor (file: string, opts: CallRecordStoreOptions = {}) {
    this.file = file
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('foreign_keys = ON')
    // A reader (the API) and the writer share the file; wait briefly instead of failing on a lock.
    this.db.pragma('busy_timeout = 2000')
    this.db.exec(SCHEMA)
    this.now = opts.now ?? Date.now
    this.outbox = opts.outbox ?? false
    this.stmts = this.prepare()
    this.recoverInterrupted()
  }

  private prepare () {
    return {
      insert: this.db.prepare(`INSERT INTO calls (conversation_id, call_id, call_sid, sip_call_id, agent_id, direction, trunk,
        from_number, to_number, status, created_at) VALUES (@conversation_id, @call_id, @call_sid, @sip_call_id, @agent_id,
        @direction, @trunk, @from_number, @to_number, @status, @created_at)`),
      get: this.db.prepare('SELECT * FROM calls WHERE conversation_id = ?'),
      bySipCallId: this.db.prepare('SELECT * FROM calls WHERE sip_call_id = ? ORDER BY created_at DESC LIMIT 1'),
      finish: this.db.prepare(`UPDATE calls SET status=@status, ended_at=@ended_at, duration_ms=@duration_ms,
        hangup_cause=@hangup_cause, hangup_side=@hangup_side, sip_status=@sip_status, transfer=@transfer,
        tools_called=@tools_called, dtmf_received=@dtmf_received, dtmf_sent=@dtmf_sent, media=@media
        WHERE conversation_id=@conversation_id AND ended_at IS NULL`),
      enqueue: this.db.prepare('INSERT INTO webhook_outbox (conversation_id, next_attempt_at) VALUES (?, ?)'),
      due: this.db.prepare(`SELECT id, conversation_id, attempts, next_attempt_at, last_error FROM webhook_outbox
        WHERE state='pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`),
      delivered: this.db.prepare(`UPDATE webhook_outbox SET state='delivered', attempts=attempts+1, last_error=NULL WHERE id=?`),
      retry: this.db.prepare('UPDATE webhook_outbox SET attempts=attempts+1, next_attempt_at=?, last_error=? WHERE id=?'),
      giveUp: this.db.prepare(`UPDATE webhook_outbox SET state='dead', attempts=attempts+1, last_error=? WHERE id=?`),
      outboxState: this.db.prepare('SELECT state, attempts, last_error FROM webhook_outbox WHERE conversation_id=? ORDER BY id DESC LIMIT 1')
    }
  }

  /** A new call (status initiated unless given). Throws on a duplicate conversation id. */
  begin (rec: NewCallRecord): CallRecord {
    this.stmts.insert.run({
      conversation_id: rec.conversationId,
      call_id: rec.callId ?? null,
      call_sid: rec.callSid ?? null,
      sip_call_id: rec.sipCallId ?? null,
      agent_id: rec.agentId,
      direction: rec.direction,
      trunk: rec.trunk ?? null,
      from_number: rec.fromNumber,
      to_number: rec.toNumber,
      status: rec.status ?? 'initiated',
      created_at: rec.createdAt ?? this.now()
    })
    return this.mustGet(rec.conversationId)
  }

  /** In-call changes (ringing, answered, counters). Ignored once the record is final: an end is never rewritten. */
  update (conversationId: string, patch: CallRecordUpdate): void {
    const cols: string[] = []
    const values: Record<string, unknown> = { id: conversationId }
    const set = (col: string, v: unknown): void => { cols.push(`${col}=@${col}`); values[col] = v }
    if (patch.status !== undefined) set('status', patch.status)
    if (patch.sipCallId !== undefined) set('sip_call_id', patch.sipCallId)
    if (patch.callSid !== undefined) set('call_sid', patch.callSid)
    if (patch.answeredAt !== undefined) set('answered_at', patch.answeredAt)
    if (patch.transfer !== undefined) set('transfer', patch.transfer === null ? null : JSON.stringify(patch.transfer))
    if (patch.toolsCalled !== undefined) set('tools_called', JSON.stringify(patch.toolsCalled))
    if (patch.dtmfReceived !== undefined) set('dtmf_received', patch.dtmfReceived)
    if (patch.dtmfSent !== undefined) set('dtmf_sent', patch.dtmfSent)
    if (cols.length === 0) return
    this.db.prepare(`UPDATE calls SET ${cols.join(', ')} WHERE conversation_id=@id AND ended_at IS NULL`).run(values)
  }

  /**
   * The call ended: writes the final record and (with the outbox on) its webhook job in one transaction,
   * fsynced (synchronous=FULL) before returning. Call it BEFORE releasing the call's resources. Returns
   * the final record; a second finish() for the same call changes nothing and returns the first end.
   */
  finish (conversationId: string, end: CallEnd): CallRecord {
    if (!isFinalStatus(end.status)) throw new RangeError(`${end.status} is not a final call status`)
    const current = this.mustGet(conversationId)
    if (current.endedAt !== null) return current
    const endedAt = end.endedAt ?? this.now()
    const durationMs = current.answeredAt === null ? 0 : Math.max(0, endedAt - current.answeredAt)
    const commit = this.db.transaction(() => {
      const changed = this.stmts.finish.run({
        conversation_id: conversationId,
        status: end.status,
        ended_at: endedAt,
        duration_ms: durationMs,
        hangup_cause: end.hangupCause,
        hangup_side: end.hangupSide,
        sip_status: end.sipStatus ?? null,
        transfer: end.transfer !== undefined ? (end.transfer === null ? null : JSON.stringify(end.transfer)) : (current.transfer ? JSON.stringify(current.transfer) : null),
        tools_called: JSON.stringify(end.toolsCalled ?? current.toolsCalled),
        dtmf_received: end.dtmfReceived ?? current.dtmfReceived,
        dtmf_sent: end.dtmfSent ?? current.dtmfSent,
        media: end.media ? JSON.stringify(end.media) : null
      }).changes
      if (changed === 1 && this.outbox) this.stmts.enqueue.run(conversationId, endedAt)
    })
    // WAL + FULL: the commit fsyncs the WAL. Pragmas cannot change inside a transaction, hence around it.
    this.db.pragma('synchronous = FULL')
    try {
      commit()
    } finally {
      this.db.pragma('synchronous = NORMAL')
    }
    return this.mustGet(conversationId)
  }

  get (conversationId: string): CallRecord | null {
    const row = this.stmts.get.get(conversationId) as Row | undefined
    return row ? recordFromRow(row) : null
  }

  getBySipCallId (sipCallId: string): CallRecord | null {
    const row = this.stmts.bySipCallId.get(sipCallId) as Row | undefined
    return row ? recordFromRow(row) : null
  }

  list (opts: ListOptions = {}): CallRecord[] {
    const where: string[] = []
    const args: unknown[] = []
    if (opts.status !== undefined) { where.push('status = ?'); args.push(opts.status) }
    if (opts.direction !== undefined) { where.push('direction = ?'); args.push(opts.direction) }
    const limit = Math.min(Math.max(1, opts.limit ?? 100), 1000)
    const sql = `SELECT * FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ${limit}`
    return (this.db.prepare(sql).all(...args) as Row[]).map(recordFromRow)
  }

  count (): number {
    return (this.db.prepare('SELECT count(*) AS n FROM calls').get() as { n: number }).n
  }

  /** Webhook jobs whose next attempt is due. */
  dueJobs (now: number, limit = 50): OutboxJob[] {
    return (this.stmts.due.all(now, limit) as Array<{ id: number, conversation_id: string, attempts: number, next_attempt_at: number, last_error: string | null }>)
      .map(r => ({ id: r.id, conversationId: r.conversation_id, attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastError: r.last_error }))
  }

  markDelivered (jobId: number): void { this.stmts.delivered.run(jobId) }
  scheduleRetry (jobId: number, nextAttemptAt: number, error: string): void { this.stmts.retry.run(nextAttemptAt, error, jobId) }
  /** Bounded attempts: the job stops, the record stays (and the failure is visible in outboxState). */
  markDead (jobId: number, error: string): void { this.stmts.giveUp.run(error, jobId) }

  outboxState (conversationId: string): { state: string, attempts: number, lastError: string | null } | null {
    const r = this.stmts.outboxState.get(conversationId) as { state: string, attempts: number, last_error: string | null } | undefined
    return r ? { state: r.state, attempts: r.attempts, lastError: r.last_error } : null
  }

  close (): void {
    if (this.db.open) this.db.close()
  }

  private mustGet (id: string): CallRecord {
    const r = this.get(id)
    if (!r) throw new CallRecordNotFoundError(id)
    return r
  }

  /**
   * Calls still active in the file belong to a gateway that died mid-call: nobody will ever end them, so
   * they end now as failed (side system), with the time of the restart as the end.
   */
  private recoverInterrupted (): void {
    const now = this.now()
    const rows = this.db.prepare(`SELECT conversation_id FROM calls WHERE ended_at IS NULL`).all() as Array<{ conversation_id: string }>
    for (const r of rows) {
      this.finish(r.conversation_id, { status: 'failed', hangupCause: 'gateway_restart', hangupSide: 'system', endedAt: now })
    }
  }
}


