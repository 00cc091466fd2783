// What a caller hears when the agent cannot talk (engine_unavailable: answer_and_hangup): the
// ITU-T E.180 / Q.35 special information tone — 950, 1400, 1800 Hz, 330 ms each — which people
// and answering machines alike recognise as "the call cannot be completed", played twice.
const RATE = 16000

export function specialInformationTone (repeats = 2): Int16Array {
  const seg = Math.round(0.33 * RATE)
  const gap = Math.round(1.0 * RATE)
  const freqs = [950, 1400, 1800]
  const out = new Int16Array(repeats * (freqs.length * seg + gap))
  let o = 0
  for (let r = 0; r < repeats; r++) {
    for (const f of freqs) {
      for (let i = 0; i < seg; i++) {
        // 5 ms raised-cosine ramps so the segment edges do not click.
        const ramp = Math.min(1, i / 80, (seg - i) / 80)
        out[o++] = Math.round(8000 * ramp * Math.sin(2 * Math.PI * f * i / RATE))
      }
    }
    o += gap
  }
  return out
}
