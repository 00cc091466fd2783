import pino from 'pino'

/** Root logger: pino JSON on stdout. Children carry {callId, leg} per STYLE.md. */
export const rootLogger = pino({
  level: process.env.TRUNKGATE_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { app: 'trunkgate' }
})

export type Logger = pino.Logger
