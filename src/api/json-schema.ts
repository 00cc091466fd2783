// A JSON Schema subset (draft 2020-12 / OpenAPI 3.1 compatible) that is BOTH the validator of the
// API's requests and the text of its OpenAPI document, so the two cannot drift apart. Supported:
// type (object, string, integer, number, boolean, array), properties, required, additionalProperties
// (false or a schema), propertyNames, maxProperties, enum, pattern, minLength, maxLength, minimum,
// maximum, items, maxItems, anyOf. `x-error` gives the phrase used when a pattern does not match.

export interface JsonSchema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array'
  description?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  propertyNames?: JsonSchema
  maxProperties?: number
  enum?: ReadonlyArray<string | number>
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  items?: JsonSchema
  maxItems?: number
  anyOf?: JsonSchema[]
  example?: unknown
  'x-error'?: string
}

/** A request field that failed validation: `field` is a dotted path ("dynamic_variables.customer_id"). */
export class ValidationError extends Error {
  readonly field: string
  constructor (field: string, problem: string) {
    super(`${field || 'body'}: ${problem}`)
    this.name = 'ValidationError'
    this.field = field
  }
}

function kindOf (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

function join (path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

const compiled = new Map<string, RegExp>()
function regex (p: string): RegExp {
  let r = compiled.get(p)
  if (!r) { r = new RegExp(p, 'u'); compiled.set(p, r) }
  return r
}

/** Throws ValidationError naming the first offending field; returns the value typed by the caller. */
export function validate<T> (schema: JsonSchema, value: unknown, path = ''): T {
  check(schema, value, path)
  return value as T
}

function check (s: JsonSchema, v: unknown, path: string): void {
  if (s.anyOf) {
    if (!s.anyOf.some(alt => { try { check(alt, v, path); return true } catch { return false } })) {
      throw new ValidationError(path, s['x-error'] ?? `must be one of: ${s.anyOf.map(a => a.type ?? 'value').join(', ')}`)
    }
    return
  }
  const kind = kindOf(v)
  if (s.type !== undefined) {
    const ok = s.type === kind || (s.type === 'number' && kind === 'integer')
    if (!ok) throw new ValidationError(path, `expected ${s.type === 'object' ? 'an object' : s.type === 'integer' ? 'an integer' : `a ${s.type}`}, got ${kind}`)
  }
  if (s.enum && !s.enum.includes(v as string | number)) {
    throw new ValidationError(path, `must be one of ${s.enum.map(e => JSON.stringify(e)).join(', ')}`)
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength) throw new ValidationError(path, s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`)
    if (s.maxLength !== undefined && v.length > s.maxLength) throw new ValidationError(path, `must be at most ${s.maxLength} characters`)
    if (s.pattern !== undefined && !regex(s.pattern).test(v)) throw new ValidationError(path, s['x-error'] ?? `does not match ${s.pattern}`)
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) throw new ValidationError(path, `must be >= ${s.minimum}`)
    if (s.maximum !== undefined && v > s.maximum) throw new ValidationError(path, `must be <= ${s.maximum}`)
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) throw new ValidationError(path, `must have at most ${s.maxItems} items`)
    if (s.items) v.forEach((x, i) => check(s.items as JsonSchema, x, `${path}[${i}]`))
  }
  if (kind === 'object') {
    const o = v as Record<string, unknown>
    const keys = Object.keys(o)
    for (const r of s.required ?? []) {
      if (o[r] === undefined) throw new ValidationError(join(path, r), 'is required')
    }
    if (s.maxProperties !== undefined && keys.length > s.maxProperties) throw new ValidationError(path, `must have at most ${s.maxProperties} entries`)
    for (const k of keys) {
      const field = join(path, k)
      if (s.propertyNames) {
        try { check(s.propertyNames, k, field) } catch (e) {
          throw new ValidationError(field, `invalid name: ${(e as ValidationError).message.replace(/^[^:]*: /, '')}`)
        }
      }
      const p = s.properties?.[k]
      if (p) { check(p, o[k], field); continue }
      if (s.additionalProperties === false) {
        throw new ValidationError(field, `unknown field (allowed: ${Object.keys(s.properties ?? {}).join(', ')})`)
      }
      if (typeof s.additionalProperties === 'object') check(s.additionalProperties, o[k], field)
    }
  }
}
