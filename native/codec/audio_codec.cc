// G.711 (table lookup + our half-band resampler to/from 16 kHz) and G.722 (spandsp, 64 kbit/s, 16 kHz
// linear side) behind the uniform AudioDecoder/AudioEncoder interface.
#include "codec/audio_codec.h"

#include <spandsp.h>

#include "codec/g711.h"
#include "dsp/resampler.h"

namespace tg {

namespace {

// 8 kHz work area: a G.711 payload is processed in slices of this many samples so any payload size works
// without allocation (60 ms = 480 octets fits in one slice).
constexpr size_t kSlice = 480;

class G711Decoder final : public AudioDecoder {
 public:
  explicit G711Decoder(CodecId id) : id_(id), up_(Resampler::Direction::Up8kTo16k) {}
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
  explicit G711Encoder(CodecId id) : id_(id), down_(Resampler::Direction::Down16kTo8k) {}
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

// spandsp G.722 at 64 kbit/s with 16 kHz linear audio (options 0: not G722_SAMPLE_RATE_8000, not packed).
class G722Decoder final : public AudioDecoder {
 public:
  G722Decoder() : st_(g722_decode_init(nullptr, 64000, 0)) {}
  ~G722Decoder() override { if (st_ != nullptr) g722_decode_free(st_); }
  int decode(const uint8_t* payload, size_t len, int16_t* out16k, size_t cap) override {
    if (st_ == nullptr || len * 2 > cap) return -1;
    return g722_decode(st_, out16k, payload, static_cast<int>(len));
  }
  size_t samplesForPayload(size_t len) const override { return len * 2; }
  void reset() override { if (st_ != nullptr) g722_decode_init(st_, 64000, 0); }
  const CodecInfo& info() const override { return codecInfo(CodecId::G722); }
  const char* describe() const override { return "G722(decode, 64k)"; }

 private:
  g722_decode_state_t* st_;
};

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
