// Tiny schema combinators: each field is described once and that description both validates
// the YAML value (with an error naming the exact path) and gives the TypeScript type through
// Infer<>. This keeps types and validation from one source without a runtime schema library.

/**
 * A configuration error names the field (dotted path with [index]) and the problem. Validation goes on
 * past the first problem so that one run reports them all: `errors` lists every one (this error alone
 * when there is a single problem; path/problem are then the first one's).
 */
export class ConfigError extends Error {
  readonly path: string
  readonly problem: string
  readonly errors: readonly ConfigError[]
  constructor (path: string, problem: string, errors?: readonly ConfigError[]) {
    super(errors && errors.length > 1
      ? `config: ${errors.length} errors:\n${errors.map(e => `  ${e.path || '(root)'}: ${e.problem}`).join('\n')}`
      : `config: ${path || '(root)'}: ${problem}`)
    this.name = 'ConfigError'
    this.path = path
    this.problem = problem
    this.errors = errors && errors.length > 1 ? errors : [this]
  }

  /** One error for a list of problems (the problem itself when there is only one). */
  static of (errors: readonly ConfigError[]): ConfigError {
    const all = errors.flatMap(e => e.errors)
    if (all.length === 1) return all[0]
    return new ConfigError(all[0].path, all[0].problem, all)
  }
}

/** Runs one check and keeps its ConfigError(s) in `errors` instead of stopping at them. */
export function collect<T> (errors: ConfigError[], check: () => T): T | undefined {
  try {
    return check()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    errors.push(...err.errors)
    return undefined
  }
}

export interface Validator<T> {
  readonly kind: 'required'
  readonly describe: string
  check (value: unknown, path: string): T
}

/** A field that may be absent; `fallback` fills it in (then the inferred type is not optional). */
export interface OptionalField<T, HasDefault extends boolean> {
  readonly kind: 'optional'
  readonly inner: Validator<T>
  readonly hasDefault: HasDefault
  readonly fallback?: () => T
}

export type Field = Validator<unknown> | OptionalField<unknown, boolean>
export type Shape = Record<string, Field>

export type Infer<V> = V extends Validator<infer T> ? T : never

type RequiredKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalField<unknown, false> ? never : K
}[keyof S]
type OptionalKeys<S extends Shape> = Exclude<keyof S, RequiredKeys<S>>
type FieldType<F> = F extends Validator<infer T> ? T : F extends OptionalField<infer T, boolean> ? T : never

type Simplify<T> = { [K in keyof T]: T[K] } & {}
export type InferShape<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: FieldType<S[K]> } & { [K in OptionalKeys<S>]?: FieldType<S[K]> }
>

