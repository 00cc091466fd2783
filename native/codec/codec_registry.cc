#include "codec/codec_registry.h"

#include <strings.h>

namespace tg {

namespace {
// RFC 3551 table 4 for the static types; RFC 4733 §7 for telephone-event (always dynamic).
const CodecInfo kCodecs[kCodecCount] = {
    {CodecId::PCMU, "PCMU", 0, 8000, 8000, 80, 80, true},
    {CodecId::PCMA, "PCMA", 8, 8000, 8000, 80, 80, true},
    // RFC 3551 §4.5.2: G.722 samples at 16 kHz but its RTP clock is 8000 "for historical reasons".
    {CodecId::G722, "G722", 9, 16000, 8000, 160, 80, true},
    {CodecId::TelephoneEvent, "telephone-event", -1, 8000, 8000, 0, 0, false},
};
}  // namespace

const CodecInfo& codecInfo(CodecId id) { return kCodecs[static_cast<size_t>(id) % kCodecCount]; }

const CodecInfo* findCodec(const char* name, uint32_t rtpClock) {
  if (name == nullptr) return nullptr;
  for (const CodecInfo& c : kCodecs) {
    if (strcasecmp(c.name, name) == 0 && c.rtpClock == rtpClock) return &c;
  }
  return nullptr;
}

const CodecInfo* findCodecByStaticPt(int payloadType) {
  for (const CodecInfo& c : kCodecs) {
    if (c.payloadType >= 0 && c.payloadType == payloadType) return &c;
  }
  return nullptr;
}

}  // namespace tg
