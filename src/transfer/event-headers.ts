// Event and Subscription-State headers (RFC 6665 §8.2.1, §8.2.3) as REFER's implicit subscription
// uses them (RFC 3515 §2.4.4–2.4.6): "Event: refer;id=93809824", "Subscription-State: active;expires=60".

export interface EventHeader { package: string, id: string | null }
export interface SubscriptionState { state: string, reason: string | null, expires: number | null }

function params (parts: string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const p of parts) {
    const eq = p.indexOf('=')
    const name = (eq === -1 ? p : p.slice(0, eq)).trim().toLowerCase()
    if (name) out.set(name, eq === -1 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'))
  }
  return out
}

/** Event package names compare case-insensitively (RFC 6665 §8.2.1: token). */
export function parseEventHeader (value: string | undefined): EventHeader | null {
  if (value === undefined) return null
  const [pkg, ...rest] = value.split(';')
  const name = pkg.trim().toLowerCase()
  if (!name) return null
  return { package: name, id: params(rest).get('id') ?? null }
}

export function parseSubscriptionState (value: string | undefined): SubscriptionState | null {
  if (value === undefined) return null
  const [state, ...rest] = value.split(';')
  const p = params(rest)
  const expires = p.get('expires')
  return { state: state.trim().toLowerCase(), reason: p.get('reason') ?? null, expires: expires !== undefined && /^\d+$/.test(expires) ? Number(expires) : null }
}
