import type { SipMessage } from '../message/types'
import { getHeader, getHeaders } from '../message/headers'

// RFC 4028 header handling: Session-Expires (§4), Min-SE (§5), and the 'timer' option tag.

export type Refresher = 'uac' | 'uas'

export interface SessionExpires { interval: number, refresher: Refresher | null }

/** §4: Session-Expires = delta-seconds *(SEMI se-params), se-params = refresher-param / generic-param. */
export function readSessionExpires (msg: SipMessage): SessionExpires | null {
  const v = getHeader(msg, 'Session-Expires')
  if (v === undefined) return null
  const m = /^\s*(\d{1,10})\s*(;.*)?$/.exec(v)
  if (!m) return null
  const refresher = /;\s*refresher\s*=\s*(uac|uas)\b/i.exec(m[2] ?? '')
  return { interval: Number(m[1]), refresher: refresher ? (refresher[1].toLowerCase() as Refresher) : null }
}

/** §5: Min-SE = delta-seconds *(SEMI generic-param). */
export function readMinSE (msg: SipMessage): number | null {
  const v = getHeader(msg, 'Min-SE')
  if (v === undefined) return null
  const m = /^\s*(\d{1,10})/.exec(v)
  return m ? Number(m[1]) : null
}

export function hasOptionTag (msg: SipMessage, header: 'Supported' | 'Require', tag: string): boolean {
  return getHeaders(msg, header).some((t) => t.trim().toLowerCase() === tag)
}

export function formatSessionExpires (se: SessionExpires): string {
  return se.refresher ? `${se.interval};refresher=${se.refresher}` : String(se.interval)
}

export interface SessionTimerConfig {
  /** Interval we ask for (seconds). RFC 4028 §4 recommends 1800. */
  sessionExpires: number
  /** The smallest interval we accept (seconds); §5 floor is 90. */
  minSE: number
}

export const DEFAULT_SESSION_TIMER: SessionTimerConfig = { sessionExpires: 1800, minSE: 90 }

export type UasSessionTimerDecision =
  | { kind: 'reject', minSE: number }
  | { kind: 'none' }
  | { kind: 'use', interval: number, refresher: Refresher, requireTimer: boolean }

/**
 * §9 UAS behaviour for a session refresh request (initial INVITE, re-INVITE or UPDATE):
 *  - Session-Expires below our Min-SE → 422 with Min-SE, when the UAC says Supported: timer (it can then retry);
 *    without that support it could not understand a 422, so the interval is raised to our Min-SE instead.
 *  - refresher: the UAC's choice if it made one; else 'uac' when it supports timer, 'uas' otherwise (§9).
 *  - Require: timer in the 2xx when the refresher is the UAC (§9: so the UAC knows it must refresh).
 * A request without Session-Expires still gets a session timer from us (refresher uas) when we want one.
 */
export function uasSessionTimer (req: SipMessage, cfg: SessionTimerConfig): UasSessionTimerDecision {
  const se = readSessionExpires(req)
  const supports = hasOptionTag(req, 'Supported', 'timer')
  const theirMin = readMinSE(req) ?? 0
  if (!se) {
    if (cfg.sessionExpires <= 0) return { kind: 'none' }
    const interval = Math.max(cfg.sessionExpires, cfg.minSE, theirMin)
    return { kind: 'use', interval, refresher: 'uas', requireTimer: false }
  }
  let interval = se.interval
  if (interval < cfg.minSE) {
    if (supports) return { kind: 'reject', minSE: cfg.minSE }
    interval = cfg.minSE
  }
  const refresher: Refresher = se.refresher ?? (supports ? 'uac' : 'uas')
  return { kind: 'use', interval, refresher, requireTimer: refresher === 'uac' }
}

/**
 * §7.2 UAC processing of a 2xx: the Session-Expires in the answer rules; without it there is no session
 * expiration. A missing refresher parameter in a response is a protocol error that §7.2 resolves as 'uac'.
 */
export function uacSessionTimer (res: SipMessage): { interval: number, refresher: Refresher } | null {
  const se = readSessionExpires(res)
  if (!se) return null
  return { interval: se.interval, refresher: se.refresher ?? 'uac' }
}
