// The vendors' published contracts (test/vectors/engines, copied with their sources) compiled with ajv, so
// the fake servers can check EVERY message trunkgate sends against them. A message is checked against the
// schema its own type names (not a loose anyOf), so a violation says which field of which message is wrong.
import fs from 'node:fs'
import path from 'node:path'
import Ajv, { type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import YAML from 'yaml'

const DIR = path.join(__dirname, '..', '..', 'vectors', 'engines')

function newAjv (): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
  addFormats(ajv)
  ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 })
  ajv.addFormat('base64', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/)
  return ajv
}

/**
 * AsyncAPI 2.6 schemas use OpenAPI 3.0's `nullable: true`, which JSON Schema (and ajv) spell as a "null" type.
 * Rewritten here, meaning unchanged: {type: T, nullable} -> {type: [T, "null"]}, {$ref, nullable} -> anyOf.
 */
function denullable (node: unknown): unknown {
  if (Array.isArray(node)) return node.map(denullable)
  if (node === null || typeof node !== 'object') return node
  const o: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) if (k !== 'nullable') o[k] = denullable(v)
  if ((node as Record<string, unknown>).nullable !== true) return o
  if (typeof o.type === 'string') return { ...o, type: [o.type, 'null'], ...(Array.isArray(o.enum) ? { enum: [...o.enum, null] } : {}) }
  return { anyOf: [o, { type: 'null' }] }
}

export type Check = (msg: unknown) => string | null

function explain (v: ValidateFunction, what: string): string {
  return `${what}: ${(v.errors ?? []).map(e => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')}`
}

/** ElevenLabs Agents AsyncAPI 2.6: client → server messages (the `subscribe` side of AgentMessages). */
export function elevenLabsClientCheck (): Check {
  const doc = YAML.parse(fs.readFileSync(path.join(DIR, 'elevenlabs-agent.asyncapi.yaml'), 'utf8'))
  const ajv = newAjv()
  ajv.addSchema({ $id: 'el', components: { schemas: denullable(doc.components.schemas) } })
  const byType = new Map<string, ValidateFunction>()
  let audio: ValidateFunction | null = null
  for (const ref of doc.channels.AgentMessages.subscribe.message.oneOf as Array<{ $ref: string }>) {
    const name = ref.$ref.split('/').pop() as string
    const payloadRef: string = doc.components.messages[name].payload.$ref
    const schemaName = payloadRef.split('/').pop() as string
    const v = ajv.compile({ $ref: `el#/components/schemas/${schemaName}` })
    const t = doc.components.schemas[schemaName].properties?.type?.const as string | undefined
    if (t) byType.set(t, v)
    else audio = v
  }
  return msg => {
    const m = msg as Record<string, unknown>
    const v = 'user_audio_chunk' in m ? audio : byType.get(String(m.type))
    if (!v) return `no client message of type ${JSON.stringify(m.type)} in the contract`
    return v(msg) ? null : explain(v, String(m.type ?? 'user_audio_chunk'))
  }
}

/** ElevenLabs server → client payload schemas, to check what the fake server itself sends. */
export function elevenLabsServerCheck (): Check {
  const doc = YAML.parse(fs.readFileSync(path.join(DIR, 'elevenlabs-agent.asyncapi.yaml'), 'utf8'))
  const ajv = newAjv()
  ajv.addSchema({ $id: 'el', components: { schemas: denullable(doc.components.schemas) } })
  const byType = new Map<string, ValidateFunction>()
  for (const ref of doc.channels.AgentMessages.publish.message.oneOf as Array<{ $ref: string }>) {
    const name = ref.$ref.split('/').pop() as string
    const schemaName = (doc.components.messages[name].payload.$ref as string).split('/').pop() as string
    const t = doc.components.schemas[schemaName].properties?.type?.const as string | undefined
    if (t) byType.set(t, ajv.compile({ $ref: `el#/components/schemas/${schemaName}` }))
  }
  return msg => {
    const m = msg as Record<string, unknown>
    const v = byType.get(String(m.type))
    if (!v) return `no server message of type ${JSON.stringify(m.type)}`
    return v(msg) ? null : explain(v, String(m.type))
  }
}

function openAiChecks (prefix: 'RealtimeClientEvent' | 'RealtimeServerEvent'): Check {
  const doc = JSON.parse(fs.readFileSync(path.join(DIR, 'openai-realtime-events.schema.json'), 'utf8'))
  const schemas = doc.components.schemas as Record<string, { properties?: { type?: { enum?: string[] } } }>
  const ajv = newAjv()
  ajv.addSchema({ $id: 'oai', components: { schemas: denullable(schemas) } })
  const byType = new Map<string, ValidateFunction>()
  for (const [name, s] of Object.entries(schemas)) {
    if (!name.startsWith(prefix) || name === prefix) continue
    const t = s.properties?.type?.enum?.[0]
    if (t) byType.set(t, ajv.compile({ $ref: `oai#/components/schemas/${name}` }))
  }
  return msg => {
    const m = msg as Record<string, unknown>
    const v = byType.get(String(m.type))
    if (!v) return `no ${prefix} of type ${JSON.stringify(m.type)}`
    return v(msg) ? null : explain(v, String(m.type))
  }
}

export const openAiClientCheck = (): Check => openAiChecks('RealtimeClientEvent')
export const openAiServerCheck = (): Check => openAiChecks('RealtimeServerEvent')

/** Twilio Media Streams, from the schema written from Twilio's documentation (cited in the file). */
function twilioCheck (side: 'fromTwilio' | 'toTwilio'): Check {
  const doc = JSON.parse(fs.readFileSync(path.join(DIR, 'twilio-media-streams.schema.json'), 'utf8'))
  const ajv = newAjv()
  ajv.addSchema(doc)
  const v = ajv.compile({ $ref: `${doc.$id as string}#/definitions/${side}` })
  return msg => v(msg) ? null : explain(v, String((msg as Record<string, unknown>).event))
}

export const twilioFromTwilioCheck = (): Check => twilioCheck('fromTwilio')
export const twilioToTwilioCheck = (): Check => twilioCheck('toTwilio')
