// 2:1 / 1:2 anti-aliasing resampler between 8 kHz and 16 kHz: a polyphase half-band FIR
// (kTaps taps, Kaiser window beta 6.0, cutoff 0.25·fs_high) with history carried across calls, so chunk
// boundaries of any size (odd too) are seamless. No allocation per call; the state is a fixed array.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

class Resampler {
 public:
  enum class Direction { Up8kTo16k, Down16kTo8k };
  static constexpr int kTaps = 47;  // odd length half-band: every other tap except the centre is zero

  explicit Resampler(Direction dir);
  // Processes n input samples into out. Returns the number written (Up: 2n; Down: (n + pending) / 2 — an
  // odd leftover input sample is kept for the next call), or -1 if cap is too small (state untouched).
  int process(const int16_t* in, size_t n, int16_t* out, size_t cap);
  // Output samples that process(n) would write (for sizing).
  size_t outputFor(size_t n) const;
  void reset();
  Direction direction() const { return dir_; }
  const char* describe() const;  // "resample(8k->16k)"
  // Group delay in output samples (for aligning tests).
  static constexpr int kDelayHighRate = (kTaps - 1) / 2;

 private:
  Direction dir_;
  static constexpr int kRing = 64;  // power of two >= kTaps; stored twice so a window is contiguous
  float ring_[kRing * 2];
  int pos_ = 0;              // next write index in [0, kRing)
  bool pendingOdd_ = false;  // Down: one input sample waiting for its partner
};

// Filter design (exposed for tests): the kTaps half-band low-pass taps at the high rate, DC gain 1.0
// (upsampling multiplies by 2 inside process()).
const float* halfBandTaps();

}  // namespace tg
