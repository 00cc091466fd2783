// The files docker/compose.yaml runs are valid as shipped: the node configuration passes trunkgate's
// validator, Kamailio accepts kamailio.cfg (its config check, with the dispatcher list of the compose
// file), and that list names nodes the way the cfg's dispatcher set expects.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config'
import { KAMAILIO, KAMAILIO_MODULES, SHIPPED_CFG, templatedCfg } from './kamailio-process'

const DOCKER = path.resolve(__dirname, '..', '..', 'docker')

t.test('docker/node.yaml is a valid node configuration for the compose cluster', async t => {
  const config = loadConfig(path.join(DOCKER, 'node.yaml'))
  t.equal(config.records?.type, 'postgres', 'shared records')
  t.same(config.sip.trusted_proxies, ['172.28.0.10'], 'Kamailio (compose address) is the trusted proxy')
  const compose = fs.readFileSync(path.join(DOCKER, 'compose.yaml'), 'utf8')
  t.match(compose, /ipv4_address: 172\.28\.0\.10/, 'compose gives Kamailio that address')
  t.ok(/stop_grace_period: (\d+)s/.exec(compose) && Number(/stop_grace_period: (\d+)s/.exec(compose)?.[1]) > config.shutdown.drain_timeout_s,
    'Docker waits longer than the drain before SIGKILL')
})

t.test('docker/kamailio.cfg passes kamailio -c with docker/dispatcher.list', async t => {
  const list = fs.readFileSync(path.join(DOCKER, 'dispatcher.list'), 'utf8').split('\n').filter(l => l.trim() && !l.startsWith('#'))
  t.ok(list.length >= 2, 'two nodes listed')
  for (const l of list) t.match(l, /^1 sip:[0-9.]+:\d+;transport=tcp$/, `set 1, TCP: ${l}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-kamcfg-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, 'kamailio.cfg'), templatedCfg('127.0.0.1', 5060, path.join(DOCKER, 'dispatcher.list')))
  const r = spawnSync(KAMAILIO, ['-c', '-f', path.join(dir, 'kamailio.cfg'), '-L', KAMAILIO_MODULES], { encoding: 'utf8', timeout: 20000 })
  t.equal(r.status, 0, `kamailio -c ${SHIPPED_CFG}: ${r.stderr.slice(-2000)}`)
  t.match(r.stderr + r.stdout, /config file ok/)
})
