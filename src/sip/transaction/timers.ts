// RFC 3261 §17 timer table (Table 4 / Appendix A), in one place so every state machine reads the same values.
// trunkgate speaks SIP over TCP and TLS only, so the values are those for reliable transports:
// the retransmission timers A, E and G are not used (a reliable transport retransmits for us, §17.1.1.2),
// and the "linger to absorb retransmissions" timers D, I, J, K are zero (§17.1.1.2, §17.2.1, §17.2.2, §17.1.2.2).

export interface TimerTable {
  /** RTT estimate (§17.1.1.1). */
  T1: number
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses (§17.1.2.2, §13.3.1.4). */
  T2: number
  /** Maximum duration a message remains in the network (§17.1.2.2). */
  T4: number
  /** INVITE request retransmit interval — unreliable only. */
  A: null
  /** INVITE transaction timeout (64*T1). */
  B: number
  /** Wait time for response retransmits — 0 on reliable. */
  D: number
  /** non-INVITE request retransmit interval — unreliable only. */
  E: null
  /** non-INVITE transaction timeout (64*T1). */
  F: number
  /** INVITE response retransmit interval — unreliable only. */
  G: null
  /** Wait time for ACK receipt (64*T1). */
  H: number
  /** Wait time for ACK retransmits — 0 on reliable. */
  I: number
  /** Wait time for non-INVITE request retransmits — 0 on reliable. */
  J: number
  /** Wait time for response retransmits — 0 on reliable. */
  K: number
  /** RFC 6026 §8.7 Timer L: wait time for accepted INVITE request retransmits (64*T1). */
  L: number
  /** RFC 6026 §8.4 Timer M: wait time for retransmission of 2xx to INVITE (64*T1). */
  M: number
}

export function timerTable (T1 = 500, T2 = 4000, T4 = 5000): TimerTable {
  return {
    T1, T2, T4,
    A: null,
    B: 64 * T1,
    D: 0,
    E: null,
    F: 64 * T1,
    G: null,
    H: 64 * T1,
    I: 0,
    J: 0,
    K: 0,
    L: 64 * T1,
    M: 64 * T1
  }
}

/** The defaults from RFC 3261 §17.1.1.1 and Table 4. */
export const TIMERS: Readonly<TimerTable> = Object.freeze(timerTable())
