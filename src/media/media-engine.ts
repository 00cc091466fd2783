// The media engine facade: native media threads (20 ms clock, UDP sockets) driven from JS.
//   const engine = new MediaEngine({ portRange: [10000, 20000], bindAddress: '0.0.0.0', advertiseAddress: '203.0.113.5' })
//   const leg = engine.createLeg({ symmetric: true })
//   leg.setCodec({ name: 'PCMU', telephoneEventPayloadType: 101 }); leg.setRemote('198.51.100.7', 40000)
//   leg.on('frames', ({ seq, pcm }) => ...); leg.play(pcm16k)
import os from 'node:os'
import { Conference, EnginePort } from './conference'
import { Leg } from './leg'
import { checkBoolean, checkInteger, checkIp } from './media-args'
import { loadAddon, RUN_FIELDS, type NativeEngineStats, type NativeEvent, type NativeMediaEngine } from './native'

export interface MediaEngineOptions {
  portRange?: [number, number]       // even RTP ports, RTCP on +1 (default 10000-20000)
  bindAddress?: string               // where sockets bind (default 0.0.0.0)
  advertiseAddress?: string          // what goes into SDP (NAT); default bindAddress
  threads?: number                   // media threads (default: CPU cores)
  realtimePriority?: number          // SCHED_FIFO priority for media threads, 1-99 (needs CAP_SYS_NICE); 0 = off
  statsIntervalMs?: number           // emit 'stats' on every leg this often (0 = never; read leg.stats() instead)
  // 'paced' (default): packets built in a tick leave at the start of the next, at a fixed offset
  // from the 20 ms deadline (tight intervals under load, one frame more latency).
  // 'low-latency': packets leave as soon as they are built; their timing moves with the tick's load.
  pacing?: 'paced' | 'low-latency'
}

export interface LegOptions {
  rtcpMux?: boolean                  // RFC 5761
  symmetric?: boolean                // latch to the first valid source after setRemote (NAT)
  timeouts?: { beforeMediaMs?: number, afterMediaMs?: number }  // RTP timeout (default 30 s / 15 s, 0 = off)
  frames?: boolean                   // emit 'frames' (default true)
  frameQueueFrames?: number          // frames buffered for a slow event loop before drop-and-count (default 50)
  playoutQueueMs?: number            // playout queue capacity (default 16000; play() returns how much fitted)
  inbandDtmf?: boolean               // detect DTMF tones in the audio too
  sendSilence?: boolean              // send silence when nothing is queued (default true)
  jitter?: { minMs?: number, maxMs?: number }
}

export class MediaEngine {
  readonly native: NativeMediaEngine
  readonly advertiseAddress: string
  private readonly legs = new Map<number, Leg | EnginePort>()
  private requestId = 1
  private closed = false
  private statsTimer: NodeJS.Timeout | null = null

