// 2:1 / 1:2 anti-aliasing resampler between 8 kHz and 16 kHz: a polyphase half-band FIR
// (kTaps taps, Kaiser window beta 6.0, cutoff 0.25·fs_high) with history carried across calls, so chunk
// boundaries of any size (odd too) are seamless. No allocation per call; history and scratch are fixed
// member arrays.
//
// Block-wise: each call converts its input (in blocks of up to kBlock low-rate samples) into float scratch
// placed right after the carried history, then computes every output of the block in one loop over the
// output index with the tap loop unrolled, which GCC vectorises at the x86-64 baseline (SSE2; 4 outputs per
// instruction) and, where the CPU has it, in an AVX2 clone (8 outputs). The per-output summation order is
// the same as the textbook per-sample form (centre term first, then the folded side-tap pairs in order),
// and no FMA contraction is allowed, so both kernels are bit-identical to it (native/test/dsp_test.cc).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

class Resampler {
 public:
  enum class Direction { Up8kTo16k, Down16kTo8k };
  // Which compiled kernel runs: chosen once per instance from the CPU (Auto); tests force each one.
  enum class Kernel { Auto, Baseline, Avx2 };
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

  // Tests only: run a specific kernel. Returns false (and changes nothing) for Avx2 on a CPU without AVX2.
  bool setKernelForTest(Kernel k);
  Kernel kernel() const { return kernel_; }  // the one in use (never Auto)

  // Low-rate samples per inner block: a 20 ms frame (160 low-rate samples: 160 in at 8 kHz, or 320 in at
  // 16 kHz) and a 30 ms one (240) fit in one block; longer inputs loop over blocks.
  static constexpr int kBlock = 256;

 private:
  // Low-rate history the filter needs before a block: the folded side taps span 24 low-rate samples
  // (23 of history), rounded up to 24 so the block starts 16-byte aligned.
  static constexpr int kHist = 24;
  void upBlock(const int16_t* in, size_t m, int16_t* out);
  void downBlock(size_t m, int16_t* out);
  void shiftHistory(size_t m);

  Direction dir_;
  Kernel kernel_ = Kernel::Baseline;
  // Up: the 8 kHz input. Down: the second sample of every 16 kHz input pair (the phase the side taps see).
  alignas(32) float x_[kHist + kBlock];
  // Down only: the first sample of every input pair (the phase the centre tap sees).
  alignas(32) float c_[kHist + kBlock];
  // Outputs of a block in float, before rounding and the saturating int16 store: up to 2·kBlock (Up).
  alignas(32) float y_[2 * kBlock];
  float pending_ = 0;        // Down: the odd leftover input sample, waiting for its partner
  bool pendingOdd_ = false;  // Down: pending_ holds a sample
};

// Filter design (exposed for tests): the kTaps half-band low-pass taps at the high rate, DC gain 1.0
// (upsampling multiplies by 2 inside process()).
const float* halfBandTaps();

}  // namespace tg
