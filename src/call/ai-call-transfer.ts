// How an AiCall's transfers are built from what the call owns (its dialog, legs, engine stream): the
// REFER and conference paths of transfer_to_number and the incoming-REFER takeover. Kept here so the
// call (src/call/ai-call.ts) only hands over a few hooks.
import type { AgentConfig, TrunkConfig } from '../config'
import type { TransferSettings } from '../config/transfer-schema'
import type { CallEvent, SessionStart } from '../engine/engine-session'
import type { Leg } from '../media/leg'
import type { Dialog } from '../sip/dialog/dialog'
import type { CallMedia } from './call-media'
import { systemClock } from '../sip/transaction/clock'
import type { Logger } from '../log'
import type { VariableValue } from '../trunk/header-template'
import { CallTransfer } from '../transfer/call-transfer'
import { ConferenceTransfer } from '../transfer/conference-transfer'
import type { HumanDialer } from '../transfer/human-dialer'

export interface AiCallTransferHost {
  trunk: TrunkConfig
  agent: AgentConfig | null
  mediaAddress: string
  callId: string
  callerId: string
  /** The call's dynamic variables once known (Start), for the trunk's templated headers. */
  dynamicVariables?: () => Readonly<Record<string, VariableValue>>
  settings: TransferSettings
  humanDialer: HumanDialer<CallMedia> | undefined
  log: Logger
  /** The caller's dialog while the call is active, else null. */
  dialog: () => Dialog | null
  callerLeg: () => Leg | null
  routeEngineAudio: (leg: Leg | null) => void
  sendCallEvent: (ev: CallEvent) => void
  playbackMark: (name: string, flushed: boolean) => void
  /** BYE now (no drain) with this cause. */
  hangup: (cause: string) => void
  /** The engine leaves; the call's legs stay up (conference transfer done). */
  leaveEngine: () => void
  /** The referred party's leg replaces the caller's; false when the call is already over. */
  adoptLeg: (media: CallMedia, dialog: Dialog) => boolean
}

/**
 * The call's dynamic variables as the engine got them in Start — custom ones (secret__ included: they may
 * go into SIP headers, never to an LLM) and system__ ones — by name, for templated trunk headers.
 */
export function startVariables (start: Pick<SessionStart, 'dynamicVariables'>): Record<string, VariableValue> {
  const vars: Record<string, VariableValue> = {}
  for (const v of start.dynamicVariables) vars[v.name] = v.value
  return vars
}

export function aiCallTransfer (h: AiCallTransferHost): CallTransfer {
  const dialer = h.humanDialer
  return new CallTransfer({
    trunk: h.trunk,
    agent: h.agent,
    settings: h.settings,
    clock: systemClock,
    logger: h.log,
    dialog: h.dialog,
    sendCallEvent: h.sendCallEvent,
    referTarget: dialer === undefined ? undefined : async ({ uri, referredBy }) => {
      try {
        const leg = await dialer({
          number: '', uri, trunk: h.trunk, callId: h.callId, callerId: h.callerId,
          // RFC 3892 §3: the referee copies Referred-By into the INVITE.
          extraHeaders: referredBy ? [{ name: 'Referred-By', value: referredBy }] : [],
          frames: true, ringTimeoutMs: h.settings.ring_timeout_ms, mediaAddress: h.mediaAddress, log: h.log, onProvisional: () => undefined
        })
        if (!h.adoptLeg(leg.media, leg.dialog)) return { status: 487, reason: 'Request Terminated' }
        return { status: 200, reason: 'OK' }
      } catch (err) {
        return { status: (err as { status?: number }).status || 503, reason: (err as { reason?: string }).reason ?? 'Service Unavailable' }
      }
    },
    conference: () => dialer === undefined ? null : new ConferenceTransfer({
      host: {
        callerLeg: h.callerLeg,
        routeEngineAudio: h.routeEngineAudio,
        playbackMark: h.playbackMark,
        humanHungUp: () => h.hangup('transfer_target_hangup'),
        trunk: h.trunk,
        callId: h.callId,
        callerId: h.callerId,
        dynamicVariables: h.dynamicVariables,
        mediaAddress: h.mediaAddress,
        log: h.log
      },
      dial: dialer,
      settings: h.settings,
      clock: systemClock
    }),
    // REFER: the caller left our dialog, the call ends. Conference: caller and human stay bridged
    // through our legs, only the engine leaves; the call ends when either side hangs up.
    onTransferred: record => { if (record.type === 'conference') h.leaveEngine(); else h.hangup('transferred') }
  })
}
