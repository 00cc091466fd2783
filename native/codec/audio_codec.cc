// G.711 (table lookup + our half-band resampler to/from 16 kHz) and G.722 (spandsp, 64 kbit/s, 16 kHz
// linear side) behind the uniform AudioDecoder/AudioEncoder interface.
#include "codec/audio_codec.h"

#include <spandsp.h>
#include <spandsp/private/g722.h>

#include "codec/g711.h"
#include "dsp/resampler.h"

namespace tg {

namespace {

// 8 kHz work area: a G.711 payload is processed in slices of this many samples so any payload size works
// without allocation (60 ms = 480 octets fits in one slice).
constexpr size_t kSlice = 480;

class G711Decoder final : public AudioDecoder {
 public:
  // Touching the tables here builds them (once per process) at leg setup, never on the media thread's
  // first frame.
  explicit G711Decoder(CodecId id) : id_(id), up_(Resampler::Direction::Up8kTo16k) { (void)g711::ulawDecodeTable(); }
  int decode(const uint8_t* payload, size_t len, int16_t* out16k, size_t cap) override {
    if (len * 2 > cap) return -1;
    size_t written = 0;
    for (size_t off = 0; off < len; off += kSlice) {
      const size_t n = len - off < kSlice ? len - off : kSlice;
      if (id_ == CodecId::PCMU) g711::decodeUlaw(payload + off, n, pcm8_);
      else g711::decodeAlaw(payload + off, n, pcm8_);
      const int w = up_.process(pcm8_, n, out16k + written, cap - written);
      if (w < 0) return -1;
      written += static_cast<size_t>(w);
    }
    return static_cast<int>(written);
  }
  size_t samplesForPayload(size_t len) const override { return len * 2; }
  void reset() override { up_.reset(); }
  const CodecInfo& info() const override { return codecInfo(id_); }
  const char* describe() const override {
    return id_ == CodecId::PCMU ? "PCMU(decode) -> resample(8k->16k)" : "PCMA(decode) -> resample(8k->16k)";
  }

 private:
  CodecId id_;
  Resampler up_;
  int16_t pcm8_[kSlice];
};

class G711Encoder final : public AudioEncoder {
 public:
  explicit G711Encoder(CodecId id) : id_(id), down_(Resampler::Direction::Down16kTo8k) { (void)g711::ulawEncodeTable(); }
  size_t encode(const int16_t* in16k, size_t n, uint8_t* out, size_t cap) override {
    if ((n & 1) != 0 || n / 2 > cap) return 0;
    size_t written = 0;
    for (size_t off = 0; off < n; off += 2 * kSlice) {
      const size_t m = n - off < 2 * kSlice ? n - off : 2 * kSlice;
      const int w = down_.process(in16k + off, m, pcm8_, kSlice);
      if (w < 0) return 0;
      if (id_ == CodecId::PCMU) g711::encodeUlaw(pcm8_, static_cast<size_t>(w), out + written);
      else g711::encodeAlaw(pcm8_, static_cast<size_t>(w), out + written);
      written += static_cast<size_t>(w);
    }
    return written;
  }
  size_t payloadBytesFor(size_t samples16k) const override { return samples16k / 2; }
  void reset() override { down_.reset(); }
  const CodecInfo& info() const override { return codecInfo(id_); }
  const char* describe() const override {
    return id_ == CodecId::PCMU ? "resample(16k->8k) -> PCMU(encode)" : "resample(16k->8k) -> PCMA(encode)";
  }

