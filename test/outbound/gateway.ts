// A real gateway for outbound tests: loopback SIP listener(s), one trunk whose outbound side points at
// the carrier, the control API on an ephemeral port with a known key, records in a temp directory.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseConfigText } from '../../src/config'
import { startServer, type RunningServer, type StartServerOptions } from '../../src/server'

export const API_KEY = 'test-key-0123456789abcdef'

export interface TestGateway {
  server: RunningServer
  api: string
  dir: string
  request: (method: string, url: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number, json: any, text: string }>
  /** Polls GET /v1/calls/:id until the status is final (bounded). */
  waitEnded: (id: string, timeoutMs?: number) => Promise<any>
  waitStatus: (id: string, status: string, timeoutMs?: number) => Promise<any>
  close: () => Promise<void>
}

export interface GatewayOptions {
  outboundYaml: string
  /** Lines of the trunk itself (indented 4 spaces), e.g. `codecs: [opus]`. */
  trunkYaml?: string
  tls?: { ca: string }
  extraYaml?: string
  /** Lines inside records: (indented 2 spaces), e.g. a post_call_webhook. */
  recordsYaml?: string
  opts?: StartServerOptions
  /** Also listen on UDP (a UDP trunk needs the UDP listener). */
  udp?: boolean
}

export async function startGateway (o: GatewayOptions): Promise<TestGateway> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-outbound-'))
  const config = parseConfigText(`
sip:
  listen:
    tcp: {host: 127.0.0.1, port: 0}
${o.udp ? '    udp: {host: 127.0.0.1, port: 0}' : ''}
${o.tls ? `    tls: {host: 127.0.0.1, port: 0, ca: '${o.tls.ca}'}` : ''}
trunks:
  - name: carrier
    inbound: {acl: [127.0.0.0/8]}
    phone_numbers: ['+15550100']
${(o.trunkYaml ?? '').split('\n').map(l => `    ${l}`).join('\n')}
    outbound:
${o.outboundYaml.split('\n').map(l => `      ${l}`).join('\n')}
phone_numbers:
  - {number: '+15550100', agent: support}
agents:
  - {id: support, name: Support}
api:
  listen: {host: 127.0.0.1, port: 0}
  keys: ['${API_KEY}']
records:
  path: '${path.join(dir, 'calls.db')}'
${(o.recordsYaml ?? '').split('\n').map(l => `  ${l}`).join('\n')}
${o.extraYaml ?? ''}
log: {level: silent}
`)
  const server = await startServer(config, o.opts)
  const addr = server.services.apiAddress
  if (!addr) throw new Error('API not listening')
  const api = `http://127.0.0.1:${addr.port}`
  const request: TestGateway['request'] = async (method, url, body, headers = {}) => {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { 'x-api-key': API_KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    })
    const text = await res.text()
    let json: any = null
    try { json = JSON.parse(text) } catch { json = null }
    return { status: res.status, json, text }
  }
  const waitStatus = async (id: string, status: string, timeoutMs = 15000): Promise<any> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const r = await request('GET', `/v1/calls/${id}`)
      if (r.json?.status === status || (status === 'ended' && r.json?.ended_at)) return r.json
      if (Date.now() > deadline) throw new Error(`call ${id} did not reach ${status}: ${r.text}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  return {
    server,
    api,
    dir,
    request,
    waitStatus,
    waitEnded: (id, timeoutMs) => waitStatus(id, 'ended', timeoutMs),
    close: async () => {
      await server.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
