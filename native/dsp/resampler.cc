#include "dsp/resampler.h"

#include <cmath>
#include <cstring>

namespace tg {

namespace {

constexpr int kCentre = (Resampler::kTaps - 1) / 2;  // 23: odd, so even-indexed taps are the side taps
constexpr double kBeta = 6.0;                          // Kaiser beta: ~60 dB stopband for this length

double besselI0(double x) {
  double sum = 1.0, term = 1.0;
  for (int k = 1; k < 40; k++) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
  }
  return sum;
}

struct Design {
  float taps[Resampler::kTaps];
  Design() {
    double sum = 0;
    double h[Resampler::kTaps];
    for (int k = 0; k < Resampler::kTaps; k++) {
      const int m = k - kCentre;
      // Ideal half-band low-pass (cutoff fs/4): 0.5·sinc(m/2) — zero at every even m != 0.
      double ideal = m == 0 ? 0.5 : std::sin(M_PI * m / 2.0) / (M_PI * m);
      const double r = static_cast<double>(m) / kCentre;
      const double w = besselI0(kBeta * std::sqrt(1.0 - r * r)) / besselI0(kBeta);
      h[k] = ideal * w;
      sum += h[k];
    }
    for (int k = 0; k < Resampler::kTaps; k++) taps[k] = static_cast<float>(h[k] / sum);
    // Keep the half-band structure exact after normalisation: the centre stays the pure-delay tap.
    for (int k = 0; k < Resampler::kTaps; k++) {
      if (k != kCentre && ((k - kCentre) % 2) == 0) taps[k] = 0.0f;
    }
  }
};

const Design& design() {
  static const Design d;
  return d;
}

inline int16_t sat16(float v) {
  const float r = v >= 0 ? v + 0.5f : v - 0.5f;
  if (r > 32767.0f) return 32767;
  if (r < -32768.0f) return -32768;
  return static_cast<int16_t>(r);
}

}  // namespace

const float* halfBandTaps() { return design().taps; }

Resampler::Resampler(Direction dir) : dir_(dir) {
  (void)design();  // build the taps at construction, never on the media thread's first frame
  reset();
}

void Resampler::reset() {
  std::memset(ring_, 0, sizeof(ring_));
  pos_ = 0;
  pendingOdd_ = false;
}

const char* Resampler::describe() const {
  return dir_ == Direction::Up8kTo16k ? "resample(8k->16k)" : "resample(16k->8k)";
}

size_t Resampler::outputFor(size_t n) const {
  if (dir_ == Direction::Up8kTo16k) return 2 * n;
  return (n + (pendingOdd_ ? 1 : 0)) / 2;
}

int Resampler::process(const int16_t* in, size_t n, int16_t* out, size_t cap) {
  const size_t need = outputFor(n);
  if (need > cap) return -1;
  const float* h = design().taps;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    // Write the sample twice (pos and pos+kRing) so the last kRing samples are contiguous ending at
    // ring_[pos + kRing]: newest at window[0] going backwards.
    const float x = in[i];
    ring_[pos_] = x;
    ring_[pos_ + kRing] = x;
    const float* newest = &ring_[pos_ + kRing];  // newest[-j] = x[n - j]
    pos_ = (pos_ + 1) & (kRing - 1);
    if (dir_ == Direction::Up8kTo16k) {
      // Zero-stuffed interpolation, polyphase: even outputs use the even (side) taps over the low-rate
      // history; odd outputs hit only the centre tap, a pure delay of (kCentre - 1) / 2 input samples.
      // The taps are symmetric (h[k] = h[kTaps-1-k]): fold the pairs, 12 multiplies instead of 24.
      float acc = 0;
      for (int j = 0; j < (kCentre + 1) / 2; j++) acc += h[2 * j] * (newest[-j] + newest[-(kCentre - j)]);
      out[o++] = sat16(2.0f * acc);
      out[o++] = sat16(2.0f * h[kCentre] * newest[-(kCentre - 1) / 2]);
    } else {
      // Decimation: one output per two inputs, computed when the second of the pair arrives.
      if (!pendingOdd_) {
        pendingOdd_ = true;
        continue;
      }
      pendingOdd_ = false;
      float acc = h[kCentre] * newest[-kCentre];
      for (int j = 0; j < (kCentre + 1) / 2; j++) acc += h[2 * j] * (newest[-2 * j] + newest[-(2 * kCentre - 2 * j)]);
      out[o++] = sat16(acc);
    }
  }
  return static_cast<int>(o);
}

}  // namespace tg
