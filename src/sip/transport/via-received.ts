// Server-transport duties on the top Via of a received request.
//
// RFC 3261 §18.2.1: if the sent-by host is a name or differs from the packet's source address, the
// server transport MUST add "received" with the source address. RFC 3581 §4: an empty "rport" gets the
// source port (and "received" even when the host matches). Both are edited textually on the first Via
// value so the rest of the header stays byte-identical.

import type { SipRequest, Via } from '../message/types'
import { parseVia } from '../message/via'

/** Index of the first top-level comma (outside quotes and <>) — Via lists may share one header line. */
export function firstValueEnd (value: string): number {
  let quoted = false
  let angle = 0
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (quoted) {
      if (c === '\\') i++
      else if (c === '"') quoted = false
    } else if (c === '"') quoted = true
    else if (c === '<') angle++
    else if (c === '>' && angle > 0) angle--
    else if (c === ',' && angle === 0) return i
  }
  return value.length
}

function sameHost (a: string, b: string): boolean {
  const strip = (h: string): string => h.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return strip(a) === strip(b)
}

/**
 * Stamps received/rport on the top Via and returns the parsed top Via (after stamping), or null when
 * there is none or it does not parse — the transaction layer answers that request with 400.
 */
export function stampTopVia (req: SipRequest, remoteAddress: string, remotePort: number): Via | null {
  const field = req.headers.find(h => h.name === 'Via')
  if (!field) return null
  const end = firstValueEnd(field.value)
  const top = field.value.slice(0, end).trim()
  const rest = field.value.slice(end)
  let via: Via
  try {
    via = parseVia(top)
  } catch {
    return null
  }
  let stamped = top
  const rportRequested = via.params.has('rport') && !via.params.get('rport')
  if (rportRequested) {
    stamped = stamped.replace(/;\s*rport\s*(?=;|$)/i, `;rport=${remotePort}`)
    via.params.set('rport', String(remotePort))
  }
  if (!sameHost(via.host, remoteAddress) || rportRequested) {
    // A received= written by the client itself is not evidence of anything: replace it.
    stamped = stamped.replace(/;\s*received\s*=\s*[^;]*/i, '') + `;received=${remoteAddress}`
    via.params.set('received', remoteAddress)
  }
  if (stamped !== top) field.value = stamped + rest
  return via
}
