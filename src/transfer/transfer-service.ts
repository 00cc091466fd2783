// The `transfer_to_number` system tool (seed "Transfer to human"; engine proto README "Tools"): checks
// the engine's arguments against the agent's transfer rules, then runs a SIP REFER or a conference
// transfer and reports progress as CallEvent{transfer}. One transfer at a time per call.
import type { TrunkConfig } from '../config'
import { parseTrunkAddress } from '../config'
import type { TransferRuleConfig, TransferSettings } from '../config/transfer-schema'
import { transferRuleTarget } from '../config/transfer-schema'
import type { TransferProgressMsg, TransferState, TransferToNumberArgs } from '../engine/engine-messages'
import { parseNameAddr } from '../sip/message/name-addr'
import { parseUri } from '../sip/message/uri'
import type { Clock } from '../sip/transaction/clock'
import type { Logger } from '../log'
import { ReferTransfer, type ReferDialog, type ReferOutcome } from './refer-transfer'

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
  /** CallEvent{transfer} to the engine. */
  sendProgress: (p: TransferProgressMsg) => void
  /** Runs a conference transfer; null when the call cannot (no outbound trunk, no media). */
  conference: ConferenceRunner | null
  logger: Logger
}

export interface TransferRun {
  outcome: TransferToolOutcome
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

  async transferToNumber (toolCallId: string, args: TransferToNumberArgs, call: TransferCallPort): Promise<TransferRun> {
    const refuse = (error: string): TransferRun => ({ outcome: { ok: false, error }, record: null, transferred: false })
    const number = typeof args?.transfer_number === 'string' ? args.transfer_number : ''
    if (number === '') return refuse('transfer_number is required')
    // seed: "must match configured numbers" — exactly, no normalisation (a near miss is the LLM's typo).
    const rule = call.rules.find(r => transferRuleTarget(r) === number)
    if (!rule) {
      const known = call.rules.map(transferRuleTarget)
      return refuse(known.length === 0
        ? 'this agent has no transfer rules; continue the conversation'
        : `transfer_number ${JSON.stringify(number)} is not one of the configured destinations (${known.join(', ')}); continue the conversation`)
    }
    if (this.busy) return refuse('a transfer is already in progress on this call')
    const dialog = call.dialog()
    if (dialog === null) return refuse('the call is not connected (no confirmed dialog)')
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
    call.sendProgress({ tool_call_id: toolCallId, state, sip_status: sipStatus, detail })
  }

  private async refer (toolCallId: string, rule: TransferRuleConfig, number: string, dialog: NonNullable<ReturnType<TransferCallPort['dialog']>>, call: TransferCallPort): Promise<TransferRun> {
    const referTo = rule.transfer_destination.type === 'sip_uri' ? rule.transfer_destination.sip_uri : phoneAtTrunk(number, call.trunk, dialog.remoteTarget)
    const failed = (sipStatus: number, detail: string): TransferRun => {
      this.progress(call, toolCallId, 'STATE_FAILED', sipStatus, detail)
      return { outcome: { ok: false, error: `transfer failed: ${detail}` }, record: { type: 'sip-refer', target: referTo, result: 'failed', sipStatus, detail }, transferred: false }
    }
    if (!call.trunk.allow_refer) return failed(0, `trunk ${call.trunk.name} does not allow REFER (allow_refer: false)`)
    this.progress(call, toolCallId, 'STATE_TRYING', 0, `REFER to ${referTo}`)
    const transfer = new ReferTransfer({
      dialog,
      referTo,
      referredBy: agentUri(dialog.localHeader),
      clock: this.opts.clock,
      notifyTimeoutMs: this.opts.settings.refer_notify_timeout_ms,
      logger: call.logger,
      onProgress: (p) => {
        const state: TransferState = p.sipStatus >= 180 ? 'STATE_RINGING' : 'STATE_TRYING'
        this.progress(call, toolCallId, state, p.sipStatus, `${p.sipStatus} ${p.reason}`.trim())
      }
    })
    const o: ReferOutcome = await transfer.start()
    if (o.kind === 'failed') return failed(o.sipStatus, o.detail)
    // Succeeded, or the trunk hung up on its own after accepting: either way the caller left us.
    this.progress(call, toolCallId, 'STATE_ANSWERED', o.sipStatus, o.detail)
    return {
      outcome: { ok: true, result: { state: 'answered', transfer_type: 'sip_refer', sip_status: o.sipStatus } },
      record: { type: 'sip-refer', target: referTo, result: 'succeeded', sipStatus: o.sipStatus, detail: o.detail },
      transferred: true
    }
  }

  private async conference (toolCallId: string, rule: TransferRuleConfig, number: string, args: TransferToNumberArgs, call: TransferCallPort): Promise<TransferRun> {
    const runner = call.conference
    if (runner === null) {
      this.progress(call, toolCallId, 'STATE_FAILED', 0, 'conference transfer unavailable')
      return { outcome: { ok: false, error: 'conference transfer is not available for this call (the agent\'s trunk has no outbound settings)' }, record: null, transferred: false }
    }
    this.progress(call, toolCallId, 'STATE_TRYING', 0, `calling ${number}`)
    const r = await runner.run({
      toolCallId, rule, number, args,
      progress: (state, sipStatus, detail) => this.progress(call, toolCallId, state, sipStatus, detail)
    })
    if (!r.ok) {
      this.progress(call, toolCallId, 'STATE_FAILED', r.sipStatus, r.detail)
      return { outcome: { ok: false, error: `transfer failed: ${r.detail}` }, record: { type: 'conference', target: number, result: 'failed', sipStatus: r.sipStatus, detail: r.detail }, transferred: false }
    }
    return {
      outcome: { ok: true, result: { state: 'answered', transfer_type: 'conference', sip_status: r.sipStatus } },
      record: { type: 'conference', target: number, result: 'succeeded', sipStatus: r.sipStatus, detail: r.detail },
      transferred: true
    }
  }
}

/**
 * The number as a SIP URI the trunk routes (RFC 3261 §19.1.6 user=phone): at the trunk's outbound
 * address when configured, else at the host the caller's dialog talks to (the trunk itself).
 */
export function phoneAtTrunk (number: string, trunk: TrunkConfig, remoteTarget: string): string {
  const out = trunk.outbound
  let hostPort: string
  let transport: string | null = null
  if (out) {
    const addr = parseTrunkAddress(out.address, `trunks.${trunk.name}.outbound.address`)
    hostPort = hostWithPort(addr.host, addr.port ?? out.port ?? null)
    transport = out.transport === 'tls' ? null : out.transport
    if (out.transport === 'tls') return `sips:${number}@${hostPort};user=phone`
  } else {
    const u = parseUri(remoteTarget)
    hostPort = hostWithPort(u.host, u.port)
    transport = u.params.get('transport') ?? null
    if (u.scheme === 'sips') return `sips:${number}@${hostPort};user=phone`
  }
  return `sip:${number}@${hostPort};user=phone${transport ? `;transport=${transport}` : ''}`
}

function hostWithPort (host: string, port: number | null): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return port ? `${h}:${port}` : h
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
