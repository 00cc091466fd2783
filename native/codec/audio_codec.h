// Uniform codec interface: every decoder produces 16 kHz mono int16 and every encoder consumes it, so the
// rest of the media core never sees a codec's own rate (G.711 includes the 8<->16 kHz resampler).
// Objects are created (allocating) by the factories at leg setup; encode/decode never allocate, never throw.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "codec/codec_registry.h"

namespace tg {

class AudioDecoder {
 public:
  virtual ~AudioDecoder() = default;
  // Decodes one RTP payload into out16k. Returns the number of 16 kHz samples written, or -1 if `cap` is
  // too small (nothing written) / the payload is malformed. PCMU/PCMA: 2 samples per octet; G.722: 2 per octet.
  virtual int decode(const uint8_t* payload, size_t len, int16_t* out16k, size_t cap) = 0;
  // Samples (16 kHz) that `len` payload octets decode to — lets callers size buffers / advance clocks.
  virtual size_t samplesForPayload(size_t len) const = 0;
  // Forget history (new SSRC / re-INVITE to another stream).
  virtual void reset() = 0;
  virtual const CodecInfo& info() const = 0;
  // Pipeline description for logs, e.g. "PCMU(decode) -> resample(8k->16k)".
  virtual const char* describe() const = 0;
};

class AudioEncoder {
 public:
  virtual ~AudioEncoder() = default;
  // Encodes n samples of 16 kHz audio. Returns octets written into out, or 0 if cap is too small or n is
  // odd (both codecs consume pairs of 16 kHz samples: 320 samples (20 ms) -> 160 octets).
  virtual size_t encode(const int16_t* in16k, size_t n, uint8_t* out, size_t cap) = 0;
  virtual size_t payloadBytesFor(size_t samples16k) const = 0;
  virtual void reset() = 0;
  virtual const CodecInfo& info() const = 0;
  virtual const char* describe() const = 0;
};

// Factories (allocate; call at setup, not per frame). Return nullptr for CodecId::TelephoneEvent.
std::unique_ptr<AudioDecoder> makeDecoder(CodecId id);
std::unique_ptr<AudioEncoder> makeEncoder(CodecId id);

}  // namespace tg
