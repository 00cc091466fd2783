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
  // Samples (16 kHz) in this payload: the same as samplesForPayload for fixed-rate codecs; Opus reads
  // its TOC (RFC 6716 §3.1). 0 if the payload is malformed.
  virtual size_t samplesInPacket(const uint8_t* payload, size_t len) const { (void)payload; return samplesForPayload(len); }
  // Codec's own packet-loss concealment (Opus): writes n samples of concealment, or returns false (the
  // caller then uses the generic spandsp PLC).
  virtual bool conceal(int16_t* out16k, size_t n) { (void)out16k; (void)n; return false; }
  // In-band FEC (Opus LBRR, RFC 6716 §2.1.7): rebuilds the n samples lost just BEFORE `next` from the
  // redundancy carried in `next`. false if the codec has no FEC or `next` carries none.
  virtual bool decodeFec(const uint8_t* next, size_t len, int16_t* out16k, size_t n) {
    (void)next; (void)len; (void)out16k; (void)n;
    return false;
  }
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

// What the peer's a=fmtp asks of our encoder (RFC 7587 §6.1 for Opus; ignored by G.711/G.722).
struct EncoderParams {
  bool inbandFec = false;        // peer's useinbandfec=1: it can use FEC, so we send it
  uint32_t maxPlaybackRate = 0;  // peer's maxplaybackrate (0: not given): no point encoding more bandwidth
};

// Factories (allocate; call at setup, not per frame). Return nullptr for CodecId::TelephoneEvent.
std::unique_ptr<AudioDecoder> makeDecoder(CodecId id);
std::unique_ptr<AudioEncoder> makeEncoder(CodecId id, const EncoderParams& params = EncoderParams());

}  // namespace tg
