// The control API of one node in a cluster (issue 15): with the shared PostgreSQL store, list and get
// already see every node's calls; hang-up and DTMF of a live call held by another node are forwarded to
// that node's API (its address is in the call's row; the nodes share their API keys) and answered as
// if local. A live call whose node does not answer any more is 410 Gone: nobody can control it, and
// its node will close its record when it restarts.
import type { CallRecord, CallStatus } from '../records/call-record'
import { CallControlError, type CallControl, type OriginateRequest, type TransferCallRequest } from '../call/call-control'

/** What forwarding needs from the store: who owns a call. */
export interface CallOwnerLookup {
  readonly nodeId: string
  owner: (conversationId: string) => { nodeId: string | null, nodeApi: string | null } | null
  get: (conversationId: string) => CallRecord | null
}

export interface ClusterCallControlOptions {
  /** The key this node sends to the owner (keys are shared across the cluster). */
  apiKey: string
  fetch?: typeof fetch
  /** Longest wait for the owner node (a hang-up there waits for the final record). Default 15 s. */
  timeoutMs?: number
}

export class ClusterCallControl implements CallControl {
  private readonly fetch: typeof fetch
  private readonly timeoutMs: number

  constructor (private readonly local: CallControl, private readonly store: CallOwnerLookup, private readonly opts: ClusterCallControlOptions) {
    this.fetch = opts.fetch ?? fetch
    this.timeoutMs = opts.timeoutMs ?? 15000
  }

  originate (req: OriginateRequest): Promise<CallRecord> { return this.local.originate(req) }
  get (id: string): CallRecord | null { return this.local.get(id) }
  list (filter: { status?: CallStatus, direction?: 'inbound' | 'outbound', limit?: number }): CallRecord[] { return this.local.list(filter) }

  async hangup (id: string): Promise<CallRecord> {
    const remote = this.remoteOwner(id)
    if (!remote) return await this.local.hangup(id)
    await this.forward(remote, `/v1/calls/${encodeURIComponent(id)}/hangup`, {})
    const rec = this.store.get(id)
    if (!rec) throw new CallControlError(404, 'API_ERR_CALL_NOT_FOUND', `no call ${id}`)
    return rec
  }

  async dtmf (id: string, digits: string): Promise<void> {
    const remote = this.remoteOwner(id)
    if (!remote) { await this.local.dtmf(id, digits); return }
    await this.forward(remote, `/v1/calls/${encodeURIComponent(id)}/dtmf`, { digits })
  }

  async transfer (id: string, req: TransferCallRequest): Promise<{ result: Record<string, unknown>, record: CallRecord }> {
    const remote = this.remoteOwner(id)
    if (!remote) return await this.local.transfer(id, req)
    const answer = await this.forward(remote, `/v1/calls/${encodeURIComponent(id)}/transfer`, req) as { transfer?: Record<string, unknown> } | null
    const record = this.store.get(id)
    if (!record) throw new CallControlError(404, 'API_ERR_CALL_NOT_FOUND', `no call ${id}`)
    return { result: answer?.transfer ?? {}, record }
  }

  /** The owner's API base URL when a live call belongs to another node; null to handle it here. */
  private remoteOwner (id: string): { nodeId: string, api: string | null } | null {
    const rec = this.store.get(id)
    if (!rec || rec.endedAt !== null) return null // 404 / 409 from the local control, as for any call
    const owner = this.store.owner(id)
    if (!owner?.nodeId || owner.nodeId === this.store.nodeId) return null
    return { nodeId: owner.nodeId, api: owner.nodeApi }
  }

  private async forward (owner: { nodeId: string, api: string | null }, path: string, body: unknown): Promise<unknown> {
    const gone = (why: string): CallControlError =>
      new CallControlError(410, 'API_ERR_OWNER_GONE', `the call's node ${owner.nodeId} ${why}: it cannot be controlled`)
    if (!owner.api) throw gone('has no API address')
    let res: Response
    try {
      res = await this.fetch(`${owner.api}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': this.opts.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs)
      })
    } catch (err) {
      throw gone(`does not answer (${(err as Error).message})`)
    }
    if (res.ok) return await res.json().catch(() => null)
    const payload = await res.json().catch(() => null) as { error?: { code?: string, message?: string, field?: string } } | null
    const status = res.status === 400 || res.status === 404 || res.status === 409 || res.status === 503 ? res.status : 502
    throw new CallControlError(status, payload?.error?.code ?? 'API_ERR_OWNER_FAILED', payload?.error?.message ?? `node ${owner.nodeId} answered ${res.status}`, payload?.error?.field)
  }
}
