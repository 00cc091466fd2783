// The `transfer_to_number` system tool (seed "Transfer to human"; engine proto README "Tools"): checks
// the engine's arguments against the agent's transfer rules, then runs a SIP REFER or a conference
// transfer and reports progress as CallEvent{transfer}. One transfer at a time per call.
import type { TrunkConfig } from '../config'
import { hostWithPort, trunkUri } from '../trunk/trunk-uri'
import type { TransferRuleConfig, TransferSettings } from '../config/transfer-schema'
import { transferRuleTarget } from '../config/transfer-schema'
import type { CallEvent, TransferState, TransferToNumberArgs } from '../engine/engine-session'
import { parseNameAddr } from '../sip/message/name-addr'
import type { Clock } from '../sip/transaction/clock'
import type { Logger } from '../log'
import { ReferTransfer, type ReferDialog, type ReferOutcome } from './refer-transfer'

/** A transfer CallEvent: what the engine hears of a transfer's progress. */
export type TransferProgress = Extract<CallEvent, { type: 'transfer' }>

/** transfer_to_number's arguments; the control API may also name the transfer type it expects. */
export type TransferRequest = TransferToNumberArgs & { requestedType?: 'conference' | 'sip_refer' }

export type TransferToolOutcome =
  | { ok: true; result?: Record<string, unknown> }
  | { ok: false; error: string }

/** What the call-record keeps of a transfer (src/records TransferOutcome vocabulary). */
export interface TransferRecord {
  type: 'conference' | 'sip-refer'
  target: string
  result: 'succeeded' | 'failed'
  sipStatus?: number
  detail: string
}

/** A conference transfer, provided by the call (it owns the media legs). */
export interface ConferenceRunner {
  run: (req: { toolCallId: string, rule: TransferRuleConfig, number: string, args: TransferToNumberArgs, progress: (state: TransferState, sipStatus: number, detail: string) => void }) =>
    Promise<{ ok: true, sipStatus: number, detail: string } | { ok: false, sipStatus: number, detail: string }>
}

/** What the transfer needs of its call (AiCall implements it). */
export interface TransferCallPort {
  /** The caller's confirmed dialog, or null before the ACK / after the end. */
  dialog: () => ReferDialog & { readonly localHeader: string, readonly remoteTarget: string } | null
  trunk: TrunkConfig
  rules: readonly TransferRuleConfig[]
  /** The transfer's progress to the engine. */
  sendProgress: (p: TransferProgress) => void
  /** Runs a conference transfer; null when the call cannot (no outbound trunk, no media). */
  conference: ConferenceRunner | null
  logger: Logger
}

/** Why a transfer was not even tried: the rules do not allow it, or the call is not in a state for it. */
export type TransferRefusal = 'not_allowed' | 'busy' | 'not_connected' | 'unavailable'

export interface TransferRun {
  outcome: TransferToolOutcome
  /** Set when nothing was sent (no record): the reason, for callers that map it (the control API). */
  refusal?: TransferRefusal
  record: TransferRecord | null
  /** The caller is with the human now: the call hands over / ends its engine part after the ToolResult. */
  transferred: boolean
}

export interface TransferServiceOptions {
  settings: TransferSettings
  clock: Clock
}

export class TransferService {
  private readonly opts: TransferServiceOptions
  private busy = false

  constructor (opts: TransferServiceOptions) {
    this.opts = opts
  }

  get inProgress (): boolean { return this.busy }

  async transferToNumber (toolCallId: string, args: TransferRequest, call: TransferCallPort): Promise<TransferRun> {
    const refuse = (error: string, refusal: TransferRefusal = 'not_allowed'): TransferRun => ({ outcome: { ok: false, error }, refusal, record: null, transferred: false })
    const number = typeof args?.transferNumber === 'string' ? args.transferNumber : ''
    if (number === '') return refuse('transfer_number is required')
    const rule = call.rules.find(r => transferRuleTarget(r) === number)
    if (rule && args.requestedType !== undefined && rule.transfer_type !== args.requestedType) {
      return refuse(`${number} is a ${rule.transfer_type} transfer destination, not ${args.requestedType}`)
    }
    // seed: "must match configured numbers" — exactly, no normalisation (a near miss is the LLM's typo).
    if (!rule) {
      const known = call.rules.map(transferRuleTarget)
      return refuse(known.length === 0
        ? 'this agent has no transfer rules; continue the conversation'
        : `transfer_number ${JSON.stringify(number)} is not one of the configured destinations (${known.join(', ')}); continue the conversation`)
    }
    if (this.busy) return refuse('a transfer is already in progress on this call', 'busy')
    const dialog = call.dialog()
    if (dialog === null) return refuse('the call is not connected (no confirmed dialog)', 'not_connected')
    this.busy = true
    try {
      return rule.transfer_type === 'sip_refer'
        ? await this.refer(toolCallId, rule, number, dialog, call)
        : await this.conference(toolCallId, rule, number, args, call)
    } finally {
      this.busy = false
    }
  }

