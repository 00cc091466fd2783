// Registration to a real registrar: Kamailio (registrar, usrloc in memory, auth with an in-cfg subscriber table)
// on loopback UDP, started by the test. trunkgate registers with digest, refreshes before the short expiry the
// registrar grants, receives an INVITE the registrar delivers to its registered contact, refuses to loop on a
// wrong password, and removes its binding (Expires: 0) on shutdown.
import t from 'tap'
import { StaticAnswerCallHandler } from '../../src/call/static-answer-handler'
import { startServer, type RunningServer } from '../../src/server'
import { corePrelude, READY_LINE, startKamailio } from '../fixtures/kamailio/kamailio'
import { testConfig } from './helpers'
import { describeRun, freePort, runSipp } from './sipp-runner'

const API_KEY = 'registrar-test-key-0123456789'

function registrarCfg (port: number): string {
  return corePrelude([`udp:127.0.0.1:${port}`]) + `
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"

modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 1)
modparam("registrar", "max_expires", 4)
modparam("registrar", "default_expires", 4)

event_route[core:worker-one-init] { xlog("L_NOTICE", "${READY_LINE}\\n"); }

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("REGISTER")) {
    # The subscriber table: one carrier account.
    if ($fU == "carrier") { $var(pw) = "c0rrect horse"; } else { $var(pw) = "-"; }
    if (!pv_www_authenticate("$fd", "$var(pw)", "0")) {
      xlog("L_NOTICE", "TG-CHALLENGE $fU callid=$ci cseq=$cs\\n");
      www_challenge("$fd", "0");
      exit;
    }
    xlog("L_NOTICE", "TG-REGISTER $fU callid=$ci cseq=$cs expires=$hdr(Expires) contact=$ct\\n");
    if (!save("location")) { sl_reply_error(); }
    exit;
  }
  if (has_totag()) { t_relay(); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  if (is_method("INVITE")) {
    if (!lookup("location")) { sl_send_reply("404", "Not Registered"); exit; }
    xlog("L_NOTICE", "TG-LOOKUP $tU -> $ru\\n");
  }
  t_relay();
}
`
}

function trunkYaml (registrarPort: number): string {
  return `
  - name: carrier
    inbound: {acl: [127.0.0.0/8]}
    register: {username: carrier, password_env: TG_REGISTER_PASSWORD, domain: trunkgate.test, registrar: '127.0.0.1:${registrarPort}', expires: 60, contact_user: '+15550100', transport: udp}`
}

async function until (cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 20))
  return cond()
}

t.test('registration to Kamailio: digest, refresh, INVITE to the registered contact, un-REGISTER', async t => {
  const port = await freePort()
  const kamailio = await startKamailio(registrarCfg(port))
  t.teardown(kamailio.stop)
  const answered: string[] = []
  const config = testConfig({ udp: true, trunksYaml: trunkYaml(port) })
  config.api = { public_metrics: false, ...config.api, listen: { host: '127.0.0.1', port: 0 }, keys: [API_KEY] }
  let server: RunningServer | null = await startServer(config, {
    callHandler: new StaticAnswerCallHandler({ onAnswered: call => answered.push(call.phoneNumber) }),
    services: { env: { TG_REGISTER_PASSWORD: 'c0rrect horse' } }
  })
  t.teardown(async () => { await server?.close() })

  t.ok(await until(() => server!.registrations.all()[0]?.state === 'registered', 10_000), 'registered')
  const first = server.registrations.all()[0]
  t.equal(first.expires, 4, 'the registrar\'s max_expires was taken from its 200')
  t.match(kamailio.log(), /TG-CHALLENGE carrier/, 'the first REGISTER was challenged')
  // Refresh before expiry: the binding is renewed (same Call-ID, higher CSeq) before its 4 s run out.
  await kamailio.waitForLog(/(TG-REGISTER carrier[^\n]*\n[\s\S]*){2}/, 10_000)
  const regs = [...kamailio.log().matchAll(/TG-REGISTER carrier callid=(\S+) cseq=(\d+)/g)]
  t.equal(regs[0][1], regs[1][1], 'refresh keeps the Call-ID (§10.2.4)')
  t.ok(Number(regs[1][2]) > Number(regs[0][2]), 'and increases the CSeq')
  t.match(regs[0][0], /carrier/)
  t.match(kamailio.log(), /TG-REGISTER carrier [^\n]*contact=<sip:\+15550100@127\.0\.0\.1:\d+;transport=udp>/, 'Contact: the configured contact user on our UDP address')

  // A caller reaches trunkgate through the registrar: lookup("location") → our contact.
  const r = await runSipp({ scenario: 'uac-basic.xml', target: { host: '127.0.0.1', port }, transport: 'u1', service: 'carrier', calls: 2, rate: 10, pauseMs: 50 })
  t.equal(r.exitCode, 0, describeRun(r) + kamailio.log().slice(-1500))
  t.match(kamailio.log(), /TG-LOOKUP carrier -> sip:\+15550100@127\.0\.0\.1:\d+;transport=udp/)
  t.same(answered, ['+15550100', '+15550100'], 'routed by the contact user to the number')

  const metrics = (await server.services.metrics.text()).body
  t.match(metrics, /^trunkgate_trunk_registered\{trunk="carrier",state="registered"\} 1$/m, 'state in /metrics')
  const api = server.services.apiAddress!
  const trunks = await (await fetch(`http://127.0.0.1:${api.port}/v1/trunks`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()
  t.same(trunks, { trunks: [{ name: 'carrier', registration: { state: 'registered', expires: 4, last_status: 200, last_error: null, failures: 0 } }] }, 'GET /v1/trunks')

  // Shutdown removes the binding.
  const s = server
  server = null
  await s.close()
  await kamailio.waitForLog(/TG-REGISTER carrier [^\n]*expires=0 /, 5000)
  t.pass('un-REGISTER with Expires: 0 on shutdown')
})

t.test('a wrong password is not retried in a loop: one answer to the challenge, then failed with back-off', async t => {
  const port = await freePort()
  const kamailio = await startKamailio(registrarCfg(port))
  t.teardown(kamailio.stop)
  const server = await startServer(testConfig({ udp: true, trunksYaml: trunkYaml(port) }), { services: { env: { TG_REGISTER_PASSWORD: 'expired-password' } } })
  t.teardown(() => server.close())
  t.ok(await until(() => server.registrations.all()[0]?.state === 'failed', 10_000), 'failed')
  const st = server.registrations.all()[0]
  t.equal(st.lastStatus, 401)
  t.equal(st.failures, 1)
  // Kamailio's log reaches us through a pipe and may trail the 401 trunkgate already acted on.
  await kamailio.waitForLog(/TG-CHALLENGE carrier[\s\S]*TG-CHALLENGE carrier/)
  const challenges = [...kamailio.log().matchAll(/TG-CHALLENGE carrier/g)].length
  t.equal(challenges, 2, 'exactly two REGISTERs: without and with credentials, no loop')
  t.notMatch(kamailio.log(), /TG-REGISTER carrier/, 'never registered')
  const metrics = (await server.services.metrics.text()).body
  t.match(metrics, /^trunkgate_trunk_registered\{trunk="carrier",state="failed"\} 0$/m)
  t.match(metrics, /^trunkgate_trunk_registration_failures\{trunk="carrier"\} 1$/m)
})
