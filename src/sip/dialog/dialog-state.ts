/** RFC 3261 §12: a dialog is early (created by a 1xx with a To tag), confirmed (2xx), then terminated. */
export enum DialogState {
  Early = 'early',
  Confirmed = 'confirmed',
  Terminated = 'terminated'
}

export const DIALOG_TRANSITIONS: Readonly<Record<DialogState, readonly DialogState[]>> = {
  [DialogState.Early]: [DialogState.Confirmed, DialogState.Terminated],
  [DialogState.Confirmed]: [DialogState.Terminated],
  [DialogState.Terminated]: []
}

/** Methods whose requests refresh the remote target and so carry a Contact (§12.2, RFC 3311, RFC 3515, RFC 6665). */
export const TARGET_REFRESH_METHODS = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER'])

export const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, MESSAGE'
