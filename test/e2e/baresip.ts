// Drives a real baresip (Debian baresip-core 1.0) as the trunk side of a call: a temporary config
// dir, SIP over TLS, SDES-SRTP, G.722, and the ctrl_tcp module for commands (netstring JSON) so a
// test can send DTMF and hang up while the call runs. The audio is looped inside baresip
// (aubridge player → aubridge source): what the gateway sends is what baresip sends back.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '../integration/sipp-runner'

export interface BaresipOptions {
  mediaenc: 'srtp-mand' | 'srtp' | ''
  codecs: string
  transport: 'tls' | 'tcp'
}

export class Baresip {
  private child: ChildProcess | null = null
  private readonly dir: string
  private ctrlPort = 0
  private readonly opts: BaresipOptions

  constructor (opts: BaresipOptions) {
    this.opts = opts
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-baresip-'))
  }

  /** The directory sndfile dumps decoded audio into (dump-*-dec.wav: what baresip heard). */
  get directory (): string { return this.dir }

  get log (): string {
    const f = path.join(this.dir, 'baresip.log')
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : ''
  }

  /** Starts baresip dialling `uri`; resolves once its control socket accepts commands. */
  async dial (uri: string): Promise<void> {
    this.ctrlPort = await freePort()
    fs.writeFileSync(path.join(this.dir, 'config'), [
      'poll_method epoll', 'sip_listen 127.0.0.1:0', 'net_interface 127.0.0.1',
      'audio_player aubridge,sink', 'audio_source ausine,440', 'audio_alert aubridge,alert',
      'ausrc_srate 48000', 'auplay_srate 48000', 'ausrc_channels 2', 'auplay_channels 2',
      'module_path /usr/lib/baresip/modules', 'module g711.so', 'module g722.so', 'module aubridge.so', 'module ausine.so', 'module srtp.so', 'module sndfile.so', `snd_path ${this.dir}`,
      'module_app account.so', 'module_app menu.so', 'module_app ctrl_tcp.so', `ctrl_tcp_listen 127.0.0.1:${this.ctrlPort}`, ''
    ].join('\n'))
    const params = [`audio_codecs=${this.opts.codecs}`, ...(this.opts.mediaenc ? [`mediaenc=${this.opts.mediaenc}`] : [])]
    fs.writeFileSync(path.join(this.dir, 'accounts'), `<sip:+15557000@127.0.0.1;transport=${this.opts.transport}>;regint=0;${params.join(';')}\n`)
    const out = fs.openSync(path.join(this.dir, 'baresip.log'), 'w')
    this.child = spawn('baresip', ['-v', '-f', this.dir, '-e', `/dial ${uri}`, '-t', '40'], { stdio: ['pipe', out, out] })
    fs.closeSync(out)
    for (let i = 0; i < 50; i++) {
      if (await this.ctrlReachable()) return
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    throw new Error(`baresip control socket not reachable:\n${this.log}`)
  }

  private ctrlReachable (): Promise<boolean> {
    return new Promise(resolve => {
      const s = net.connect(this.ctrlPort, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.on('error', () => resolve(false))
    })
  }

  /** One ctrl_tcp command (netstring-framed JSON); resolves with baresip's response text. */
  command (command: string, params = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.ctrlPort, '127.0.0.1')
      const json = JSON.stringify({ command, params, token: 'tg' })
      let reply = ''
      const timer = setTimeout(() => { s.destroy(); resolve(reply) }, 2000)
      s.on('connect', () => s.write(`${Buffer.byteLength(json)}:${json},`))
      s.on('data', d => {
        reply += d.toString()
        if (reply.includes('"response"')) { clearTimeout(timer); s.destroy(); resolve(reply) }
      })
      s.on('error', err => { clearTimeout(timer); reject(err) })
    })
  }

  /** Resolves when the log matches `re` (polling the log file), or rejects after timeoutMs. */
  async waitForLog (re: RegExp, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs
    while (Date.now() < until) {
      if (re.test(this.log)) return
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    throw new Error(`baresip log never matched ${re}:\n${this.log.slice(-3000)}`)
  }

  /** Stops our baresip (SIGTERM, then SIGKILL) and removes its directory. */
  async stop (): Promise<void> {
    const c = this.child
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>(resolve => c.once('exit', () => resolve()))
      c.kill('SIGTERM')
      const t = setTimeout(() => c.kill('SIGKILL'), 2000)
      await exited
      clearTimeout(t)
    }
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
