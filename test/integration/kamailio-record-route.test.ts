// RFC 3261 §12.1.1 with a real record-routing proxy: SIPp (the trunk) → Kamailio → trunkgate over TCP on
// loopback. The proxy refuses in-dialog requests that do not carry its Route (404), and logs every request it
// loose-routes, so the test sees that the carrier's ACK, re-INVITE and BYE went through the proxy.
import t from 'tap'
import { StaticAnswerCallHandler } from '../../src/call/static-answer-handler'
import { startServer } from '../../src/server'
import { corePrelude, READY_LINE, startKamailio } from '../fixtures/kamailio/kamailio'
import { testConfig } from './helpers'
import { describeRun, freePort, runSipp } from './sipp-runner'

function proxyCfg (port: number, trunkgatePort: number): string {
  return corePrelude([`tcp:127.0.0.1:${port}`]) + `
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"

event_route[core:worker-one-init] { xlog("L_NOTICE", "${READY_LINE}\\n"); }

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  if (has_totag()) {
    if (loose_route()) {
      xlog("L_NOTICE", "TG-LOOSE-ROUTE $rm cseq=$cs to $ru\\n");
      t_relay();
      exit;
    }
    xlog("L_NOTICE", "TG-NO-ROUTE $rm cseq=$cs\\n");
    if (!is_method("ACK")) { sl_send_reply("404", "Not Here Without Route"); }
    exit;
  }
  t_check_trans();
  record_route();
  xlog("L_NOTICE", "TG-INITIAL $rm\\n");
  $du = "sip:127.0.0.1:${trunkgatePort};transport=tcp";
  if (!t_relay()) { sl_reply_error(); }
}
`
}

t.test('Kamailio in front: ACK, re-INVITE and BYE from the trunk go through the record-routing proxy', async (t) => {
  const answered: string[] = []
  const server = await startServer(testConfig(), {
    callHandler: new StaticAnswerCallHandler({ onAnswered: (call) => answered.push(call.phoneNumber) })
  })
  t.teardown(() => server.close())
  const proxyPort = await freePort()
  const kamailio = await startKamailio(proxyCfg(proxyPort, server.ports.tcp!))
  t.teardown(kamailio.stop)

  const r = await runSipp({ scenario: 'uac-via-proxy.xml', target: { host: '127.0.0.1', port: proxyPort }, service: '+15550100', calls: 2, rate: 10, pauseMs: 100, substitutions: { CHECK_RR: 'true' } })
  t.equal(r.exitCode, 0, describeRun(r) + `\n--- kamailio ---\n${kamailio.log().slice(-2000)}`)
  t.equal(r.successfulCalls, 2)
  t.same(answered, ['+15550100', '+15550100'])
  await kamailio.waitForLog(/(TG-LOOSE-ROUTE BYE[^\n]*\n[\s\S]*){2}/)
  const log = kamailio.log()
  const routed = [...log.matchAll(/TG-LOOSE-ROUTE (\w+) cseq=(\d+)/g)].map((m) => `${m[2]} ${m[1]}`)
  for (const step of ['1 ACK', '2 INVITE', '2 ACK', '3 BYE']) {
    t.equal(routed.filter((s) => s === step).length, 2, `each call's ${step} was loose-routed by Kamailio`)
  }
  t.notMatch(log, /TG-NO-ROUTE/, 'no in-dialog request reached the proxy without its Route')
  t.match(routed.join(','), /ACK/, 'the ACK for the 2xx was seen by the proxy')
})
