/** Thrown by a stateTransition(next) the state diagram does not contain: a bug in the caller, never a SIP condition. */
export class IllegalTransitionError extends Error {
  readonly code = 'SIP_ERR_ILLEGAL_TRANSITION'
  constructor (kind: string, from: string, to: string) {
    super(`${kind}: illegal transition ${from} -> ${to}`)
    this.name = 'IllegalTransitionError'
  }
}
