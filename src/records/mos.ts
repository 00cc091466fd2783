// Estimated MOS from RTP statistics with the ITU-T G.107 E-model, simplified the usual way for VoIP
// monitoring: all impairments at their G.107 defaults except the ones we measure — delay (Id) and
// equipment impairment under loss (Ie-eff).
//
//   R = Ro - Is - Id - Ie-eff + A, with the G.107 defaults giving Ro - Is = 93.2 and A = 0 (§7.1)
//   Id ≈ 0.024·Ta + 0.11·(Ta - 177.3)·H(Ta - 177.3)     (the common Cole–Rosenbluth fit of G.107 §7.4)
//   Ie-eff = Ie + (95 - Ie) · Ppl / (Ppl/BurstR + Bpl)  (G.107 §7.5, eq. 7-29)
//   MOS = 1 + 0.035·R + R·(R - 60)·(100 - R)·7·10⁻⁶ for 0 < R < 100 (G.107 Annex B, eq. B-4)
//
// Ta, the one-way mouth-to-ear delay, is estimated as RTT/2 + jitter buffer (2 × interarrival jitter)
// + one packet time + codec look-ahead. Ie/Bpl come from ITU-T G.113 Appendix I: G.711 with packet
// loss concealment Ie = 0, Bpl = 25.1 (the media core runs spandsp PLC); G.722 is scored on the same
// narrow-band scale since G.107.1 wideband ratings are not comparable with the usual 1–4.5 MOS.

export interface MosInput {
  lossPercent: number
  jitterMs: number
  rttMs: number
  /** Packet time in ms (default 20). */
  ptimeMs?: number
  /** Random loss = 1 (default); bursty loss > 1. */
  burstRatio?: number
}

const IE = 0
const BPL = 25.1
const CODEC_DELAY_MS = 5

export function rFactor (input: MosInput): number {
  const ppl = clamp(finite(input.lossPercent), 0, 100)
  const burst = Math.max(1, finite(input.burstRatio ?? 1))
  const ta = Math.max(0, finite(input.rttMs)) / 2 + 2 * Math.max(0, finite(input.jitterMs)) + (input.ptimeMs ?? 20) + CODEC_DELAY_MS
  const id = 0.024 * ta + (ta > 177.3 ? 0.11 * (ta - 177.3) : 0)
  const ieEff = IE + (95 - IE) * ppl / (ppl / burst + BPL)
  return 93.2 - id - ieEff
}

/** MOS-CQE from the R factor (G.107 Annex B). */
export function mosFromR (r: number): number {
  if (r <= 0) return 1
  if (r >= 100) return 4.5
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6
}

/** Rounded to two decimals, as shown in records. */
export function estimateMos (input: MosInput): number {
  return Math.round(mosFromR(rFactor(input)) * 100) / 100
}

function finite (v: number): number { return Number.isFinite(v) ? v : 0 }
function clamp (v: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, v)) }
