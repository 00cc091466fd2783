// The jitter buffer fed an arbitrary sequence of pushes (seq, timestamp, SSRC, marker, arrival time,
// payload of any size) and pops at arbitrary times, with a PCMU or G.722 decoder behind it: every pop
// yields exactly one frame, the statistics stay consistent, nothing reads or writes out of bounds.
#include <memory>

#include "codec/audio_codec.h"
#include "dsp/jitter_buffer.h"
#include "fuzz-input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t setup = in.u8();
  auto decoder = tg::makeDecoder((setup & 1) ? tg::CodecId::G722 : tg::CodecId::PCMU);
  tg::JitterBufferConfig cfg;
  cfg.frameMs = (setup & 2) ? 10 : 20;
  cfg.minDelayMs = 20 + (setup >> 4) * 5;
  cfg.maxDelayMs = cfg.minDelayMs + 180;
  cfg.capacity = 8 + (setup & 0x0c) * 4;
  tg::JitterBuffer jb(cfg, decoder.get());
  static int16_t out[16 * 40];
  uint64_t now = 5000000;
  uint16_t seq = in.u16();
  uint32_t ts = in.u32();
  while (!in.done()) {
    const uint8_t op = in.u8();
    if (op < 160) {
      // Mostly in-order 20 ms packets with fuzzer-chosen deviations, so playout is reached.
      const uint8_t how = in.u8();
      if (how < 200) {
        seq = static_cast<uint16_t>(seq + 1), ts += 160;
      } else {
        seq = static_cast<uint16_t>(seq + in.u16()), ts += in.u32();
      }
      static uint8_t payload[800];
      const size_t len = (op & 3) == 0 ? in.bytes(payload, in.u16() % sizeof(payload)) : in.bytes(payload, 160);
      const uint32_t ssrc = (op & 0x40) != 0 ? in.u32() : 1;
      jb.push(seq, ts, ssrc, (op & 0x80) != 0, now, payload, len);
    } else {
      const tg::PopResult r = jb.pop(now, out, sizeof(out) / sizeof(out[0]));
      FUZZ_ASSERT(r.samples == jb.frameSamples());
      now += cfg.frameMs * 1000u;
    }
    now += in.u8() * 250u;
    const tg::JitterStats& s = jb.stats();
    FUZZ_ASSERT(s.played <= s.pushed);
  }
  return 0;
}
