// Custom trunk headers (seed "Add custom headers"): static, or templated from the call's dynamic
// variables ("X-Customer: {{customer_id}}"). secret__ variables ARE allowed here: SIP headers go to the
// carrier, never to an LLM (seed "Secret dynamic variables": "only used in dynamic variable headers").
// A placeholder without a value refuses the call rather than sending a literal "{{customer_id}}", and a
// value with control characters is refused: a CR/LF in a variable must never become a header injection.
import type { HeaderField } from '../sip/message/types'

export type VariableValue = string | number | boolean

export class HeaderTemplateError extends Error {
  readonly code: string
  /** The dynamic variable at fault (for a 400 naming dynamic_variables.<name>). */
  readonly variable: string
  constructor (code: string, variable: string, message: string) {
    super(message)
    this.name = 'HeaderTemplateError'
    this.code = code
    this.variable = variable
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g
/** RFC 3261 §25.1: header values are TEXT-UTF8 with LWS; controls other than HTAB are not allowed. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/

export function renderHeaders (templates: ReadonlyArray<{ name: string, value: string }>, vars: Readonly<Record<string, VariableValue>>): HeaderField[] {
  return templates.map(t => ({ name: t.name, value: renderValue(t.name, t.value, vars) }))
}

/** The variables a set of header templates needs (for validating a call request up front). */
export function templateVariables (templates: ReadonlyArray<{ value: string }>): string[] {
  const names = new Set<string>()
  for (const t of templates) for (const m of t.value.matchAll(PLACEHOLDER)) names.add(m[1])
  return [...names]
}

function renderValue (header: string, template: string, vars: Readonly<Record<string, VariableValue>>): string {
  const out = template.replace(PLACEHOLDER, (_whole, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(vars, name)) {
      throw new HeaderTemplateError('OUTBOUND_ERR_HEADER_VARIABLE_MISSING', name, `trunk header ${header} needs dynamic variable "${name}"`)
    }
    const v = String(vars[name])
    if (CONTROL.test(v)) {
      throw new HeaderTemplateError('OUTBOUND_ERR_HEADER_VALUE_INVALID', name, `dynamic variable "${name}" contains control characters and cannot go into header ${header}`)
    }
    return v
  })
  if (out.trim() === '') throw new HeaderTemplateError('OUTBOUND_ERR_HEADER_EMPTY', '', `trunk header ${header} renders empty`)
  return out.trim()
}
