// The codec registry: codec facts as data (STYLE.md: "G722: sampleRate 16000, rtpClock 8000" in an explicit
// registry, no registration by side effect). It is the ONE list of codecs: the addon exports it to JS
// (`codecs`), SDP negotiation and the media facade read it from there, and the native media path takes
// every rate from it (the RTP clock of a leg, its jitter buffer, its RTCP jitter and its DTMF events).
// Adding a codec = one encoder/decoder pair in audio_codec.cc + one row in codec_registry.cc.
// Pure C++17, no allocation, no N-API.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

enum class CodecId : uint8_t { PCMU = 0, PCMA = 1, G722 = 2, TelephoneEvent = 3, Opus = 4 };
constexpr size_t kCodecCount = 5;

// The internal media format of trunkgate: 16 kHz mono int16 (every decoder produces it, every encoder
// consumes it). 20 ms at 16 kHz = 320 samples.
constexpr uint32_t kInternalRate = 16000;
constexpr size_t kSamplesPer20ms16k = 320;
// Largest packetisation any codec allows (Opus 60 ms); sizes the send accumulator of a leg.
constexpr uint32_t kMaxPtimeMs = 60;
constexpr size_t kMaxPtimes = 4;

struct CodecInfo {
  CodecId id;
  const char* name;          // SDP encoding name as in a=rtpmap (RFC 3551 §6, RFC 4733 §7, RFC 7587 §7)
  int payloadType;           // static PT (RFC 3551 table 4) or -1 when dynamic
  int defaultDynamicPt;      // the PT we offer for a dynamic codec (common practice), -1 for static ones
  uint32_t sampleRate;       // real audio rate of the codec (G.722: 16000)
  uint32_t rtpClock;         // RTP timestamp rate (G.722: 8000 — RFC 3551 §4.5.2 historical error; Opus: 48000)
  uint32_t channels;         // a=rtpmap encoding parameter (Opus: always 2, RFC 7587 §7; 1 otherwise)
  uint32_t frameSamplesPer10ms;  // audio samples per 10 ms at sampleRate
  uint32_t bytesPer10ms;     // encoded octets per 10 ms (0: variable bit rate, or telephone-event)
  uint32_t maxPayload;       // largest payload the jitter buffer stores (octets)
  uint32_t ptimes[kMaxPtimes];   // packetisations we send, in ms (0 ends the list)
  const char* fmtp;          // a=fmtp we offer/answer ("" for none)
  bool isAudio;              // false for telephone-event
};

// Registry lookups. All return pointers into a static const table (never null for a valid id).
const CodecInfo& codecInfo(CodecId id);
const CodecInfo* codecTable();  // kCodecCount entries, in CodecId order
// Case-insensitive name + clock lookup as written in a=rtpmap ("PCMU", 8000). nullptr if unknown.
const CodecInfo* findCodec(const char* name, uint32_t rtpClock);
// Case-insensitive name lookup (the registry has one entry per name).
const CodecInfo* findCodecByName(const char* name);
// Static payload type lookup (0, 8, 9). nullptr if not a static PT we support.
const CodecInfo* findCodecByStaticPt(int payloadType);
// Whether the codec may be sent with this packetisation.
bool codecAllowsPtime(const CodecInfo& c, uint32_t ptimeMs);
// RTP timestamp units in `ms` milliseconds at the codec's RTP clock.
inline uint32_t rtpUnitsFor(const CodecInfo& c, uint32_t ms) { return c.rtpClock / 1000 * ms; }

}  // namespace tg
