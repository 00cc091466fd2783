// Rational polyphase resampler between the rates trunkgate meets: 8 kHz (G.711, μ-law engines), 16 kHz
// (the internal format), 24 kHz (realtime-LLM engine audio) and 48 kHz (Opus capture, WebRTC). Any pair of
// them is L/M with small L and M (16k->24k = 3/2, 48k->16k = 1/3 ...). One windowed-sinc low-pass
// (Kaiser, beta 8) at the upsampled rate, passband to 0.44 and stopband from 0.56 x the lower of the two rates
// (what folds back lands above the passband), split into L phases;
// each output is one phase's dot product with the input history. The 8k<->16k pair keeps its dedicated
// half-band Resampler (resampler.h), which the codecs use.
//
// Streaming: history and the output position carry across calls, so chunks of any size give exactly the
// one-shot output (each output is the same sum over the same inputs in the same order). The filter and
// the history are allocated by the constructor (setup time); process() never allocates.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg {

class RateConverter {
 public:
  // False if either rate is not one of 8000, 16000, 24000, 48000, or they are equal.
  static bool supported(uint32_t inRate, uint32_t outRate);
  RateConverter(uint32_t inRate, uint32_t outRate);  // must be supported()
  // Converts n input samples. Returns the number of output samples written, or -1 if cap is too small for
  // outputFor(n) (nothing consumed then).
  int process(const int16_t* in, size_t n, int16_t* out, size_t cap);
  // Exact number of outputs the next process(n) writes.
  size_t outputFor(size_t n) const;
  void reset();
  uint32_t inRate() const { return inRate_; }
  uint32_t outRate() const { return outRate_; }
  size_t tapsPerPhase() const { return taps_; }

  static constexpr size_t kBlock = 480;  // input samples per inner block (10 ms at 48 kHz)

 private:
  uint32_t inRate_, outRate_;
  uint32_t up_, down_;       // L and M
  size_t taps_;              // per phase
  std::unique_ptr<float[]> h_;     // up_ phases x taps_, phase-major, gain L folded in
  std::unique_ptr<float[]> hist_;  // taps_ - 1 history samples, then up to kBlock new ones
  uint64_t pos_ = 0;         // next output's position in upsampled units, from the first new input
};

}  // namespace tg
