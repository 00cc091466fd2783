// The life of one AI call as an explicit state machine (STYLE.md): one transition() that refuses
// illegal moves. Pre-answer states may go straight to Ended (rejected or canceled INVITE).
//
//   routing → personalizing → ringing → answering → active → ending → ended
//
// routing:       offer checked, media leg allocated, SDP answer prepared (488 here on bad media)
// personalizing: 180 Ringing sent, pre-call webhook in flight (only when the agent has one)
// ringing:       engine Start sent, waiting for Ready (503 / answer-and-hangup on failure)
// answering:     200 OK sent, waiting for the ACK (RFC 3261 §13.3.1.4)
// active:        audio both ways, tools, DTMF, re-INVITEs
// ending:        hang-up decided; queued engine audio plays out (mark) before BYE
// ended:         BYE sent or received, engine stream closed, leg released, record written

export enum CallState {
  Routing = 'routing',
  Personalizing = 'personalizing',
  Ringing = 'ringing',
  Answering = 'answering',
  Active = 'active',
  Ending = 'ending',
  Ended = 'ended'
}

export const CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  [CallState.Routing]: [CallState.Personalizing, CallState.Ringing, CallState.Ended],
  [CallState.Personalizing]: [CallState.Ringing, CallState.Ended],
  // Ringing → Answering also for an unreachable engine under 'answer_and_hangup'.
  [CallState.Ringing]: [CallState.Answering, CallState.Ended],
  [CallState.Answering]: [CallState.Active, CallState.Ending, CallState.Ended],
  [CallState.Active]: [CallState.Ending, CallState.Ended],
  [CallState.Ending]: [CallState.Ended],
  [CallState.Ended]: []
}

/** States in which the INVITE has not been answered yet (a failure is a SIP final response). */
export function isPreAnswer (s: CallState): boolean {
  return s === CallState.Routing || s === CallState.Personalizing || s === CallState.Ringing
}
