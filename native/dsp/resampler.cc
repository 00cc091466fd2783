#include "dsp/resampler.h"

#include <cmath>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

// Round half away from zero and saturate, as every output always has.
inline int16_t sat16(float v) {
  const float r = v >= 0 ? v + 0.5f : v - 0.5f;
  if (r > 32767.0f) return 32767;
  if (r < -32768.0f) return -32768;
  return static_cast<int16_t>(r);
}

// sat16 over a block. GCC cannot emit a saturating int32->int16 pack at the SSE2 baseline (it blends both
// clamps and narrows with shuffles, a third of the block's instructions), so the x86 path says it directly:
// truncating v ± 0.5 to int32 is exact here (|v| <= 32768·sum|h|·2, far below 2^31) and packssdw's
// saturation to [-32768, 32767] is the same clamp sat16 applies before truncating. v = -0 rounds to -0.5
// instead of +0.5; both truncate to 0.
__attribute__((always_inline)) inline void storeInt16(const float* __restrict y, int16_t* __restrict out, size_t n) {
  size_t i = 0;
#ifdef __SSE2__
  const __m128 half = _mm_set1_ps(0.5f);
  const __m128 sign = _mm_set1_ps(-0.0f);
  for (; i + 8 <= n; i += 8) {
    const __m128 a = _mm_loadu_ps(y + i);
    const __m128 b = _mm_loadu_ps(y + i + 4);
    const __m128i ia = _mm_cvttps_epi32(_mm_add_ps(a, _mm_or_ps(_mm_and_ps(a, sign), half)));
    const __m128i ib = _mm_cvttps_epi32(_mm_add_ps(b, _mm_or_ps(_mm_and_ps(b, sign), half)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_packs_epi32(ia, ib));
  }
#endif
  for (; i < n; i++) out[i] = sat16(y[i]);
}

// Splits `pairs` input pairs into their first (c) and second (e) samples as float. Per 32-bit word of the
// input, the first sample is the low half (little-endian x86), the second the high half: two shifts instead
// of the shuffle chain GCC builds for a stride-2 int16 load.
__attribute__((always_inline)) inline void splitPairs(const int16_t* __restrict p, float* __restrict c,
                                                      float* __restrict e, size_t pairs) {
  size_t k = 0;
#ifdef __SSE2__
  for (; k + 4 <= pairs; k += 4) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * k));
    _mm_storeu_ps(c + k, _mm_cvtepi32_ps(_mm_srai_epi32(_mm_slli_epi32(v, 16), 16)));
    _mm_storeu_ps(e + k, _mm_cvtepi32_ps(_mm_srai_epi32(v, 16)));
  }
#endif
  for (; k < pairs; k++) {
    c[k] = p[2 * k];
    e[k] = p[2 * k + 1];
  }
}

constexpr int kPairs = (kCentre + 1) / 2;  // 12 folded side-tap pairs at the low rate

// The taps as the kernels use them: side pair j is h[2j] (= h[kTaps-1-2j]), applied to the low-rate samples
// j and kCentre-j back; the centre tap is a pure delay of (kCentre-1)/2 low-rate samples.
struct Folded {
  float side[kPairs];
  float centre;    // Down: h[kCentre]
  float centreUp;  // Up: 2·h[kCentre], rounded once as the per-sample form did (2.0f * h[kCentre] * x)
};

const Folded& folded() {
  static const Folded f = [] {
    Folded r{};
    const float* h = design().taps;
    for (int j = 0; j < kPairs; j++) r.side[j] = h[2 * j];
    r.centre = h[kCentre];
    r.centreUp = 2.0f * h[kCentre];
    return r;
  }();
  return f;
}

// Side-tap sum for the low-rate position w (w[-23..0] valid), accumulated onto acc in the per-sample form's
// order: pair 0 first. No FMA contraction can happen in either kernel at the addon's flags (neither the
// x86-64 baseline nor target("avx2") has FMA), so each product and sum rounds exactly as the scalar code
// did. A build with -mfma/-march=native could contract: still within 1 LSB, but dsp_test's exact check
// would say so.
__attribute__((always_inline)) inline float sidePairs(float acc, const float* w, const float* s) {
#pragma GCC unroll 12
  for (int j = 0; j < kPairs; j++) acc += s[j] * (w[-j] + w[-(kCentre - j)]);
  return acc;
}

// x points at the first new sample with kHist samples of history before it. Zero-stuffed interpolation,
// polyphase: even outputs use the side taps over the low-rate history, odd outputs only the centre tap.
// y is float scratch for the 2m outputs.
__attribute__((always_inline)) inline void upBody(const float* __restrict x, float* __restrict y, int16_t* __restrict out,
                                                  size_t m, const Folded& f) {
  float s[kPairs];
  for (int j = 0; j < kPairs; j++) s[j] = f.side[j];
  const float cu = f.centreUp;
  for (size_t k = 0; k < m; k++) {
    const float* w = x + k;
    y[2 * k] = 2.0f * sidePairs(0.0f, w, s);
    y[2 * k + 1] = cu * w[-(kCentre - 1) / 2];
  }
  storeInt16(y, out, 2 * m);
}

