// {{ variable }} substitution for prompts and first messages (engines render their first message with it;
// the call layer re-exports it with the personalization code) (seed "Dynamic variables": double curly
// braces, names case-sensitive). Secret variables are never substituted into text that can reach an
// LLM or a TTS prompt (seed "Secret dynamic variables"): they render as empty and are reported.
/** Dynamic variable values: string, number or boolean only (seed "Supported Types"). */
export type DynamicValue = string | number | boolean

/** seed "Secret dynamic variables": names with this prefix never reach an LLM or TTS prompt. */
export const SECRET_PREFIX = 'secret__'

export function isSecretVariable (name: string): boolean {
  return name.startsWith(SECRET_PREFIX)
}

export interface RenderedTemplate {
  text: string
  /** Placeholders with no value: left as written so the problem is visible. */
  missing: string[]
  /** secret__ placeholders, rendered empty. */
  secretsRemoved: string[]
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g

export function renderTemplate (template: string, vars: Readonly<Record<string, DynamicValue>>): RenderedTemplate {
  const missing: string[] = []
  const secretsRemoved: string[] = []
  const text = template.replace(PLACEHOLDER, (whole, name: string) => {
    if (isSecretVariable(name)) { secretsRemoved.push(name); return '' }
    if (!Object.prototype.hasOwnProperty.call(vars, name)) { missing.push(name); return whole }
    return String(vars[name])
  })
  return { text, missing, secretsRemoved }
}
