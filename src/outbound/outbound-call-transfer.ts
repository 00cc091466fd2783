// transfer_to_number on an outbound AI call, through the same transfer code as inbound calls
// (src/transfer: CallTransfer, ConferenceTransfer, REFER). The callee of the outbound call plays the
// caller's role: a conference transfer dials the human through the call's own outbound trunk and
// bridges that leg with the callee's leg; sip_refer sends REFER in the outbound call's dialog (only when
// the trunk has allow_refer). This file only maps what an outbound call owns onto AiCallTransferHost.
import type { AgentConfig, TrunkConfig } from '../config'
import type { TransferSettings } from '../config/transfer-schema'
import type { CallEvent } from '../engine/engine-session'
import type { Logger } from '../log'
import type { Leg } from '../media/leg'
import type { Dialog } from '../sip/dialog/dialog'
import { aiCallTransfer } from '../call/ai-call-transfer'
import type { CallTransfer } from '../transfer/call-transfer'
import type { HumanDialer } from '../transfer/human-dialer'
import type { CallMedia } from '../call/call-media'
import type { VariableValue } from '../trunk/header-template'

export interface OutboundTransferHost {
  trunk: TrunkConfig
  agent: AgentConfig | null
  settings: TransferSettings
  humanDialer: HumanDialer<CallMedia> | undefined
  mediaAddress: string
  conversationId: string
  /** Our calling number: the human sees the agent's number, as the callee did. */
  fromNumber: string
  dynamicVariables: Readonly<Record<string, VariableValue>>
  log: Logger
  /** The outbound call's confirmed dialog (after the 2xx/ACK), else null. */
  dialog: () => Dialog | null
  /** The callee's RTP leg while the call is up, else null. */
  calleeLeg: () => Leg | null
  routeEngineAudio: (leg: Leg | null) => void
  sendCallEvent: (ev: CallEvent) => void
  playbackMark: (name: string, flushed: boolean) => void
  /** BYE to the callee with this cause (REFER done, or the human hung up after the bridge). */
  hangup: (cause: string) => void
  /** Conference bridged: the engine stream ends, the callee and the human stay on our legs. */
  leaveEngine: () => void
}

export function outboundCallTransfer (h: OutboundTransferHost): CallTransfer {
  return aiCallTransfer({
    trunk: h.trunk,
    agent: h.agent,
    mediaAddress: h.mediaAddress,
    callId: h.conversationId,
    callerId: h.fromNumber,
    dynamicVariables: () => h.dynamicVariables,
    settings: h.settings,
    humanDialer: h.humanDialer,
    log: h.log,
    dialog: h.dialog,
    callerLeg: h.calleeLeg,
    routeEngineAudio: h.routeEngineAudio,
    sendCallEvent: h.sendCallEvent,
    playbackMark: h.playbackMark,
    hangup: h.hangup,
    leaveEngine: h.leaveEngine,
    // The trunk's own REFERs are not attached on outbound calls (CallTransfer.attachDialog is not
    // called), so no referred leg can arrive to replace the callee's.
    adoptLeg: () => false
  })
}