// Decimation, one output per input pair: e = second samples of the pairs, c = first samples (both with
// kHist of history). Output k is centred on input 2k-23 of the 16 kHz stream, i.e. c[k-11].
__attribute__((always_inline)) inline void downBody(const float* __restrict e, const float* __restrict c,
                                                    float* __restrict y, int16_t* __restrict out, size_t m,
                                                    const Folded& f) {
  float s[kPairs];
  for (int j = 0; j < kPairs; j++) s[j] = f.side[j];
  const float hc = f.centre;
  const float* cd = c - (kCentre - 1) / 2;  // cd[k] = c[k - 11]
  for (size_t k = 0; k < m; k++) y[k] = sidePairs(hc * cd[k], e + k, s);
  storeInt16(y, out, m);
}

void upBaseline(const float* x, float* y, int16_t* out, size_t m) { upBody(x, y, out, m, folded()); }
void downBaseline(const float* e, const float* c, float* y, int16_t* out, size_t m) {
  downBody(e, c, y, out, m, folded());
}

#if defined(__x86_64__) && defined(__GNUC__)
#define TG_RESAMPLER_AVX2 1
// Same source compiled for AVX2 (8 floats per instruction). Deliberately not "fma": contraction would change
// the rounding of every product-sum and break bit-equality with the baseline kernel.
__attribute__((target("avx2"))) void upAvx2(const float* x, float* y, int16_t* out, size_t m) {
  upBody(x, y, out, m, folded());
}
__attribute__((target("avx2"))) void downAvx2(const float* e, const float* c, float* y, int16_t* out, size_t m) {
  downBody(e, c, y, out, m, folded());
}
bool cpuHasAvx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
}
#else
bool cpuHasAvx2() { return false; }
#endif

}  // namespace

const float* halfBandTaps() { return design().taps; }

Resampler::Resampler(Direction dir) : dir_(dir) {
  (void)folded();  // build the taps at construction, never on the media thread's first frame
  kernel_ = cpuHasAvx2() ? Kernel::Avx2 : Kernel::Baseline;
  reset();
}

bool Resampler::setKernelForTest(Kernel k) {
  if (k == Kernel::Auto) k = cpuHasAvx2() ? Kernel::Avx2 : Kernel::Baseline;
  if (k == Kernel::Avx2 && !cpuHasAvx2()) return false;
  kernel_ = k;
  return true;
}

void Resampler::reset() {
  std::memset(x_, 0, sizeof(x_));
  std::memset(c_, 0, sizeof(c_));
  pending_ = 0;
  pendingOdd_ = false;
}

const char* Resampler::describe() const {
  return dir_ == Direction::Up8kTo16k ? "resample(8k->16k)" : "resample(16k->8k)";
}

size_t Resampler::outputFor(size_t n) const {
  if (dir_ == Direction::Up8kTo16k) return 2 * n;
  return (n + (pendingOdd_ ? 1 : 0)) / 2;
}

// Keeps the last kHist low-rate samples (of history + the m just used) at the front for the next block.
void Resampler::shiftHistory(size_t m) {
  std::memmove(x_, x_ + m, kHist * sizeof(float));
  if (dir_ == Direction::Down16kTo8k) std::memmove(c_, c_ + m, kHist * sizeof(float));
}

void Resampler::upBlock(const int16_t* in, size_t m, int16_t* out) {
  float* x = x_ + kHist;
  for (size_t i = 0; i < m; i++) x[i] = in[i];
#ifdef TG_RESAMPLER_AVX2
  if (kernel_ == Kernel::Avx2) {
    upAvx2(x, y_, out, m);
  } else {
    upBaseline(x, y_, out, m);
  }
#else
  upBaseline(x, y_, out, m);
#endif
  shiftHistory(m);
}

void Resampler::downBlock(size_t m, int16_t* out) {
#ifdef TG_RESAMPLER_AVX2
  if (kernel_ == Kernel::Avx2) {
    downAvx2(x_ + kHist, c_ + kHist, y_, out, m);
  } else {
    downBaseline(x_ + kHist, c_ + kHist, y_, out, m);
  }
#else
  downBaseline(x_ + kHist, c_ + kHist, y_, out, m);
#endif
  shiftHistory(m);
}

int Resampler::process(const int16_t* in, size_t n, int16_t* out, size_t cap) {
  const size_t need = outputFor(n);
  if (need > cap) return -1;
  if (dir_ == Direction::Up8kTo16k) {
    for (size_t i = 0; i < n; i += kBlock) {
      const size_t m = n - i < static_cast<size_t>(kBlock) ? n - i : kBlock;
      upBlock(in + i, m, out + 2 * i);
    }
    return static_cast<int>(need);
  }
  // Down: split the 16 kHz stream into its pairs (first sample -> c_, second -> x_), completing a pair left
  // open by the previous call first, so the output never depends on how the input was chunked.
  size_t i = 0, o = 0;
  while (i < n) {
    float* e = x_ + kHist;
    float* c = c_ + kHist;
    size_t m = 0;
    if (pendingOdd_) {
      c[0] = pending_;
      e[0] = in[i++];
      pendingOdd_ = false;
      m = 1;
    }
    const size_t pairs = (n - i) / 2 < kBlock - m ? (n - i) / 2 : kBlock - m;
    splitPairs(in + i, c + m, e + m, pairs);
    m += pairs;
    i += 2 * pairs;
    if (n - i == 1) {  // the odd leftover: no more pairs in this call
      pending_ = in[i++];
      pendingOdd_ = true;
    }
    if (m > 0) downBlock(m, out + o);
    o += m;
  }
  return static_cast<int>(o);
}

}  // namespace tg
