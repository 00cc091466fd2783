export * from './types'
export { validateInitiationData, type ValidationResult } from './initiation-data'
export {
  fetchInitiationData, decideCallStart, DEFAULT_WEBHOOK_TIMEOUT_MS, MAX_WEBHOOK_RESPONSE_BYTES,
  type CallPersonalization, type CallStartDecision, type WebhookDeps
} from './pre-call-webhook'
export {
  systemVariables, engineVariables, llmVisibleVariables, toDynamicVariableMessages, isSecretVariable, isValidTimezone, isoInTimezone,
  SECRET_PREFIX, type SystemVariableContext, type SystemVariables, type EngineVariable
} from './system-variables'
export { callIdentity, userOfNameAddr, TWILIO_CALL_SID_HEADERS, type CallIdentity, type HeaderLookup } from './call-identity'
export { renderTemplate, type RenderedTemplate } from '../../engine/template'
