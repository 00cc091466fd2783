// N-party conference mixed at 16 kHz with mix-minus; the engine port makes JS a participant.
import { EventEmitter } from 'node:events'
import { checkInteger, checkPcm16 } from './media-args'
import { Leg } from './leg'
import type { NativeEvent, NativeMediaEngine } from './native'

export interface ConferenceHost {
  readonly native: NativeMediaEngine
  nextRequestId: () => number
  registerPort: (port: EnginePort) => void
  forget: (id: number) => void
}

// JS as a participant: play() speaks into the conference; 'frames' is what the conference says to it
// (everyone else, mix-minus). Same playout semantics as a leg: any chunk size, clear(), mark().
export class EnginePort extends EventEmitter {
  readonly id: number
  private readonly native: NativeMediaEngine
  private readonly host: ConferenceHost
  private readonly marks = new Map<number, unknown>()
  private closed = false
  conference: Conference | null = null

  constructor (host: ConferenceHost, id: number) {
    super()
    this.host = host
    this.native = host.native
    this.id = id
  }

  play (pcm16k: Int16Array | Buffer): number {
    if (this.closed) throw new Error('MEDIA_ERR_PORT_CLOSED: engine port is closed')
    return this.native.play(this.id, checkPcm16(pcm16k))
  }

  clear (): void {
    if (this.closed) throw new Error('MEDIA_ERR_PORT_CLOSED: engine port is closed')
    this.native.clear(this.id)
  }

  mark (id: unknown): void {
    if (this.closed) throw new Error('MEDIA_ERR_PORT_CLOSED: engine port is closed')
    const key = this.host.nextRequestId()
    if (!this.native.mark(this.id, key)) throw new Error('MEDIA_ERR_MARKS_FULL: too many pending marks')
    this.marks.set(key, id)
  }

  close (): void {
    if (this.closed) return
    if (this.conference !== null) this.conference.remove(this)
    this.closed = true
    this.native.portClose(this.id)
    this.host.forget(this.id)
  }

  /** @internal */
  deliverFrames (seq: number, pcm: Int16Array): void {
    this.emit('frames', { seq, frames: pcm.length / 320, pcm })
  }

  /** @internal */
  deliverEvent (ev: NativeEvent): void {
    if (ev.type === 'mark') {
      const id = this.marks.get(ev.markId)
      this.marks.delete(ev.markId)
      this.emit('mark', id, { flushed: ev.flushed })
    } else if (ev.type === 'playoutDone') {
      this.emit('playoutDone', { flushed: ev.flushed })
    }
  }
}

export type Participant = Leg | EnginePort

export class Conference {
  readonly id: number
  private readonly host: ConferenceHost
  private readonly members = new Set<Participant>()
  private readonly capacity: number
  private closed = false

  constructor (host: ConferenceHost, id: number, capacity = 64) {
    this.host = host
    this.id = id
    this.capacity = capacity
  }

  participants (): Participant[] { return [...this.members] }

  // whisperTo: this participant is heard by that one participant only (coach -> agent).
  add (participant: Participant, opts: { whisperTo?: Participant } = {}): void {
    if (this.closed) throw new Error('MEDIA_ERR_CONFERENCE_CLOSED: conference is closed')
    if (!(participant instanceof Leg) && !(participant instanceof EnginePort)) {
      throw new TypeError('participant must be a Leg or an EnginePort')
    }
    if (participant.conference !== null) throw new Error('MEDIA_ERR_BUSY: leg is already bridged or in a conference')
    if (participant instanceof Leg && participant.isClosed) throw new Error('MEDIA_ERR_LEG_CLOSED: leg is closed')
    let whisperTo = 0
    if (opts.whisperTo !== undefined) {
      if (!this.members.has(opts.whisperTo)) throw new RangeError('whisperTo must be a participant of this conference')
      whisperTo = opts.whisperTo.id
    }
    if (this.members.size >= this.capacity) throw new RangeError(`a conference holds at most ${this.capacity} participants`)
    this.host.native.conferenceAdd(this.id, participant.id, whisperTo)
    this.members.add(participant)
    participant.conference = this
  }

  remove (participant: Participant): void {
    if (!this.members.has(participant)) return
    this.members.delete(participant)
    participant.conference = null
    if (!this.closed) this.host.native.conferenceRemove(this.id, participant.id)
  }

  // The engine port: PCM to/from JS as one more participant.
  createPort (opts: { frameQueueFrames?: number } = {}): EnginePort {
    if (this.closed) throw new Error('MEDIA_ERR_CONFERENCE_CLOSED: conference is closed')
    const q = opts.frameQueueFrames === undefined ? 50 : checkInteger(opts.frameQueueFrames, 'frameQueueFrames', 2, 3000)
    const port = new EnginePort(this.host, this.host.native.portCreate(q))
    this.host.registerPort(port)
    return port
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    for (const p of this.members) p.conference = null
    this.members.clear()
    this.host.native.conferenceClose(this.id)
  }
}
