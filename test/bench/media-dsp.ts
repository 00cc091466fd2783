// Per-frame costs of the DSP building blocks, timed inside C++ (src/media/dsp.ts nativeBench) so N-API call
// overhead is excluded. `npm run bench -- media-dsp [scale]` prints `key value` lines (microseconds).
// Frame = 20 ms: g711_dec = PCMU 160 octets -> 320 samples at 16 kHz (incl. 8k->16k resampler);
// g722_enc = 320 samples -> 160 octets; resample = 320 samples 16k->8k; resample_up = 160 samples 8k->16k; srtp_protect = 172-octet RTP
// packet AES_CM_128_HMAC_SHA1_80 (incl. header marshal); jitter = push + pop (PCMU decode + PLC);
// mix = one 10-party mix-minus cycle divided by 10; rtp_parse / rtcp_parse = one packet (SR + SDES);
// opus_enc / opus_dec = one 20 ms frame at 16 kHz (VOIP, FEC on); rate_A_B = 20 ms of A kHz audio through the
// rational converter to B kHz (the 24 kHz engine paths and Opus' 48 kHz).
import { nativeBench } from '../../src/media/dsp'

const CASES = [
  ['media.g711_dec_us', 'g711_dec', 200_000],
  ['media.g722_enc_us', 'g722_enc', 50_000],
  ['media.resample_us', 'resample', 200_000],
  ['media.resample_up_us', 'resample_up', 200_000],
  ['media.srtp_protect_us', 'srtp_protect', 200_000],
  ['media.jitter_us', 'jitter', 100_000],
  ['media.mix_us_per_participant', 'mix', 20_000],
  ['media.rtp_parse_us', 'rtp_parse', 2_000_000],
  ['media.rtcp_parse_us', 'rtcp_parse', 1_000_000],
  ['media.opus_enc_us', 'opus_enc', 5_000],
  ['media.opus_dec_us', 'opus_dec', 20_000],
  ['media.rate_16_24_us', 'rate_16_24', 50_000],
  ['media.rate_24_16_us', 'rate_24_16', 50_000],
  ['media.rate_8_24_us', 'rate_8_24', 50_000],
  ['media.rate_24_8_us', 'rate_24_8', 50_000],
  ['media.rate_16_48_us', 'rate_16_48', 50_000],
  ['media.rate_48_16_us', 'rate_48_16', 50_000]
] as const

export async function run (args: string[]): Promise<void> {
  const scale = args[0] !== undefined ? Number(args[0]) : 1
  if (!(scale > 0)) throw new RangeError('scale must be a positive number')
  for (const [key, name, iterations] of CASES) {
    nativeBench(name, Math.max(1, Math.round(iterations * scale / 10))) // warm-up: tables, caches, CPU clock
    const runs = [0, 1, 2].map(() => nativeBench(name, Math.max(1, Math.round(iterations * scale))))
    console.log(`${key} ${Math.min(...runs).toFixed(3)}`) // best of three: least disturbed by other load
  }
}
