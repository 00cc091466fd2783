// A listener that could not start, named by the configuration field that sets it, so the operator
// reads "control API (api.listen) cannot listen on 127.0.0.1:8080: address already in use" instead
// of an errno from somewhere. The CLI maps it to exit 69 (EX_UNAVAILABLE).

export class ListenError extends Error {
  /** The errno code of the cause (EADDRINUSE, EACCES, EADDRNOTAVAIL), or 'ELISTEN' when unknown. */
  readonly code: string
  constructor (readonly what: string, readonly address: string, cause: unknown) {
    const e = cause as NodeJS.ErrnoException
    const code = e?.code ?? /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL)\b/.exec(String(e?.message))?.[1] ?? 'ELISTEN'
    super(`${what} cannot listen on ${address}: ${describeCode(code, e)}`, { cause })
    this.name = 'ListenError'
    this.code = code
  }
}

function describeCode (code: string, e: Error | undefined): string {
  switch (code) {
    case 'EADDRINUSE': return 'address already in use (EADDRINUSE)'
    case 'EACCES': return 'permission denied (EACCES; ports below 1024 need root or CAP_NET_BIND_SERVICE)'
    case 'EADDRNOTAVAIL': return 'address not available on this host (EADDRNOTAVAIL)'
    default: return e?.message ?? 'unknown error'
  }
}
