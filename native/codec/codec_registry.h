// Codec facts as data (STYLE.md: "G722: sampleRate 16000, rtpClock 8000" in an explicit registry,
// no registration by side effect). Pure C++17, no allocation, no N-API.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

enum class CodecId : uint8_t { PCMU = 0, PCMA = 1, G722 = 2, TelephoneEvent = 3 };
constexpr size_t kCodecCount = 4;

// The internal media format of trunkgate: 16 kHz mono int16 (every decoder produces it, every encoder
// consumes it). 20 ms at 16 kHz = 320 samples.
constexpr uint32_t kInternalRate = 16000;
constexpr size_t kSamplesPer20ms16k = 320;

struct CodecInfo {
  CodecId id;
  const char* name;          // SDP encoding name as in a=rtpmap (RFC 3551 §6, RFC 4733 §7)
  int payloadType;           // static PT (RFC 3551 table 4) or -1 when dynamic
  uint32_t sampleRate;       // real audio rate of the codec (G.722: 16000)
  uint32_t rtpClock;         // RTP timestamp rate (G.722: 8000 — RFC 3551 §4.5.2 historical error)
  uint32_t frameSamplesPer10ms;  // audio samples per 10 ms at sampleRate
  uint32_t bytesPer10ms;     // encoded octets per 10 ms (0 for telephone-event)
  bool isAudio;              // false for telephone-event
};

// Registry lookups. All return pointers into a static const table (never null for a valid id).
const CodecInfo& codecInfo(CodecId id);
// Case-insensitive name + clock lookup as written in a=rtpmap ("PCMU", 8000). nullptr if unknown.
const CodecInfo* findCodec(const char* name, uint32_t rtpClock);
// Static payload type lookup (0, 8, 9). nullptr if not a static PT we support.
const CodecInfo* findCodecByStaticPt(int payloadType);

}  // namespace tg
