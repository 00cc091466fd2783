// RFC 3261 §17 timer table (Table 4 / Appendix A), in one place so every state machine reads the same values.
// There is one table per reliability of the transport a transaction runs over (the transport says which,
// see transport-kind.ts). On a reliable transport (TCP, TLS) the retransmission timers A, E and G are not used
// (the transport retransmits for us, §17.1.1.2) and the "linger to absorb retransmissions" timers D, I, J, K
// are zero (§17.1.1.2, §17.2.1, §17.2.2, §17.1.2.2). On an unreliable one (UDP) all of them run.

export interface TimerTable {
  /** RTT estimate (§17.1.1.1). */
  T1: number
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses (§17.1.2.2, §13.3.1.4). */
  T2: number
  /** Maximum duration a message remains in the network (§17.1.2.2). */
  T4: number
  /** INVITE request retransmit interval, initially T1 — unreliable only (null on reliable). */
  A: number | null
  /** INVITE transaction timeout (64*T1). */
  B: number
  /** Wait time for response retransmits: > 32 s unreliable, 0 reliable. */
  D: number
  /** non-INVITE request retransmit interval, initially T1 — unreliable only. */
  E: number | null
  /** non-INVITE transaction timeout (64*T1). */
  F: number
  /** INVITE response retransmit interval, initially T1 — unreliable only. */
  G: number | null
  /** Wait time for ACK receipt (64*T1). */
  H: number
  /** Wait time for ACK retransmits: T4 unreliable, 0 reliable. */
  I: number
  /** Wait time for non-INVITE request retransmits: 64*T1 unreliable, 0 reliable. */
  J: number
  /** Wait time for response retransmits: T4 unreliable, 0 reliable. */
  K: number
  /** RFC 6026 §8.7 Timer L: wait time for accepted INVITE request retransmits (64*T1). */
  L: number
  /** RFC 6026 §8.4 Timer M: wait time for retransmission of 2xx to INVITE (64*T1). */
  M: number
}

/** Table 4 for one reliability; the default (no fourth argument) is the reliable table. */
export function timerTable (T1 = 500, T2 = 4000, T4 = 5000, reliable = true): TimerTable {
  return {
    T1, T2, T4,
    A: reliable ? null : T1,
    B: 64 * T1,
    D: reliable ? 0 : Math.max(32_000, 64 * T1),
    E: reliable ? null : T1,
    F: 64 * T1,
    G: reliable ? null : T1,
    H: 64 * T1,
    I: reliable ? 0 : T4,
    J: reliable ? 0 : 64 * T1,
    K: reliable ? 0 : T4,
    L: 64 * T1,
    M: 64 * T1
  }
}

/** The defaults from RFC 3261 §17.1.1.1 and Table 4 for reliable transports (TCP, TLS). */
export const TIMERS: Readonly<TimerTable> = Object.freeze(timerTable())

/** The same for unreliable transports (UDP). */
export const UNRELIABLE_TIMERS: Readonly<TimerTable> = Object.freeze(timerTable(500, 4000, 5000, false))

/** Both tables for one set of T1/T2/T4 (a TimerTable given for reliable transports keeps its overrides). */
export interface TimerTables { reliable: TimerTable, unreliable: TimerTable }

export function timerTables (reliable: TimerTable = TIMERS, unreliable?: TimerTable): TimerTables {
  return { reliable, unreliable: unreliable ?? timerTable(reliable.T1, reliable.T2, reliable.T4, false) }
}
