// Replays a raw message over a real TCP connection and reports what came back: the status codes of
// the responses (in order) and whether the server closed the connection.
import net from 'node:net'

export interface ReplayResult {
  statuses: number[]
  closedByServer: boolean
  raw: string
  elapsedMs: number
}

/**
 * Writes `bytes`, then reads until the server closes, or `idleMs` pass without data once `expected`
 * responses arrived, or `maxMs` pass in total (all bounded).
 */
export function replay (port: number, bytes: Buffer, opts: { expected?: number; idleMs?: number; maxMs?: number } = {}): Promise<ReplayResult> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let raw = ''
    let closedByServer = false
    let idle: NodeJS.Timeout | null = null
    const finish = (): void => {
      if (idle) clearTimeout(idle)
      clearTimeout(hard)
      socket.destroy()
      const statuses = [...raw.matchAll(/(?:^|\r\n)SIP\/2\.0 (\d{3}) /g)].map(m => Number(m[1]))
      resolve({ statuses, closedByServer, raw, elapsedMs: Date.now() - started })
    }
    const hard = setTimeout(finish, opts.maxMs ?? 3000)
    const armIdle = (): void => {
      if (idle) clearTimeout(idle)
      const have = [...raw.matchAll(/(?:^|\r\n)SIP\/2\.0 \d{3} /g)].length
      // Wait the full max when fewer responses than expected are in (a 2nd may follow a 1st).
      if (have >= (opts.expected ?? 1)) idle = setTimeout(finish, opts.idleMs ?? 300)
    }
    socket.on('connect', () => { socket.write(bytes); armIdle() })
    socket.on('data', d => { raw += d.toString('latin1'); armIdle() })
    socket.on('end', () => { closedByServer = true; finish() })
    socket.on('close', () => { closedByServer = true; finish() })
    socket.on('error', err => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') { closedByServer = true; finish(); return }
      clearTimeout(hard)
      reject(err)
    })
  })
}
