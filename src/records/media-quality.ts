// Media quality of a call from the RTP leg's receive statistics (RFC 3550 A.3 loss, A.8 jitter, RTCP RTT).
import type { MediaQuality } from './call-record'
import { estimateMos } from './mos'

export interface RtpReceiveStats {
  packetsReceived: number
  packetsSent: number
  packetsLost: number
  jitterMs: number
  /** Negative (the native core's "no RTCP round trip yet") or NaN means unknown. */
  rttMs: number
  codec?: string
  srtp?: string | null
}

export function mediaQualityOf (s: RtpReceiveStats, ptimeMs = 20): MediaQuality {
  const lost = Math.max(0, s.packetsLost)
  const expected = s.packetsReceived + lost
  const rtt = Number.isFinite(s.rttMs) && s.rttMs >= 0 ? Math.round(s.rttMs * 10) / 10 : null
  const lossPercent = expected === 0 ? 0 : Math.round((lost / expected) * 10000) / 100
  return {
    packetsReceived: s.packetsReceived,
    packetsSent: s.packetsSent,
    packetsLost: lost,
    lossPercent,
    jitterMs: Math.round(s.jitterMs * 10) / 10,
    rttMs: rtt,
    // Unknown RTT counts as none in the E-model (the delay impairment then comes from jitter and ptime).
    mos: s.packetsReceived > 0 ? estimateMos({ lossPercent, jitterMs: s.jitterMs, rttMs: rtt ?? 0, ptimeMs }) : null,
    ...(s.codec !== undefined ? { codec: s.codec } : {}),
    ...(s.srtp !== undefined ? { srtp: s.srtp } : {})
  }
}
