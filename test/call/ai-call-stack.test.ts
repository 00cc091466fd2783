// Startup of the AI call layer: the configured engine is checked once, and one that does not answer
// is a warning in the log (issue 16), while the gateway still starts.
import net from 'node:net'
import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { createAiCallStack } from '../../src/call/ai-call-stack'
import { gatewayConfig } from '../e2e/helpers'
import { TestEngine } from '../e2e/test-engine'

function capturedLogger (): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  return { logger: pino({ level: 'info' }, sink), lines }
}

async function deadAddress (): Promise<string> {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return `127.0.0.1:${port}`
}

t.test('an engine that refuses the connection at startup: a warning naming it, the call layer still starts', async t => {
  const address = await deadAddress()
  const { logger, lines } = capturedLogger()
  const stack = await createAiCallStack(gatewayConfig({ engineAddress: address, connectTimeoutMs: 60000 }), { logger })
  t.teardown(() => stack.close())
  await stack.probed
  const warning = lines.find(l => l.code === 'ENGINE_ERR_UNREACHABLE')
  t.ok(warning, 'startup warning logged')
  t.equal(warning?.level, 40, 'at warn level')
  t.equal(warning?.engine, address)
  t.match(String(warning?.detail), /refused the connection/)
})

t.test('an engine that answers at startup: no warning', async t => {
  const engine = new TestEngine()
  const port = await engine.start()
  t.teardown(() => engine.stop())
  const { logger, lines } = capturedLogger()
  const stack = await createAiCallStack(gatewayConfig({ engineAddress: `127.0.0.1:${port}` }), { logger })
  t.teardown(() => stack.close())
  await stack.probed
  t.equal(lines.filter(l => l.code === 'ENGINE_ERR_UNREACHABLE').length, 0)
})
