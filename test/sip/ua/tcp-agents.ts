import { TransportLayer } from '../../../src/sip/transport/transport-layer'
import { SipAgent, type SipAgentOptions } from '../../../src/sip/ua/sip-agent'
import { silentLogger } from '../transaction/fake-sender'

/** A SipAgent on a real TCP TransportLayer bound to an ephemeral loopback port. */
export async function tcpAgent (name: string, opts: Partial<SipAgentOptions> = {}): Promise<{ agent: SipAgent, transport: TransportLayer, port: number, uri: string, close: () => Promise<void> }> {
  const transport = new TransportLayer({ tcp: { host: '127.0.0.1', port: 0 } }, silentLogger)
  await transport.listen()
  const port = transport.localAddressFor('tcp').port
  const agent = new SipAgent({ transport, logger: silentLogger, contactUser: name, ...opts })
  return {
    agent,
    transport,
    port,
    uri: `sip:${name}@127.0.0.1:${port};transport=tcp`,
    close: async () => { agent.close(); await transport.close() }
  }
}

/** Resolve when `pred` holds, polling on the event loop; bounded so a broken flow fails instead of hanging. */
export async function until (pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
