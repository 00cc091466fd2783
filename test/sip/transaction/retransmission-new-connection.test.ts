// Issue 17 item 6: an INVITE retransmitted over a NEW TCP connection (the peer reconnected after its
// first one dropped) must be answered on that connection — not by connecting back to the Via port,
// which a TCP client usually does not listen on. Real sockets: transport + transaction layers.
import t from 'tap'
import net from 'node:net'
import { TransactionLayer, type ServerTransaction } from '../../../src/sip/transaction/transaction-layer'
import { InviteServerTransaction } from '../../../src/sip/transaction/invite-server-transaction'
import { createResponse } from '../../../src/sip/message/factory'
import { RawClient, collect, options, startTransport, statusCodes, waitFor } from '../transport/helpers'

/** A loopback port nobody listens on (bound, then released), so connecting back to it is refused. */
async function deadPort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}

async function stack (teardown: (fn: () => Promise<void>) => void): Promise<{ port: number, requests: ServerTransaction[], closed: unknown[], messages: unknown[] }> {
  const tl = await startTransport()
  const txl = new TransactionLayer({ sender: tl })
  teardown(async () => { txl.close(); await tl.close() })
  tl.on('message', (m, src) => txl.receive(m, src))
  const requests: ServerTransaction[] = []
  txl.on('request', (_req, tx: ServerTransaction) => requests.push(tx))
  // Registered after the transaction layer's listener: a message counted here was already matched.
  return { port: tl.localAddressFor('tcp').port, requests, closed: collect(tl, 'connectionClosed'), messages: collect(tl, 'message') }
}

t.test('INVITE retransmitted on a new connection after the first closed: the last provisional and the final answer go there', async t => {
  const { port, requests, closed } = await stack(fn => t.teardown(fn))
  const via = `SIP/2.0/TCP 127.0.0.1:${await deadPort()};branch=z9hG4bK-reconnect`
  const invite = options({ method: 'INVITE', callId: 'reconnect', via })

  const first = await RawClient.connect(port)
  t.teardown(() => first.destroy())
  first.write(invite)
  await first.until(() => statusCodes(first.text).includes(100), 3000, '100 Trying')
  const tx = requests[0]
  t.ok(tx instanceof InviteServerTransaction)
  tx.respond(createResponse(tx.request, 180, 'Ringing', { toTag: 'uas-1' }))
  await first.until(() => statusCodes(first.text).includes(180), 3000, '180 on the first connection')

  first.destroy()
  await waitFor(() => closed.length === 1, 3000, 'the server saw the first connection close')

  const second = await RawClient.connect(port)
  t.teardown(() => second.destroy())
  second.write(invite)
  await second.until(() => statusCodes(second.text).includes(180), 3000, '180 repeated on the new connection')
  t.equal(requests.length, 1, 'a retransmission, not a new transaction')

  tx.respond(createResponse(tx.request, 486, 'Busy Here', { toTag: 'uas-1' }))
  await second.until(() => statusCodes(second.text).includes(486), 3000, 'the final response on the new connection')
  t.same(statusCodes(second.text), [180, 486])
})

t.test('non-INVITE retransmitted on a new connection gets its final response there', async t => {
  const { port, requests, closed, messages } = await stack(fn => t.teardown(fn))
  const via = `SIP/2.0/TCP 127.0.0.1:${await deadPort()};branch=z9hG4bK-nict`
  const msg = options({ callId: 'reconnect-options', via })
  const first = await RawClient.connect(port)
  t.teardown(() => first.destroy())
  first.write(msg)
  await waitFor(() => requests.length === 1, 3000, 'request')
  first.destroy()
  await waitFor(() => closed.length === 1, 3000, 'first connection closed')
  const second = await RawClient.connect(port)
  t.teardown(() => second.destroy())
  second.write(msg)
  // The retransmission is absorbed in Trying (§17.2.2); the TU's answer must find the new connection.
  await waitFor(() => messages.length === 2, 3000, 'the retransmission reached the transaction layer')
  const tx = requests[0]
  tx.respond(createResponse(tx.request, 200, 'OK', { toTag: 'uas-2' }))
  await second.until(() => statusCodes(second.text).includes(200), 3000, '200 on the new connection')
})
