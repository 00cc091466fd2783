// G.711 (table lookup + our half-band resampler to/from 16 kHz) and G.722 (spandsp, 64 kbit/s, 16 kHz
// linear side) behind the uniform AudioDecoder/AudioEncoder interface.
#include "codec/audio_codec.h"

#include <opus/opus.h>
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

// Opus (RFC 6716) through libopus at the internal 16 kHz: libopus decodes any Opus stream (whatever the
// sender's bandwidth) to the rate asked and encodes 16 kHz input, so no resampler of our own sits in the
// path; the 48 kHz of "opus/48000/2" is only the RTP clock (RFC 7587 §4.1). Mono: stereo=0 in our fmtp,
// and a stereo stream decodes down-mixed (a decoder created with 1 channel).
constexpr int kOpusMaxSamples16k = 1920;  // 120 ms, the longest Opus packet (RFC 6716 §3.2.5)

class OpusDecoderImpl final : public AudioDecoder {
 public:
  OpusDecoderImpl() {
    int err = 0;
    st_ = opus_decoder_create(static_cast<opus_int32>(kInternalRate), 1, &err);
    if (err != OPUS_OK) st_ = nullptr;
  }
  ~OpusDecoderImpl() override { if (st_ != nullptr) opus_decoder_destroy(st_); }
  int decode(const uint8_t* payload, size_t len, int16_t* out16k, size_t cap) override {
    if (st_ == nullptr || len == 0) return -1;
    const int frame = static_cast<int>(cap < static_cast<size_t>(kOpusMaxSamples16k) ? cap : kOpusMaxSamples16k);
    const int n = opus_decode(st_, payload, static_cast<opus_int32>(len), out16k, frame, 0);
    return n < 0 ? -1 : n;
  }
  size_t samplesForPayload(size_t) const override { return kOpusMaxSamples16k; }
  size_t samplesInPacket(const uint8_t* payload, size_t len) const override {
    if (len == 0) return 0;
    const int n = opus_packet_get_nb_samples(payload, static_cast<opus_int32>(len), static_cast<opus_int32>(kInternalRate));
    return n < 0 ? 0 : static_cast<size_t>(n);
  }
  // libopus conceals in whole 2.5 ms steps (40 samples at 16 kHz).
  bool conceal(int16_t* out16k, size_t n) override {
    if (st_ == nullptr || n == 0 || n % 40 != 0 || n > static_cast<size_t>(kOpusMaxSamples16k)) return false;
    return opus_decode(st_, nullptr, 0, out16k, static_cast<int>(n), 0) == static_cast<int>(n);
  }
  bool decodeFec(const uint8_t* next, size_t len, int16_t* out16k, size_t n) override {
    if (st_ == nullptr || len == 0 || n == 0 || n % 40 != 0 || n > static_cast<size_t>(kOpusMaxSamples16k)) return false;
    // libopus 1.3 has no LBRR probe: without redundancy in `next` this yields the codec's own PLC, which
    // is what we would have used anyway.
    return opus_decode(st_, next, static_cast<opus_int32>(len), out16k, static_cast<int>(n), 1) == static_cast<int>(n);
  }
  void reset() override { if (st_ != nullptr) opus_decoder_ctl(st_, OPUS_RESET_STATE); }
  const CodecInfo& info() const override { return codecInfo(CodecId::Opus); }
  const char* describe() const override { return "opus(decode, 48k clock -> 16k)"; }

 private:
  OpusDecoder* st_ = nullptr;
};

class OpusEncoderImpl final : public AudioEncoder {
 public:
  explicit OpusEncoderImpl(const EncoderParams& p) {
    int err = 0;
    st_ = opus_encoder_create(static_cast<opus_int32>(kInternalRate), 1, OPUS_APPLICATION_VOIP, &err);
    if (err != OPUS_OK) {
      st_ = nullptr;
      return;
    }
    opus_encoder_ctl(st_, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    // RFC 7587 §3.1.1: FEC only helps if the encoder expects loss; 10 % is the usual VoIP setting.
    opus_encoder_ctl(st_, OPUS_SET_INBAND_FEC(p.inbandFec ? 1 : 0));
    opus_encoder_ctl(st_, OPUS_SET_PACKET_LOSS_PERC(p.inbandFec ? 10 : 0));
    int bw = OPUS_BANDWIDTH_WIDEBAND;
    if (p.maxPlaybackRate != 0 && p.maxPlaybackRate <= 8000) bw = OPUS_BANDWIDTH_NARROWBAND;
    else if (p.maxPlaybackRate != 0 && p.maxPlaybackRate <= 12000) bw = OPUS_BANDWIDTH_MEDIUMBAND;
    opus_encoder_ctl(st_, OPUS_SET_MAX_BANDWIDTH(bw));
  }
  ~OpusEncoderImpl() override { if (st_ != nullptr) opus_encoder_destroy(st_); }
  size_t encode(const int16_t* in16k, size_t n, uint8_t* out, size_t cap) override {
    if (st_ == nullptr || n == 0) return 0;
    const opus_int32 w = opus_encode(st_, in16k, static_cast<int>(n), out, static_cast<opus_int32>(cap));
    return w < 0 ? 0 : static_cast<size_t>(w);
  }
  size_t payloadBytesFor(size_t) const override { return 1275 * 3; }  // RFC 6716 §3.2.1 bound for 60 ms
  void reset() override { if (st_ != nullptr) opus_encoder_ctl(st_, OPUS_RESET_STATE); }
  const CodecInfo& info() const override { return codecInfo(CodecId::Opus); }
  const char* describe() const override { return "opus(encode, 16k -> 48k clock)"; }

 private:
  OpusEncoder* st_ = nullptr;
};

}  // namespace

std::unique_ptr<AudioDecoder> makeDecoder(CodecId id) {
  switch (id) {
    case CodecId::PCMU:
    case CodecId::PCMA: return std::unique_ptr<AudioDecoder>(new G711Decoder(id));
    case CodecId::G722: return std::unique_ptr<AudioDecoder>(new G722Decoder());
    case CodecId::Opus: return std::unique_ptr<AudioDecoder>(new OpusDecoderImpl());
    case CodecId::TelephoneEvent: break;
  }
  return nullptr;
}

std::unique_ptr<AudioEncoder> makeEncoder(CodecId id, const EncoderParams& params) {
  switch (id) {
    case CodecId::PCMU:
    case CodecId::PCMA: return std::unique_ptr<AudioEncoder>(new G711Encoder(id));
    case CodecId::G722: return std::unique_ptr<AudioEncoder>(new G722Encoder());
    case CodecId::Opus: return std::unique_ptr<AudioEncoder>(new OpusEncoderImpl(params));
    case CodecId::TelephoneEvent: break;
  }
  return nullptr;
}

}  // namespace tg
