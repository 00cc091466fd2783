// {{ variable }} substitution for prompts and first messages (seed "Dynamic variables": double curly
// braces, names case-sensitive). Secret variables are never substituted into text that can reach an
// LLM or a TTS prompt (seed "Secret dynamic variables"): they render as empty and are reported.
import type { DynamicValue } from './types'
import { isSecretVariable } from './system-variables'

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
