import pino from 'pino'
import type PinoPretty from 'pino-pretty'

export type Logger = pino.Logger
export type LogFormat = 'json' | 'pretty'

const base = { app: 'trunkgate' }

/** Root logger: pino JSON on stdout until the CLI builds the configured one. Children carry {callId, leg} per STYLE.md. */
export const rootLogger = pino({
  level: process.env.TRUNKGATE_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base
})

/**
 * The format when the configuration does not say: TRUNKGATE_LOG_FORMAT, else pretty for a person at
 * a terminal and JSON for everything else (journald, docker logs, a log shipper).
 */
export function defaultLogFormat (env: NodeJS.ProcessEnv = process.env, isTty = process.stdout.isTTY === true): LogFormat {
  const v = env.TRUNKGATE_LOG_FORMAT
  if (v === 'json' || v === 'pretty') return v
  return isTty ? 'pretty' : 'json'
}

/**
 * The process logger. 'pretty' renders one readable line per entry (time, level, message, then the
 * fields) in-process and synchronously, so the last lines before a crash are never lost.
 */
export function createLogger (opts: { level: string, format: LogFormat, destination?: NodeJS.WritableStream, colorize?: boolean }): Logger {
  if (opts.format === 'json') {
    return opts.destination
      ? pino({ level: opts.level, base }, opts.destination)
      : pino({ level: opts.level, base })
  }
  // Loaded only when asked for: JSON logging (services, containers, tests) does not pay for it.
  const pretty = (require('pino-pretty') as { default: typeof PinoPretty }).default
  const stream = pretty({
    sync: true,
    colorize: opts.colorize ?? (opts.destination === undefined && process.stdout.isTTY === true),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,app',
    singleLine: true,
    destination: opts.destination ?? 1
  })
  return pino({ level: opts.level, base }, stream)
}