 private:
  CodecId id_;
  Resampler down_;
  int16_t pcm8_[kSlice];
};

// G.722 receive side: spandsp's SB-ADPCM band decoders, then our own receive QMF. spandsp 0.0.6 truncates
// the QMF output to int16 without saturating, so full-scale streams wrap around (measured: 122 sign flips
// in libg722's fullscale.g722). Running the decoder in its ITU test mode (QMF bypassed: it returns
// rlow·2, rhigh·2) and applying the same 24-tap QMF (G.722 §4.4.2, Table 11) with saturation gives
// output that is bit-exact with the ITU STL and with libg722's saturating decoder.
class G722Decoder final : public AudioDecoder {
 public:
  G722Decoder() : st_(g722_decode_init(nullptr, 64000, 0)) { reset(); }
  ~G722Decoder() override { if (st_ != nullptr) g722_decode_free(st_); }
  int decode(const uint8_t* payload, size_t len, int16_t* out16k, size_t cap) override {
    if (st_ == nullptr || len * 2 > cap) return -1;
    const int n = g722_decode(st_, out16k, payload, static_cast<int>(len));  // pairs (rlow·2, rhigh·2)
    for (int i = 0; i + 1 < n; i += 2) {
      const int32_t rlow = out16k[i] >> 1;
      const int32_t rhigh = out16k[i + 1] >> 1;
      // Delay lines of sums and differences, newest at index 11 (the ITU reference ordering).
      for (int k = 0; k < 11; k++) {
        xs_[k] = xs_[k + 1];
        xd_[k] = xd_[k + 1];
      }
      xs_[11] = rlow + rhigh;
      xd_[11] = rlow - rhigh;
      int32_t xout1 = 0, xout2 = 0;
      for (int k = 0; k < 12; k++) {
        xout2 += xs_[k] * kQmf[k];
        xout1 += xd_[k] * kQmf[11 - k];
      }
      out16k[i] = sat16(xout1 >> 11);
      out16k[i + 1] = sat16(xout2 >> 11);
    }
    return n;
  }
  size_t samplesForPayload(size_t len) const override { return len * 2; }
  void reset() override {
    if (st_ != nullptr) {
      g722_decode_init(st_, 64000, 0);
      st_->itu_test_mode = 1;
    }
    for (int k = 0; k < 12; k++) xs_[k] = xd_[k] = 0;
  }
  const CodecInfo& info() const override { return codecInfo(CodecId::G722); }
  const char* describe() const override { return "G722(decode, 64k)"; }

 private:
  static int16_t sat16(int32_t v) { return static_cast<int16_t>(v > 32767 ? 32767 : (v < -32768 ? -32768 : v)); }
  // Even-indexed QMF coefficients h0, h2, ..., h22; the odd ones are the same set reversed.
  static constexpr int32_t kQmf[12] = {3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11};
  g722_decode_state_t* st_;
  int32_t xs_[12];
  int32_t xd_[12];
};

// spandsp G.722 encoder at 64 kbit/s with 16 kHz linear audio (options 0: not 8 kHz, not packed).
class G722Encoder final : public AudioEncoder {
 public:
  G722Encoder() : st_(g722_encode_init(nullptr, 64000, 0)) {}
  ~G722Encoder() override { if (st_ != nullptr) g722_encode_free(st_); }
  size_t encode(const int16_t* in16k, size_t n, uint8_t* out, size_t cap) override {
    if (st_ == nullptr || (n & 1) != 0 || n / 2 > cap) return 0;
    const int w = g722_encode(st_, out, in16k, static_cast<int>(n));
    return w < 0 ? 0 : static_cast<size_t>(w);
  }
  size_t payloadBytesFor(size_t samples16k) const override { return samples16k / 2; }
  void reset() override { if (st_ != nullptr) g722_encode_init(st_, 64000, 0); }
  const CodecInfo& info() const override { return codecInfo(CodecId::G722); }
  const char* describe() const override { return "G722(encode, 64k)"; }

 private:
  g722_encode_state_t* st_;
};

}  // namespace

std::unique_ptr<AudioDecoder> makeDecoder(CodecId id) {
  switch (id) {
    case CodecId::PCMU:
    case CodecId::PCMA: return std::unique_ptr<AudioDecoder>(new G711Decoder(id));
    case CodecId::G722: return std::unique_ptr<AudioDecoder>(new G722Decoder());
    case CodecId::TelephoneEvent: break;
  }
  return nullptr;
}

std::unique_ptr<AudioEncoder> makeEncoder(CodecId id) {
  switch (id) {
    case CodecId::PCMU:
    case CodecId::PCMA: return std::unique_ptr<AudioEncoder>(new G711Encoder(id));
    case CodecId::G722: return std::unique_ptr<AudioEncoder>(new G722Encoder());
    case CodecId::TelephoneEvent: break;
  }
  return nullptr;
}

}  // namespace tg
