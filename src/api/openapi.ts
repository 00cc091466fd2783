// The OpenAPI 3.1 document, built from the very schema objects the handlers validate with.
import { callIdParamSchema, callSchema, dtmfRequestSchema, errorSchema, listQuerySchema, originateRequestSchema, transferRequestSchema } from './api-schemas'
import type { JsonSchema } from './json-schema'

const err = (description: string): object => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } })
const call = (description: string): object => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Call' } } } })
const idParam = { name: 'id', in: 'path', required: true, schema: callIdParamSchema, description: 'conversation_id of the call' }

function queryParams (s: JsonSchema): object[] {
  return Object.entries(s.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema }))
}

export function openApiDocument (version: string): object {
  return {
    openapi: '3.1.0',
    info: { title: 'trunkgate control API', version, description: 'Outbound calls through SIP trunks, live call control, call records.' },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: {
        OriginateRequest: originateRequestSchema,
        DtmfRequest: dtmfRequestSchema,
        TransferRequest: transferRequestSchema,
        Call: callSchema,
        Error: errorSchema
      }
    },
    security: [{ apiKey: [] }],
    paths: {
      '/v1/calls': {
        post: {
          operationId: 'originateCall',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/OriginateRequest' } } } },
          responses: { 201: call('The call exists (status initiated); follow it with GET'), 400: err('Invalid request (field named)'), 401: err('Missing or wrong x-api-key'), 503: err('No capacity') }
        },
        get: {
          operationId: 'listCalls',
          parameters: queryParams(listQuerySchema),
          responses: { 200: { description: 'Calls, newest first', content: { 'application/json': { schema: { type: 'object', properties: { calls: { type: 'array', items: { $ref: '#/components/schemas/Call' } } } } } } }, 400: err('Invalid query'), 401: err('Missing or wrong x-api-key') }
        }
      },
      '/v1/calls/{id}': {
        get: { operationId: 'getCall', parameters: [idParam], responses: { 200: call('The call'), 401: err('Missing or wrong x-api-key'), 404: err('Unknown call') } }
      },
      '/v1/calls/{id}/hangup': {
        post: { operationId: 'hangupCall', parameters: [idParam], responses: { 200: call('The ended call'), 401: err('Missing or wrong x-api-key'), 404: err('Unknown call'), 409: err('The call already ended') } }
      },
      '/v1/calls/{id}/dtmf': {
        post: {
          operationId: 'sendDtmf',
          parameters: [idParam],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/DtmfRequest' } } } },
          responses: { 202: { description: 'Digits sent' }, 400: err('Invalid digits'), 401: err('Missing or wrong x-api-key'), 404: err('Unknown call'), 409: err('The call is not answered') }
        }
      },
      '/v1/calls/{id}/transfer': {
        post: {
          operationId: 'transferCall',
          parameters: [idParam],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/TransferRequest' } } } },
          responses: { 200: { description: 'Transferred' }, 400: err('Not a destination of the agent\'s transfer rules, or another transfer type'), 401: err('Missing or wrong x-api-key'), 404: err('Unknown call'), 409: err('The call is not answered, or the transfer failed (busy, no answer, REFER refused)') }
        }
      },
      '/healthz': { get: { operationId: 'health', security: [], responses: { 200: { description: 'The gateway runs' } } } },
      '/metrics': { get: { operationId: 'metrics', responses: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': {} } } } } },
      '/openapi.json': { get: { operationId: 'openapi', security: [], responses: { 200: { description: 'This document' } } } }
    }
  }
}