  private progress (call: TransferCallPort, toolCallId: string, state: TransferState, sipStatus: number, detail: string): void {
    call.sendProgress({ type: 'transfer', toolCallId, state, sipStatus, detail })
  }

  private async refer (toolCallId: string, rule: TransferRuleConfig, number: string, dialog: NonNullable<ReturnType<TransferCallPort['dialog']>>, call: TransferCallPort): Promise<TransferRun> {
    const referTo = rule.transfer_destination.type === 'sip_uri' ? rule.transfer_destination.sip_uri : trunkUri(number, call.trunk, dialog.remoteTarget) as string
    const failed = (sipStatus: number, detail: string): TransferRun => {
      this.progress(call, toolCallId, 'failed', sipStatus, detail)
      return { outcome: { ok: false, error: `transfer failed: ${detail}` }, record: { type: 'sip-refer', target: referTo, result: 'failed', sipStatus, detail }, transferred: false }
    }
    if (!call.trunk.allow_refer) return failed(0, `trunk ${call.trunk.name} does not allow REFER (allow_refer: false)`)
    this.progress(call, toolCallId, 'trying', 0, `REFER to ${referTo}`)
    const transfer = new ReferTransfer({
      dialog,
      referTo,
      referredBy: agentUri(dialog.localHeader),
      clock: this.opts.clock,
      notifyTimeoutMs: this.opts.settings.refer_notify_timeout_ms,
      logger: call.logger,
      onProgress: (p) => {
        const state: TransferState = p.sipStatus >= 180 ? 'ringing' : 'trying'
        this.progress(call, toolCallId, state, p.sipStatus, `${p.sipStatus} ${p.reason}`.trim())
      }
    })
    const o: ReferOutcome = await transfer.start()
    if (o.kind === 'failed') return failed(o.sipStatus, o.detail)
    // Succeeded, or the trunk hung up on its own after accepting: either way the caller left us.
    this.progress(call, toolCallId, 'answered', o.sipStatus, o.detail)
    return {
      outcome: { ok: true, result: { state: 'answered', transfer_type: 'sip_refer', sip_status: o.sipStatus } },
      record: { type: 'sip-refer', target: referTo, result: 'succeeded', sipStatus: o.sipStatus, detail: o.detail },
      transferred: true
    }
  }

  private async conference (toolCallId: string, rule: TransferRuleConfig, number: string, args: TransferToNumberArgs, call: TransferCallPort): Promise<TransferRun> {
    const runner = call.conference
    if (runner === null) {
      this.progress(call, toolCallId, 'failed', 0, 'conference transfer unavailable')
      return { outcome: { ok: false, error: 'conference transfer is not available for this call (the agent\'s trunk has no outbound settings)' }, refusal: 'unavailable', record: null, transferred: false }
    }
    this.progress(call, toolCallId, 'trying', 0, `calling ${number}`)
    const r = await runner.run({
      toolCallId, rule, number, args,
      progress: (state, sipStatus, detail) => this.progress(call, toolCallId, state, sipStatus, detail)
    })
    if (!r.ok) {
      this.progress(call, toolCallId, 'failed', r.sipStatus, r.detail)
      return { outcome: { ok: false, error: `transfer failed: ${r.detail}` }, record: { type: 'conference', target: number, result: 'failed', sipStatus: r.sipStatus, detail: r.detail }, transferred: false }
    }
    return {
      outcome: { ok: true, result: { state: 'answered', transfer_type: 'conference', sip_status: r.sipStatus } },
      record: { type: 'conference', target: number, result: 'succeeded', sipStatus: r.sipStatus, detail: r.detail },
      transferred: true
    }
  }
}

/** Referred-By (RFC 3892): the agent's address of record in this dialog — our From/To URI without tag. */
export function agentUri (localHeader: string): string {
  try {
    const n = parseNameAddr(localHeader)
    const u = n.uri
    const user = u.user ? `${u.user}@` : ''
    return `${u.scheme}:${user}${hostWithPort(u.host, u.port)}`
  } catch {
    return localHeader.replace(/^.*<([^>]+)>.*$/, '$1')
  }
}
