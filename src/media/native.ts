// Loads the native addon. src/media is the only place that touches build/Release/trunkgate_media.node
// (STYLE.md); everything else goes through the typed facades.
import path from 'node:path'

export interface NativeLegStats {
  packetsReceived: number, bytesReceived: number, packetsSent: number, bytesSent: number
  packetsLost: number, jitterMs: number, rttMs: number, srtpFailures: number, unexpectedSource: number
  malformed: number, unknownPayloadType: number, rtcpSent: number, rtcpReceived: number, dtmfReceived: number
  framesToJs: number, framesDropped: number, timeouts: number, remoteSsrc: number, localSsrc: number
  remoteFractionLost: number, remoteJitterMs: number, remotePacketsLost: number, playoutQueuedMs: number
  latched: boolean, rejectedSources: number, sendErrors: number
  jitterBuffer: {
    currentDelayMs: number, targetDelayMs: number, pushed: number, played: number, lateLosses: number, lost: number
    concealedSamples: number, underflows: number, overflows: number, duplicates: number, reorders: number
    droppedFrames: number, insertedFrames: number, resets: number, decodeErrors: number, fecFrames: number
  }
}

export interface NativeWorkerStats {
  legs: number, realtime: boolean, ticks: number, skippedTicks: number, busyMs: number, maxLateMs: number
  failedWakes: number, epollErrors: number, receiveBudgetHits: number
  lateHist100us: number[], busyHist100us: number[], sendStartHist100us: number[]
}

export interface NativeEngineStats {
  threads: number, legs: number, droppedEvents: number, portsInUse: number
  /** Port pairs released by a media thread instead of the JS thread (must stay 0). */
  foreignPortReleases: number
  workers: NativeWorkerStats[]
}

export type NativeEvent =
  | { id: number, type: 'dtmf', digit: string, durationMs: number, source: 'rfc4733' | 'inband' }
  | { id: number, type: 'mark', markId: number, flushed: boolean }
  | { id: number, type: 'timeout', afterMedia: boolean, silentMs: number }
  | { id: number, type: 'dtmfDone', requestId: number }
  | { id: number, type: 'playoutDone', flushed: boolean }

/** Runs of frames of one wake: 4 numbers per run (id, firstSeq, frames, offset in samples into the wake's pcm). */
export const RUN_FIELDS = 4

export interface NativeLegOptions {
  rtcpMux: boolean, symmetric: boolean, timeoutBeforeMs: number, timeoutAfterMs: number, frames: boolean
  frameQueueFrames: number, playoutQueueMs: number, inbandDtmf: boolean, sendSilence: boolean, jitterMinMs: number, jitterMaxMs: number
}

export interface NativeMediaEngine {
  createLeg (opts: NativeLegOptions): { id: number, port: number, address: string }
  legSetRemote (id: number, host: string, port: number, rtcpHost: string, rtcpPort: number): void
  legSetCodec (id: number, codec: string, payloadType: number, telephoneEventPt: number, ptimeMs: number,
    encoder?: { inbandFec: boolean, maxPlaybackRate: number }): void
  legSetSrtp (id: number, suite: string | null, txKeySalt?: Buffer, rxKeySalt?: Buffer): void
  legSetDirection (id: number, direction: number): void
  legSetInbandDtmf (id: number, on: boolean): void
  play (id: number, pcm: Int16Array | Buffer): number  // Buffer: s16le bytes at any offset
  clear (id: number): void
  mark (id: number, markId: number): boolean
  queued (id: number): number
  legSendDtmf (id: number, digits: string, mode: 'rfc4733' | 'inband', toneMs: number, gapMs: number, requestId: number): void
  legStats (id: number): NativeLegStats
  legClose (id: number): void
  conferenceCreate (capacity?: number): number
  conferenceAdd (conferenceId: number, participantId: number, whisperTo: number): void
  conferenceRemove (conferenceId: number, participantId: number): void
  conferenceClose (conferenceId: number): void
  portCreate (frameQueueFrames: number): number
  portClose (id: number): void
  engineStats (): NativeEngineStats
  close (): void
}

export interface NativeAddon {
  version: string
  codecs: ReadonlyArray<import('./codec-registry').CodecEntry>
  MediaEngine: new (config: { minPort: number, maxPort: number, bindAddress: string, advertiseAddress: string, threads: number, realtimePriority: number, paced: boolean },
    onMedia: (pcm: Int16Array, runs: Uint32Array, events: NativeEvent[]) => void) => NativeMediaEngine
}

let cached: NativeAddon | undefined

export function loadAddon (): NativeAddon {
  if (cached === undefined) {
    // dist/src/media or src/media: the repo root is two levels up from src/.
    const root = __dirname.includes(`${path.sep}dist${path.sep}`)
      ? path.resolve(__dirname, '..', '..', '..')
      : path.resolve(__dirname, '..', '..')
    // TRUNKGATE_MEDIA_ADDON: an alternative build (the ASan/UBSan test builds one outside build/).
    const file = process.env.TRUNKGATE_MEDIA_ADDON ?? path.join(root, 'build', 'Release', 'trunkgate_media.node')
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    cached = require(file) as NativeAddon
  }
  return cached
}
