// Shared setup for the end-to-end call tests: the real server with the AI call layer (media
// engine, engine link) on loopback, a test engine, SIPp scenarios from test/e2e/sipp.
import fs from 'node:fs'
import path from 'node:path'
import { parseConfigText, type TrunkgateConfig } from '../../src/config'
import { startServer, type RunningServer } from '../../src/server'
import type { CallRecord } from '../../src/call/call-record'
import { freePort, runSipp, telephoneEventOffer, type SippRun } from '../integration/sipp-runner'
import { RtpCapture, type RtpSummary } from './rtp-capture'

export const ROOT = path.resolve(__dirname, '..', '..')
/** Independent test material (team rule: by path, never copied). */
export const TESTDATA = path.resolve(ROOT, 'test', 'vectors')
export const PCAP = (name: string): string => path.join(TESTDATA, 'pcap', name)
export const E2E_SIPP = path.join(__dirname, 'sipp')

export interface GatewayOptions {
  engineAddress: string
  /** Extra YAML lines inside the agent (indented 4 spaces). */
  agentYaml?: string
  /** Extra YAML lines inside the trunk (indented 4 spaces). */
  trunkYaml?: string
  tls?: boolean
  connectTimeoutMs?: number
  readyTimeoutMs?: number
}

/** An even RTP port range of its own per test file, so parallel tests do not compete for ports. */
function mediaRange (): [number, number] {
  const base = 20000 + 2 * Math.floor(Math.random() * 9000)
  return [base, base + 400]
}

export function gatewayConfig (o: GatewayOptions): TrunkgateConfig {
  const [min, max] = mediaRange()
  return parseConfigText(`
sip:
  listen:
    tcp: {host: 127.0.0.1, port: 0}
${o.tls ? '    tls: {host: 127.0.0.1, port: 0}' : ''}
trunks:
  - name: loopback
    inbound: {acl: [127.0.0.0/8, '::1']}
    forward_headers: [X-Customer-Tier]
${o.trunkYaml ?? ''}
phone_numbers:
  - {number: '+15550100', agent: demo}
agents:
  - id: demo
    name: Demo
${o.agentYaml ?? ''}
engine:
  address: ${o.engineAddress}
  connectTimeoutMs: ${o.connectTimeoutMs ?? 1000}
  readyTimeoutMs: ${o.readyTimeoutMs ?? 2000}
media: {port_min: ${min}, port_max: ${max}, bind_address: 127.0.0.1}
log: {level: silent}
`)
}

export async function startGateway (o: GatewayOptions, fetchImpl?: typeof fetch): Promise<RunningServer> {
  return await startServer(gatewayConfig(o), { aiCalls: fetchImpl ? { fetch: fetchImpl } : true })
}

/** Resolves with the record of the next call that ends. */
export function nextRecord (server: RunningServer, timeoutMs = 20000): Promise<CallRecord> {
  const handler = server.aiCalls?.handler
  if (!handler) throw new Error('server runs without the AI call layer')
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no call ended within ${timeoutMs} ms`)), timeoutMs)
    handler.once('ended', r => { clearTimeout(timer); resolve(r) })
  })
}

/** The SIPp scenario with its hang-up part: the caller sends BYE. */
export function callerByeScenario (): Record<string, string> {
  return { HANGUP: fs.readFileSync(path.join(E2E_SIPP, 'hangup-bye.xml.part'), 'latin1') }
}

/**
 * One SIPp call (uac-until-bye.xml) that only succeeds when the gateway sends BYE within
 * byeTimeoutMs; with capture, the RTP sent to SIPp's media port is summarised.
 */
export async function callUntilGatewayBye (server: RunningServer, opts: { byeTimeoutMs: number; capture?: boolean; speechPcap?: string; scenario?: string; telephoneEvent?: boolean }):
Promise<{ run: SippRun; rtp: RtpSummary | null }> {
  const mediaPort = await freePort()
  const capture = opts.capture ? new RtpCapture(mediaPort) : null
  await capture?.started()
  const run = await runSipp({
    scenario: path.join(E2E_SIPP, opts.scenario ?? 'uac-until-bye.xml'),
    target: { host: '127.0.0.1', port: server.ports.tcp! },
    service: '+15550100',
    timeoutSec: Math.ceil(opts.byeTimeoutMs / 1000) + 10,
    extraArgs: ['-mp', String(mediaPort)],
    substitutions: {
      SPEECH_PCAP: opts.speechPcap ?? PCAP('g711a.pcap'),
      BYE_TIMEOUT_MS: String(opts.byeTimeoutMs),
      ...telephoneEventOffer(opts.telephoneEvent !== false)
    }
  })
  const rtp = capture ? await capture.stop() : null
  return { run, rtp }
}

/** Substitutions for uac-refused.xml: the status and header to expect, the offer's profile. */
export function refusedScenario (status: number, opts: { header?: string; headerRe?: string; proto?: string; crypto?: string } = {}): Record<string, string> {
  return {
    STATUS: String(status),
    HEADER: opts.header ?? 'Retry-After:',
    HEADER_RE: opts.headerRe ?? '[0-9]+',
    PROTO: opts.proto ?? 'RTP/AVP',
    CRYPTO: opts.crypto ? `\n      ${opts.crypto}` : ''
  }
}
