// Request and response schemas of the control API: validated by json-schema.ts and published as-is
// in the OpenAPI document (openapi.ts).
import { CALL_STATUSES } from '../records/call-record'
import type { JsonSchema } from './json-schema'

/** E.164: '+', 1–15 digits, no leading zero (ITU-T E.164 §6). */
export const E164_PATTERN = '^\\+[1-9][0-9]{1,14}$'
/** A sip:/sips: URI without spaces or angle brackets; parsed again with the SIP URI parser. */
export const SIP_URI_PATTERN = '^sips?:[^\\s<>"]+$'
const NAME_PATTERN = '^[A-Za-z0-9._-]{1,64}$'
/** Same characters as phone numbers in the configuration (user part of a SIP URI, RFC 3261 §25.1). */
const NUMBER_PATTERN = "^[A-Za-z0-9+\\-_.!~*'()&=$,/]{1,64}$"

const dynamicValue: JsonSchema = {
  anyOf: [{ type: 'string', maxLength: 1024 }, { type: 'number' }, { type: 'boolean' }],
  'x-error': 'must be a string (at most 1024 characters), a number or a boolean'
}

export const originateRequestSchema: JsonSchema = {
  type: 'object',
  description: 'Place an outbound call through a trunk to `to`, handled by agent `agent_id`.',
  required: ['agent_id', 'from_number', 'to'],
  additionalProperties: false,
  properties: {
    agent_id: { type: 'string', pattern: NAME_PATTERN, 'x-error': 'must be an agent id (1-64 letters, digits, ".", "_" or "-")' },
    from_number: {
      type: 'string',
      pattern: NUMBER_PATTERN,
      description: 'Calling number, sent as the From user part exactly as written (with or without "+", as the trunk expects).',
      'x-error': 'must be a phone number or identifier (e.g. "+15550100")'
    },
    to: {
      type: 'string',
      maxLength: 256,
      pattern: `^(?:${E164_PATTERN.slice(1, -1)}|${SIP_URI_PATTERN.slice(1, -1)})$`,
      description: 'E.164 number (dialled through the trunk) or a sip:/sips: URI.',
      'x-error': 'must be an E.164 number ("+15550100") or a sip:/sips: URI'
    },
    trunk: { type: 'string', pattern: NAME_PATTERN, description: 'Trunk to dial through; default: the trunk of from_number, else the first trunk with an outbound section.', 'x-error': 'must be a trunk name' },
    ring_timeout_secs: { type: 'integer', minimum: 1, maximum: 600, description: 'CANCEL after this long without an answer (status no-answer). Default: the trunk\'s.' },
    dynamic_variables: {
      type: 'object',
      maxProperties: 100,
      description: 'Dynamic variables for the agent and for templated trunk headers. secret__ variables only ever reach SIP headers, never the engine\'s prompts.',
      propertyNames: { type: 'string', pattern: '^(?!system__)[A-Za-z0-9_.-]{1,64}$', 'x-error': 'must be 1-64 letters, digits, ".", "_" or "-" and not start with the reserved "system__"' },
      additionalProperties: dynamicValue
    },
    overrides: {
      type: 'object',
      additionalProperties: false,
      properties: {
        prompt: { type: 'string', maxLength: 20000 },
        first_message: { type: 'string', maxLength: 2000 },
        language: { type: 'string', pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$', 'x-error': 'must be a language tag (e.g. "en", "pt-BR")' },
        voice_id: { type: 'string', pattern: NAME_PATTERN, 'x-error': 'must be a voice id' }
      }
    }
  }
}

export const dtmfRequestSchema: JsonSchema = {
  type: 'object',
  required: ['digits'],
  additionalProperties: false,
  properties: {
    digits: { type: 'string', pattern: '^[0-9A-Da-d*#wW]{1,64}$', description: 'RFC 4733 events 0-9 * # A-D; w = 0.5 s pause, W = 1 s.', 'x-error': 'must be 1-64 of 0-9 * # A-D w W' }
  }
}

export const transferRequestSchema: JsonSchema = {
  type: 'object',
  required: ['to'],
  additionalProperties: false,
  properties: {
    to: { type: 'string', minLength: 1, maxLength: 256, description: 'A destination of the agent\'s transfer_rules, exactly as configured (E.164 number or SIP URI).', 'x-error': 'must be a destination of the agent\'s transfer rules' },
    type: { type: 'string', enum: ['conference', 'sip_refer'], description: 'Must match the rule\'s transfer_type when given.', 'x-error': 'must be conference or sip_refer' }
  }
}

export const listQuerySchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: CALL_STATUSES },
    direction: { type: 'string', enum: ['inbound', 'outbound'] },
    limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$', 'x-error': 'must be an integer from 1 to 1000' }
  }
}

export const callIdParamSchema: JsonSchema = {
  type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$', 'x-error': 'must be a call id'
}

export const callSchema: JsonSchema = {
  type: 'object',
  description: 'A call (live or ended) and its record.',
  properties: {
    conversation_id: { type: 'string' },
    call_id: { type: 'string' },
    call_sid: { type: 'string' },
    sip_call_id: { type: 'string' },
    agent_id: { type: 'string' },
    direction: { type: 'string', enum: ['inbound', 'outbound'] },
    trunk: { type: 'string' },
    from_number: { type: 'string' },
    to_number: { type: 'string' },
    status: { type: 'string', enum: CALL_STATUSES },
    created_at: { type: 'string' },
    answered_at: { type: 'string' },
    ended_at: { type: 'string' },
    duration_secs: { type: 'number' },
    hangup_cause: { type: 'string' },
    hangup_side: { type: 'string', enum: ['local', 'remote', 'system'] },
    sip_status: { type: 'integer' },
    transfer: { type: 'object' },
    tools_called: { type: 'array', items: { type: 'object' } },
    dtmf: { type: 'object', properties: { received: { type: 'integer' }, sent: { type: 'integer' } } },
    media_quality: { type: 'object' }
  }
}

export const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string', description: 'The request field at fault (400).' }
      }
    }
  }
}

/** The validated body of POST /v1/calls. */
export interface OriginateBody {
  agent_id: string
  from_number: string
  to: string
  trunk?: string
  ring_timeout_secs?: number
  dynamic_variables?: Record<string, string | number | boolean>
  overrides?: { prompt?: string, first_message?: string, language?: string, voice_id?: string }
}