  constructor (opts: MediaEngineOptions = {}) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('options must be an object')
    const range = opts.portRange ?? [10000, 20000]
    if (!Array.isArray(range) || range.length !== 2) throw new TypeError('portRange must be [min, max]')
    const [min, max] = range
    checkInteger(min, 'portRange[0]', 1024, 65534)
    checkInteger(max, 'portRange[1]', 1025, 65535)
    if (max - min < 1) throw new RangeError('portRange must hold at least one even/odd port pair')
    const bindAddress = opts.bindAddress === undefined ? '0.0.0.0' : checkIp(opts.bindAddress, 'bindAddress')
    this.advertiseAddress = opts.advertiseAddress === undefined ? bindAddress : checkIp(opts.advertiseAddress, 'advertiseAddress')
    const threads = opts.threads === undefined ? os.availableParallelism() : checkInteger(opts.threads, 'threads', 1, 64)
    const realtimePriority = opts.realtimePriority === undefined ? 0 : checkInteger(opts.realtimePriority, 'realtimePriority', 0, 99)
    const pacing = opts.pacing ?? 'paced'
    if (pacing !== 'paced' && pacing !== 'low-latency') throw new RangeError("pacing must be 'paced' or 'low-latency'")
    const addon = loadAddon()
    this.native = new addon.MediaEngine(
      { minPort: min, maxPort: max, bindAddress, advertiseAddress: this.advertiseAddress, threads, realtimePriority, paced: pacing === 'paced' },
      (pcm, runs, events) => this.dispatch(pcm, runs, events))
    const statsMs = opts.statsIntervalMs === undefined ? 0 : checkInteger(opts.statsIntervalMs, 'statsIntervalMs', 0, 3600000)
    if (statsMs > 0) {
      this.statsTimer = setInterval(() => {
        for (const leg of this.legs.values()) if (leg instanceof Leg && leg.listenerCount('stats') > 0) leg.emit('stats', leg.stats())
      }, statsMs)
      this.statsTimer.unref()  // statistics alone never keep the process alive
    }
  }

  createLeg (opts: LegOptions = {}): Leg {
    this.live()
    if (typeof opts !== 'object' || opts === null) throw new TypeError('leg options must be an object')
    const t = opts.timeouts ?? {}
    const j = opts.jitter ?? {}
    const native = this.native.createLeg({
      rtcpMux: checkBoolean(opts.rtcpMux, 'rtcpMux', false),
      symmetric: checkBoolean(opts.symmetric, 'symmetric', false),
      timeoutBeforeMs: t.beforeMediaMs === undefined ? 30000 : checkInteger(t.beforeMediaMs, 'timeouts.beforeMediaMs', 0, 3600000),
      timeoutAfterMs: t.afterMediaMs === undefined ? 15000 : checkInteger(t.afterMediaMs, 'timeouts.afterMediaMs', 0, 3600000),
      frames: checkBoolean(opts.frames, 'frames', true),
      frameQueueFrames: opts.frameQueueFrames === undefined ? 50 : checkInteger(opts.frameQueueFrames, 'frameQueueFrames', 2, 3000),
      playoutQueueMs: opts.playoutQueueMs === undefined ? 16000 : checkInteger(opts.playoutQueueMs, 'playoutQueueMs', 100, 600000),
      inbandDtmf: checkBoolean(opts.inbandDtmf, 'inbandDtmf', false),
      sendSilence: checkBoolean(opts.sendSilence, 'sendSilence', true),
      jitterMinMs: j.minMs === undefined ? 20 : checkInteger(j.minMs, 'jitter.minMs', 0, 1000),
      jitterMaxMs: j.maxMs === undefined ? 200 : checkInteger(j.maxMs, 'jitter.maxMs', 20, 2000)
    })
    const leg = new Leg(this.host(), native.id, native.port, native.address)
    this.legs.set(leg.id, leg)
    return leg
  }

  createConference (): Conference {
    return this.makeConference(64)
  }

  private makeConference (capacity: number): Conference {
    this.live()
    return new Conference(this.host(), this.native.conferenceCreate(capacity), capacity)
  }

  stats (): NativeEngineStats {
    this.live()
    return this.native.engineStats()
  }

  get legCount (): number { return this.legs.size }

  close (): void {
    if (this.closed) return
    this.closed = true
    if (this.statsTimer !== null) clearInterval(this.statsTimer)
    this.native.close()
    this.legs.clear()
  }

  private live (): void {
    if (this.closed) throw new Error('MEDIA_ERR_CLOSED: media engine is closed')
  }

  private host (): { native: NativeMediaEngine, nextRequestId: () => number, forget: (id: number) => void, createConference: (capacity: number) => Conference, registerPort: (p: EnginePort) => void } {
    return {
      native: this.native,
      nextRequestId: () => this.requestId++,
      forget: (id: number) => { this.legs.delete(id) },
      createConference: (capacity: number) => this.makeConference(capacity),
      registerPort: (p: EnginePort) => { this.legs.set(p.id, p) }
    }
  }

  // One wake of the media threads: every leg's frames in one array (each leg gets a view of its run),
  // then the events, in the order the media threads queued them.
  private dispatch (pcm: Int16Array, runs: Uint32Array, events: NativeEvent[]): void {
    for (let i = 0; i < runs.length; i += RUN_FIELDS) {
      const offset = runs[i + 3]
      this.legs.get(runs[i])?.deliverFrames(runs[i + 1], pcm.subarray(offset, offset + runs[i + 2] * 320))
    }
    for (const ev of events) this.legs.get(ev.id)?.deliverEvent(ev)
  }
}

export { Leg, inbandDtmfWanted, type InbandDtmfMode } from './leg'
export { Conference, EnginePort } from './conference'
