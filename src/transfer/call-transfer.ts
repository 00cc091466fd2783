// The transfer side of one AI call (AiCall holds one): runs transfer_to_number for the engine and
// answers the trunk's own REFERs per trunk policy. Kept out of ai-call.ts so the call only wires it.
import type { AgentConfig, TrunkConfig } from '../config'
import type { TransferSettings } from '../config/transfer-schema'
import type { CallEvent } from '../engine/engine-session'
import type { Dialog } from '../sip/dialog/dialog'
import type { SipRequest } from '../sip/message/types'
import type { ServerResponse } from '../sip/transaction/server-response'
import type { Clock } from '../sip/transaction/clock'
import type { Logger } from '../log'
import { IncomingReferHandler, type ReferTargetDialer } from './incoming-refer'
import { TransferService, type TransferRecord, type TransferRefusal, type TransferRequest, type TransferToolOutcome } from './transfer-service'
import type { ConferenceTransfer } from './conference-transfer'

export interface CallTransferOptions {
  trunk: TrunkConfig
  agent: AgentConfig | null
  settings: TransferSettings
  clock: Clock
  logger: Logger
  /** The caller's dialog while the call is up (null before the ACK and after the end). */
  dialog: () => Dialog | null
  /** CallEvent to the engine (no-op once the stream is gone). */
  sendCallEvent: (ev: CallEvent) => void
  /** A new conference transfer for this call, when the call can make one (an outbound trunk and a dialer). */
  conference?: () => ConferenceTransfer | null
  /** Calls a REFER's target and moves the conversation onto it (incoming_refer: accept). */
  referTarget?: ReferTargetDialer
  /** The caller is with someone else now: the call ends its own part (cause "transferred"). */
  onTransferred: (record: TransferRecord) => void
}

export interface TransferToolRun {
  outcome: TransferToolOutcome
  /** Nothing was tried (rules, state): why. */
  refusal?: TransferRefusal
  /** Runs after the ToolResult went to the engine. */
  after?: () => void
}

export class CallTransfer {
  private readonly opts: CallTransferOptions
  private readonly service: TransferService
  private incoming: IncomingReferHandler | null = null
  private conference: ConferenceTransfer | null = null
  private readonly attached = new WeakSet<Dialog>()
  /** The last transfer attempt, for the call record. */
  record: TransferRecord | null = null

  constructor (opts: CallTransferOptions) {
    this.opts = opts
    this.service = new TransferService({ settings: opts.settings, clock: opts.clock })
  }

  get inProgress (): boolean { return this.service.inProgress }

  async transferToNumber (toolCallId: string, args: TransferRequest): Promise<TransferToolRun> {
    const o = this.opts
    // One conference object per attempt; the last one is closed with the call (it may hold the human's leg).
    const conference = this.service.inProgress ? null : (o.conference?.() ?? null)
    if (conference !== null) { this.conference?.close(); this.conference = conference }
    const run = await this.service.transferToNumber(toolCallId, args, {
      dialog: () => o.dialog(),
      trunk: o.trunk,
      rules: o.agent?.transfer_rules ?? [],
      sendProgress: (p) => o.sendCallEvent(p),
      conference,
      logger: o.logger
    })
    if (run.record) this.record = run.record
    const record = run.record
    if (!run.transferred || !record) return { outcome: run.outcome, refusal: run.refusal }
    return { outcome: run.outcome, after: () => o.onTransferred(record) }
  }

  /** The caller's dialog is confirmed: its REFERs are answered per trunk.incoming_refer. */
  attachDialog (dialog: Dialog): void {
    if (this.attached.has(dialog)) return
    this.attached.add(dialog)
    const o = this.opts
    const policy = o.trunk.incoming_refer
    const dial: ReferTargetDialer = o.referTarget ?? (async () => ({ status: 501, reason: 'Not Implemented' }))
    this.incoming = new IncomingReferHandler({
      dialog,
      // Without a way to move the conversation onto a new leg, accepting would only fail later.
      policy: policy === 'accept' && o.referTarget === undefined ? 'reject_403' : policy,
      dial,
      clock: o.clock,
      logger: o.logger
    })
    this.incoming.onResult = (r) => {
      if (r.kind === 'transferred') {
        this.record = { type: 'sip-refer', target: r.target, result: 'succeeded', sipStatus: r.status, detail: 'transferred by the trunk\'s REFER' }
      }
    }
    dialog.on('refer', (req: SipRequest, res: ServerResponse) => this.incoming?.handle(req, res))
  }

  close (): void {
    this.incoming?.close()
    this.conference?.close()
  }
}
