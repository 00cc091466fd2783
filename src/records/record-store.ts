// The call-record store as the rest of the gateway sees it (issue 15): one interface, two
// implementations chosen by records.type — `sqlite` (embedded, one node; call-record-store.ts) and
// `postgres` (shared by the nodes of a cluster; postgres-record-store.ts). Both keep the same rule:
// finish() returns only once the final record (and its webhook job) is durably committed, so a call
// releases its resources after its record is safe. The methods are synchronous on purpose: callers
// commit a record and then release in the same turn, with no await between in which a kill could fall.
import type { CallEnd, CallRecord, CallRecordUpdate, NewCallRecord } from './call-record'
import type { ListOptions, OutboxJob } from './call-record-store'

export interface RecordStore {
  /** Where the records live, for logs (a file name, or postgres://host/db without credentials). */
  readonly file: string
  begin: (rec: NewCallRecord) => CallRecord
  update: (conversationId: string, patch: CallRecordUpdate) => void
  finish: (conversationId: string, end: CallEnd) => CallRecord
  get: (conversationId: string) => CallRecord | null
  getBySipCallId: (sipCallId: string) => CallRecord | null
  list: (opts?: ListOptions) => CallRecord[]
  count: () => number
  dueJobs: (now: number, limit?: number) => OutboxJob[]
  markDelivered: (jobId: number) => void
  scheduleRetry: (jobId: number, nextAttemptAt: number, error: string) => void
  markDead: (jobId: number, error: string) => void
  outboxState: (conversationId: string) => { state: string, attempts: number, lastError: string | null } | null
  close: () => void
}