function describeValue (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`
  return `${typeof v} ${String(v)}`
}

function validator<T> (describe: string, check: (value: unknown, path: string) => T): Validator<T> {
  return { kind: 'required', describe, check }
}

export function str (opts: { minLength?: number; pattern?: RegExp; patternName?: string } = {}): Validator<string> {
  return validator('a string', (v, path) => {
    if (typeof v !== 'string') throw new ConfigError(path, `expected a string, got ${describeValue(v)}`)
    if (opts.minLength !== undefined && v.length < opts.minLength) {
      throw new ConfigError(path, opts.minLength === 1 ? 'must not be empty' : `must be at least ${opts.minLength} characters`)
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      throw new ConfigError(path, `${JSON.stringify(v)} is not ${opts.patternName ?? `matching ${String(opts.pattern)}`}`)
    }
    return v
  })
}

export function int (opts: { min?: number; max?: number } = {}): Validator<number> {
  return validator('an integer', (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(path, `expected an integer, got ${describeValue(v)}`)
    if (opts.min !== undefined && v < opts.min) throw new ConfigError(path, `must be >= ${opts.min}, got ${v}`)
    if (opts.max !== undefined && v > opts.max) throw new ConfigError(path, `must be <= ${opts.max}, got ${v}`)
    return v
  })
}

export function bool (): Validator<boolean> {
  return validator('true or false', (v, path) => {
    if (typeof v !== 'boolean') throw new ConfigError(path, `expected true or false, got ${describeValue(v)}`)
    return v
  })
}

export function oneOf<const L extends readonly string[]> (values: L): Validator<L[number]> {
  const list = values.map(x => `'${x}'`).join(', ')
  return validator(`one of ${list}`, (v, path) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new ConfigError(path, `must be one of ${list}, got ${describeValue(v)}`)
    return v as L[number]
  })
}

export function list<T> (item: Validator<T>, opts: { minItems?: number; unique?: boolean } = {}): Validator<T[]> {
  return validator(`a list of ${item.describe}`, (v, path) => {
    if (!Array.isArray(v)) throw new ConfigError(path, `expected a list, got ${describeValue(v)}`)
    if (opts.minItems !== undefined && v.length < opts.minItems) {
      throw new ConfigError(path, `must have at least ${opts.minItems} item${opts.minItems === 1 ? '' : 's'}`)
    }
    const errors: ConfigError[] = []
    const out = v.map((x, i) => collect(errors, () => item.check(x, `${path}[${i}]`)) as T)
    if (errors.length > 0) throw ConfigError.of(errors)
    if (opts.unique) {
      const seen = new Set<string>()
      out.forEach((x, i) => {
        const key = JSON.stringify(x)
        if (seen.has(key)) throw new ConfigError(`${path}[${i}]`, `duplicate value ${key}`)
        seen.add(key)
      })
    }
    return out
  })
}

export function optional<T> (inner: Validator<T>): OptionalField<T, false>
export function optional<T> (inner: Validator<T>, fallback: () => T): OptionalField<T, true>
export function optional<T> (inner: Validator<T>, fallback?: () => T): OptionalField<T, boolean> {
  return { kind: 'optional', inner, hasDefault: fallback !== undefined, fallback }
}

/**
 * A mapping with exactly these keys. Unknown keys are errors: a typo such as `maxConcurentCalls`
 * must not silently fall back to the default on a production trunk.
 */
export function obj<S extends Shape> (shape: S): Validator<InferShape<S>> {
  return validator('a mapping', (v, path) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new ConfigError(path, `expected a mapping, got ${describeValue(v)}`)
    }
    const input = v as Record<string, unknown>
    const out: Record<string, unknown> = {}
    const errors: ConfigError[] = []
    for (const key of Object.keys(input)) {
      if (!Object.prototype.hasOwnProperty.call(shape, key)) {
        errors.push(new ConfigError(join(path, key), `unknown field (allowed: ${Object.keys(shape).join(', ')})`))
      }
    }
    for (const [key, field] of Object.entries(shape)) {
      const fieldPath = join(path, key)
      const present = input[key] !== undefined && input[key] !== null
      if (field.kind === 'required') {
        if (!present) errors.push(new ConfigError(fieldPath, `is required (${field.describe})`))
        else out[key] = collect(errors, () => field.check(input[key], fieldPath))
      } else if (present) {
        out[key] = collect(errors, () => field.inner.check(input[key], fieldPath))
      } else if (field.fallback) {
        out[key] = field.fallback()
      }
    }
    if (errors.length > 0) throw ConfigError.of(errors)
    return out as InferShape<S>
  })
}

/** Adds a check across fields of an already validated value (e.g. minSE <= sessionExpires). */
export function refine<T> (inner: Validator<T>, check: (value: T, path: string) => void): Validator<T> {
  return validator(inner.describe, (v, path) => {
    const out = inner.check(v, path)
    check(out, path)
    return out
  })
}

export function join (path: string, key: string): string {
  return path ? `${path}.${key}` : key
}

/**
 * A mapping whose `key` field picks its shape (`engine: {type: openai_realtime, ...}`): each variant is
 * checked by its own validator, so an error names the field of the variant the user meant.
 */
export function tagged<M extends Record<string, Validator<unknown>>> (key: string, variants: M): Validator<Infer<M[keyof M]>> {
  const names = Object.keys(variants).map(x => `'${x}'`).join(', ')
  return validator(`a mapping with ${key}: one of ${names}`, (v, path) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(path, `expected a mapping, got ${describeValue(v)}`)
    const tag = (v as Record<string, unknown>)[key]
    if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(variants, tag)) {
      throw new ConfigError(join(path, key), tag === undefined ? `is required (one of ${names})` : `must be one of ${names}, got ${describeValue(tag)}`)
    }
    return variants[tag].check(v, path) as Infer<M[keyof M]>
  })
}
