// Media quality of a call from the RTP leg's receive statistics (RFC 3550 A.3 loss, A.8 jitter, RTCP RTT).
import type { MediaQuality } from './call-record'
import { estimateMos } from './mos'

export interface RtpReceiveStats {
  packetsReceived: number
  packetsSent: number
  packetsLost: number
  jitterMs: number
  rttMs: number
}

export function mediaQualityOf (s: RtpReceiveStats, ptimeMs = 20): MediaQuality {
  const lost = Math.max(0, s.packetsLost)
  const expected = s.packetsReceived + lost
  const lossPercent = expected === 0 ? 0 : Math.round((lost / expected) * 10000) / 100
  return {
    packetsReceived: s.packetsReceived,
    packetsSent: s.packetsSent,
    packetsLost: lost,
    lossPercent,
    jitterMs: Math.round(s.jitterMs * 10) / 10,
    rttMs: Math.round(s.rttMs * 10) / 10,
    mos: s.packetsReceived > 0 ? estimateMos({ lossPercent, jitterMs: s.jitterMs, rttMs: s.rttMs, ptimeMs }) : null
  }
}
