#include "dsp/rate_converter.h"

#include <cmath>
#include <cstring>

namespace tg {

namespace {
bool knownRate(uint32_t r) { return r == 8000 || r == 16000 || r == 24000 || r == 48000; }
uint32_t gcd(uint32_t a, uint32_t b) {
  while (b != 0) {
    const uint32_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}
// Zeroth-order modified Bessel function (Kaiser window), series to convergence.
double besselI0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}
constexpr double kBeta = 8.0;         // ~80 dB stopband
// Total taps = 48 x max(L, M): a transition band from 0.44 to 0.56 x the lower rate at ~80 dB (Kaiser's
// N = (A - 8) / (2.285 dw)), so 3.4 kHz (8 kHz side) and 7 kHz (16 kHz side) pass flat and whatever would
// alias lands above the passband edge, attenuated.
constexpr size_t kTapsPerRatio = 48;
}  // namespace

bool RateConverter::supported(uint32_t inRate, uint32_t outRate) {
  return knownRate(inRate) && knownRate(outRate) && inRate != outRate;
}

RateConverter::RateConverter(uint32_t inRate, uint32_t outRate) : inRate_(inRate), outRate_(outRate) {
  const uint32_t g = gcd(inRate, outRate);
  up_ = outRate / g;
  down_ = inRate / g;
  const size_t total0 = kTapsPerRatio * (up_ > down_ ? up_ : down_);
  taps_ = (total0 + up_ - 1) / up_;
  const size_t total = taps_ * up_;
  h_.reset(new float[total]);
  hist_.reset(new float[taps_ - 1 + kBlock]);
  // Prototype at inRate * L, cut (-6 dB) at half the lower rate: its Nyquist.
  const double fs = static_cast<double>(inRate) * up_;
  const double fc = 0.5 * (inRate < outRate ? inRate : outRate) / fs;  // cycles per sample
  const double mid = (static_cast<double>(total) - 1) / 2;
  const double i0b = besselI0(kBeta);
  for (size_t j = 0; j < total; ++j) {
    const double x = static_cast<double>(j) - mid;
    const double sinc = x == 0 ? 2 * fc : std::sin(2 * M_PI * fc * x) / (M_PI * x);
    const double r = x / (mid + 0.5);
    const double w = besselI0(kBeta * std::sqrt(1 - r * r)) / i0b;
    // Phase p, tap k holds prototype index p + k L (zero-stuffing: each phase sees every L-th tap).
    h_[(j % up_) * taps_ + j / up_] = static_cast<float>(sinc * w * up_);
  }
  reset();
}

void RateConverter::reset() {
  std::memset(hist_.get(), 0, sizeof(float) * (taps_ - 1 + kBlock));
  pos_ = 0;
}

size_t RateConverter::outputFor(size_t n) const {
  const uint64_t end = static_cast<uint64_t>(n) * up_;
  return end > pos_ ? static_cast<size_t>((end - pos_ + down_ - 1) / down_) : 0;
}

int RateConverter::process(const int16_t* in, size_t n, int16_t* out, size_t cap) {
  if (outputFor(n) > cap) return -1;
  size_t written = 0;
  float* x = hist_.get();
  const size_t h = taps_ - 1;
  for (size_t off = 0; off < n; off += kBlock) {
    const size_t m = n - off < kBlock ? n - off : kBlock;
    for (size_t i = 0; i < m; ++i) x[h + i] = in[off + i];
    const uint64_t end = static_cast<uint64_t>(m) * up_;
    for (; pos_ < end; pos_ += down_) {
      const size_t base = h + static_cast<size_t>(pos_ / up_);  // newest input this output sees
      const float* taps = h_.get() + static_cast<size_t>(pos_ % up_) * taps_;
      float acc = 0;
      for (size_t k = 0; k < taps_; ++k) acc += taps[k] * x[base - k];
      const long v = std::lrint(acc);
      out[written++] = static_cast<int16_t>(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
    }
    pos_ -= end;
    std::memmove(x, x + m, sizeof(float) * h);
  }
  return static_cast<int>(written);
}

}  // namespace tg
