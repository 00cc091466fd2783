// One INVITE through a trunk's RFC 3263 targets, in order (sip-resolver.ts): the first target that takes
// the call wins; a target that did not take it at all (refused connection, Timer B, its own 503 — see
// shouldFailOver) passes the INVITE to the next one (RFC 3263 §4.3). Used by every call that leaves
// through a trunk: API outbound calls (outbound-call.ts) and the human leg of a conference transfer
// (src/transfer/human-dialer.ts), so both fail over the same way.

import type { Logger } from '../log'
import type { SipResponse } from '../sip/message/types'
import { toTag } from '../sip/transaction/transaction-key'
import type { CreateUacOptions, Dialog, SipAgent } from '../sip/ua'
import { UacError } from '../sip/ua'
import type { SipTarget } from './sip-resolver'

/** The INVITE in flight (createUAC's promise): cancel() sends CANCEL (RFC 3261 §9.1). */
export type PendingInvite = Promise<Dialog> & { cancel: () => void, callId: string }

export interface InviteFailoverRequest {
  agent: SipAgent
  requestUri: string
  /** Ordered targets from SipResolver.resolve (at least one). */
  targets: readonly SipTarget[]
  /** Everything of the INVITE but where it goes; the same offer and headers go to every target. */
  invite: Omit<CreateUacOptions, 'target'>
  /** Each INVITE as it is sent (to cancel it, to record its Call-ID). */
  onAttempt?: (uac: PendingInvite, target: SipTarget, attempt: number) => void
  /** A hang-up or ring timeout already decided: the INVITE just sent is canceled and no next target is tried. */
  canceled?: () => boolean
  log: Logger
}

/** A UAC failure whose response we made up ourselves (transport error, Timer B): no To tag from a peer. */
export function isSynthesized (err: UacError): boolean {
  return err.response === null || toTag(err.response) === null
}

/**
 * Resolves with the dialog of the first target that answers; rejects with the last target's UacError
 * (or whatever else went wrong). Once anything rang (a 1xx other than 100), no failover: the call was
 * taken and its final answer stands.
 */
export async function inviteWithFailover (req: InviteFailoverRequest): Promise<Dialog> {
  if (req.targets.length === 0) throw new Error('inviteWithFailover: no target')
  const canceled = req.canceled ?? (() => false)
  let ringing = false
  for (let i = 0; i < req.targets.length; i++) {
    const target = req.targets[i]
    const last = i === req.targets.length - 1
    req.log.info({ target: `${target.transport}:${target.host}:${target.port}`, via: target.via, attempt: i + 1 }, 'sending INVITE')
    const uac = req.agent.createUAC(req.requestUri, {
      ...req.invite,
      target: { transport: target.transport, host: target.host, port: target.port },
      onProvisional: (res: SipResponse) => {
        if (res.status !== 100) ringing = true
        req.invite.onProvisional?.(res)
      }
    })
    req.onAttempt?.(uac, target, i + 1)
    // A hang-up that arrived while we were between targets.
    if (canceled()) uac.cancel()
    try {
      return await uac
    } catch (err) {
      if (!(err instanceof UacError)) throw err
      const synthesized = isSynthesized(err)
      if (!last && !canceled() && shouldFailOver(err.status, synthesized, ringing)) {
        req.log.warn({ status: err.status, synthesized, target: target.host }, 'target failed, trying the next (RFC 3263 §4.3)')
        continue
      }
      throw err
    }
  }
  throw new Error('inviteWithFailover: unreachable')
}

/**
 * Worth trying the next RFC 3263 target (§4.3): the target did not take the call at all — a transport
 * failure or Timer B (synthesized 503/408) or the server's own 503 — and nothing was ringing yet.
 */
export function shouldFailOver (status: number, synthesized: boolean, ringing: boolean): boolean {
  if (ringing) return false
  return status === 503 || (synthesized && status === 408)
}
