// grpc-js writes its own errors to stderr ("E No address added out of total 1 resolved"), outside
// the JSON/pretty log and next to the CLI's own message for the same failure. Route them to pino.
import * as grpc from '@grpc/grpc-js'
import type { Logger } from '../log'

export function routeGrpcLogs (logger: Logger): void {
  const log = logger.child({ component: 'grpc' })
  const text = (args: unknown[]): string => args.map(String).join(' ')
  grpc.setLogger({
    error: (...args: unknown[]) => log.debug(text(args)),
    info: (...args: unknown[]) => log.trace(text(args)),
    debug: (...args: unknown[]) => log.trace(text(args))
  })
}
