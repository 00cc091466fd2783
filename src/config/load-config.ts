import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { ConfigError } from './schema-builder'
import { configSchema, type TrunkgateConfig } from './schema'

/** Reads, parses and validates a YAML configuration file. Throws ConfigError naming the field. */
export function loadConfig (file: string): TrunkgateConfig {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError('', `cannot read ${file}: ${(err as Error).message}`)
  }
  const config = parseConfigText(text)
  // Relative certificate paths are relative to the configuration file, not to the working directory.
  const tls = config.sip.listen.tls
  if (tls) {
    const dir = path.dirname(path.resolve(file))
    for (const key of ['cert', 'key', 'ca'] as const) {
      const value = tls[key]
      if (value !== undefined) tls[key] = path.resolve(dir, value)
    }
  }
  // The records database, like certificates, lives relative to the configuration file.
  if (config.records?.path !== undefined && config.records.path !== ':memory:') {
    config.records.path = path.resolve(path.dirname(path.resolve(file)), config.records.path)
  }
  return config
}

export function parseConfigText (text: string): TrunkgateConfig {
  const doc = YAML.parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) {
    throw ConfigError.of(doc.errors.map(e => {
      const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'YAML'
      return new ConfigError('', `invalid YAML at ${where}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`)
    }))
  }
  return validateConfig(doc.toJS())
}

/** Validates an already parsed value: field shapes first, then rules that span sections. */
export function validateConfig (value: unknown): TrunkgateConfig {
  const config = configSchema.check(value ?? {}, '')
  checkReferences(config)
  return config
}

function checkReferences (config: TrunkgateConfig): void {
  const errors: ConfigError[] = []
  const fail = (path: string, problem: string): void => { errors.push(new ConfigError(path, problem)) }
  const trunkNames = new Map<string, number>()
  config.trunks.forEach((t, i) => {
    if (trunkNames.has(t.name)) fail(`trunks[${i}].name`, `duplicate trunk name "${t.name}" (also trunks[${trunkNames.get(t.name)}])`)
    else trunkNames.set(t.name, i)
    if (t.inbound.requireClientCert && !config.sip.listen.tls) {
      fail(`trunks[${i}].inbound.requireClientCert`, 'needs sip.listen.tls (client certificates only exist on TLS)')
    } else if (t.inbound.requireClientCert && !config.sip.listen.tls?.ca) {
      fail(`trunks[${i}].inbound.requireClientCert`, 'needs sip.listen.tls.ca to verify client certificates against')
    }
  })
  const agentIds = new Map<string, number>()
  config.agents.forEach((a, i) => {
    if (agentIds.has(a.id)) fail(`agents[${i}].id`, `duplicate agent id "${a.id}" (also agents[${agentIds.get(a.id)}])`)
    else agentIds.set(a.id, i)
  })
  const numbers = new Map<string, number>()
  config.phone_numbers.forEach((p, i) => {
    if (numbers.has(p.number)) fail(`phone_numbers[${i}].number`, `duplicate number "${p.number}" (also phone_numbers[${numbers.get(p.number)}])`)
    else numbers.set(p.number, i)
    if (!agentIds.has(p.agent)) fail(`phone_numbers[${i}].agent`, `unknown agent "${p.agent}" (not in agents[].id)`)
    if (p.trunk !== undefined && !trunkNames.has(p.trunk)) fail(`phone_numbers[${i}].trunk`, `unknown trunk "${p.trunk}" (not in trunks[].name)`)
  })
  config.trunks.forEach((t, i) => {
    t.phone_numbers.forEach((n, j) => {
      const route = numbers.get(n)
      if (route === undefined) {
        return fail(`trunks[${i}].phone_numbers[${j}]`, `"${n}" has no entry in phone_numbers (no agent to route it to)`)
      }
      const only = config.phone_numbers[route].trunk
      if (only !== undefined && only !== t.name) {
        fail(`trunks[${i}].phone_numbers[${j}]`, `"${n}" is restricted to trunk "${only}" by phone_numbers[${route}].trunk`)
      }
    })
  })
  if (errors.length > 0) throw ConfigError.of(errors)
}
