#!/usr/bin/env -S node --initial-old-space-size=128
// trunkgate --config FILE: load and validate the configuration, start the SIP server, run until
// SIGINT/SIGTERM. Exit codes follow sysexits(3) so service managers can tell the failures apart.
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, missingEngineSecrets, type TrunkgateConfig } from './config'
import { routeGrpcLogs } from './engine/grpc-log'
import { ListenError } from './listen-error'
import { createLogger, defaultLogFormat, type Logger } from './log'
import { missingNodeFlags } from './node-flags'
import { startServer, type RunningServer } from './server'

export const EXIT = {
  OK: 0,
  /** Bad command line. */
  USAGE: 64,
  /** Internal error. */
  SOFTWARE: 70,
  /** Cannot listen (port in use, no permission, bad TLS files). */
  UNAVAILABLE: 69,
  /** Invalid configuration. */
  CONFIG: 78
} as const

export const USAGE = `Usage: trunkgate --config FILE
       trunkgate --check [--config] FILE

SIP back-to-back user agent connecting carrier/PBX SIP trunks (UDP, TCP, TLS) to AI voice agents.

Options:
  -c, --config FILE   YAML configuration (see config/default.yaml, every field documented)
      --check         validate the configuration (every error is listed) and exit
  -v, --version       print the version and exit
  -h, --help          show this help

Exit codes: 0 stopped by SIGINT/SIGTERM (or --help/--version/--check ok), 64 usage error,
            69 cannot listen (SIP, API or demo-engine port in use or not permitted, TLS files),
            70 internal error, 78 invalid configuration.
Environment: TRUNKGATE_LOG_LEVEL overrides log.level, TRUNKGATE_LOG_FORMAT (json|pretty) log.format,
             TRUNKGATE_API_KEY adds control API keys.
`

/** The package version (package.json sits two levels above dist/src/cli.js and one above src/cli.ts). */
export function version (): string {
  for (const dir of [path.join(__dirname, '..', '..'), path.join(__dirname, '..')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'trunkgate' && pkg.version) return pkg.version
    } catch { /* try the next location */ }
  }
  return 'unknown'
}

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  logger?: Logger
  /**
   * Resolves when the process should stop (SIGINT/SIGTERM by default). The optional callback is for a
   * second stop request during the drain: stop waiting for calls to end by themselves.
   */
  waitForStop?: (again: () => void) => Promise<string>
}

export async function main (argv: string[], io: CliIo): Promise<number> {
  let values: { config?: string; help?: boolean; check?: boolean; version?: boolean }
  try {
    const parsed = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, check: { type: 'boolean' }, version: { type: 'boolean', short: 'v' } },
      allowPositionals: true
    })
    values = parsed.values
    // `trunkgate --check FILE` (as the README and CI run it): the file may follow --check instead of --config.
    if (parsed.positionals.length > 0) {
      if (!values.check || values.config !== undefined || parsed.positionals.length > 1) {
        throw new Error(`Unexpected argument '${parsed.positionals[0]}'. Only --check takes a file without --config`)
      }
      values.config = parsed.positionals[0]
    }
  } catch (err) {
    io.stderr(`trunkgate: ${(err as Error).message}\n\n${USAGE}`)
    return EXIT.USAGE
  }
  if (values.help) {
    io.stdout(USAGE)
    return EXIT.OK
  }
  if (values.version) {
    io.stdout(`trunkgate ${version()}\n`)
    return EXIT.OK
  }
  if (!values.config) {
    io.stderr(`trunkgate: --config FILE is required\n\n${USAGE}`)
    return EXIT.USAGE
  }
  let config: TrunkgateConfig
  try {
    config = loadConfig(values.config)
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`trunkgate: ${err.message}\n`)
      return EXIT.CONFIG
    }
    throw err
  }
  if (values.check) {
    io.stdout(`trunkgate: ${values.config}: configuration OK (${config.trunks.length} trunk(s), ${config.phone_numbers.length} number(s))\n`)
    for (const w of missingEngineSecrets(config.agents, process.env)) io.stdout(`trunkgate: warning: ${w}\n`)
    return EXIT.OK
  }
  const logger = io.logger ?? createLogger({
    level: process.env.TRUNKGATE_LOG_LEVEL ?? config.log.level,
    format: config.log.format ?? defaultLogFormat()
  })
  routeGrpcLogs(logger)
  warnAboutConfig(config, logger)
  const missing = missingNodeFlags(process.execArgv)
  if (missing.length > 0) {
    logger.warn({ missing }, `node started without ${missing.join(' ')}: expect much more garbage-collection CPU under call load (see src/node-flags.ts; the trunkgate command and npm start pass it)`)
  }

  let server: RunningServer
  try {
    server = await startServer(config, { logger, aiCalls: true })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    logger.fatal({ err: { code: e.code, message: e.message } }, `cannot start: ${e.message}`)
    io.stderr(`trunkgate: cannot start: ${e.message}\n`)
    return err instanceof ListenError || e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL' || e.code === 'ENOENT'
      ? EXIT.UNAVAILABLE
      : EXIT.SOFTWARE
  }
  for (const l of server.listening) {
    logger.info({ transport: l.transport, host: l.host, port: l.port }, `listening on sip ${l.transport.toUpperCase()} ${l.host}:${l.port}`)
  }
  logger.info({
    trunks: config.trunks.map(t => t.name),
    numbers: config.phone_numbers.map(p => `${p.number} -> ${p.agent}`)
  }, 'trunkgate ready')

  const reason = await (io.waitForStop ?? waitForSignal)(() => {
    logger.warn({ activeCalls: server.activeCalls() }, 'second stop request: hanging up the calls still up now')
    server.drain.hurryUp()
  })
  const timeoutS = config.shutdown.drain_timeout_s
  logger.info({ reason, activeCalls: server.activeCalls(), drainTimeoutS: timeoutS }, 'stopping')
  const hungUp = await server.drain.shutdown(reason)
  await server.close()
  logger.info({ hungUp }, 'stopped: every call record committed')
  return EXIT.OK
}

/** Operator-visible warnings for settings that are fine in development and dangerous in production. */
function warnAboutConfig (config: TrunkgateConfig, logger: Logger): void {
  for (const w of missingEngineSecrets(config.agents, process.env)) logger.warn(w)
  // A TLS listener without cert/key runs on a generated self-signed certificate: the transport layer
  // logs that warning itself when it generates it (once, with the certificate's name).
  for (const t of config.trunks) {
    const open = t.inbound.acl.some(a => a === '0.0.0.0/0' || a === '::/0')
    if (open && !t.inbound.auth) {
      logger.warn({ trunk: t.name }, `trunk ${t.name} accepts calls from any address without digest auth (ACL 0.0.0.0/0 or ::/0): development only`)
    }
  }
}

/**
 * The first SIGINT/SIGTERM starts the drain; later ones cut its wait short. The handlers stay for the
 * life of the process: a signal without a handler would kill node before the records are committed.
 */
function waitForSignal (again: () => void): Promise<string> {
  return new Promise(resolve => {
    let stopping = false
    const onSignal = (sig: string): void => {
      if (stopping) { again(); return }
      stopping = true
      resolve(sig)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

if (require.main === module) {
  main(process.argv.slice(2), { stdout: s => process.stdout.write(s), stderr: s => process.stderr.write(s) })
    .then(code => { process.exitCode = code })
    .catch(err => {
      process.stderr.write(`trunkgate: internal error: ${(err as Error).stack ?? String(err)}\n`)
      process.exitCode = EXIT.SOFTWARE
    })
}
