#include "codec/codec_registry.h"

#include <strings.h>

namespace tg {

namespace {
// RFC 3551 table 4 for the static types; RFC 4733 §7 for telephone-event (always dynamic); RFC 7587 for Opus
// (dynamic, rtpmap opus/48000/2 whatever the real audio, 48 kHz timestamps). Opus runs at 16 kHz here: the
// internal format is wideband, so maxplaybackrate/sprop-maxcapturerate tell the peer not to spend bits on
// more (RFC 7587 §6.1), and in-band FEC is asked for (useinbandfec=1: the jitter buffer uses it on loss).
const CodecInfo kCodecs[kCodecCount] = {
    {CodecId::PCMU, "PCMU", 0, -1, 8000, 8000, 1, 80, 80, 640, {10, 20, 30, 40}, "", true},
    {CodecId::PCMA, "PCMA", 8, -1, 8000, 8000, 1, 80, 80, 640, {10, 20, 30, 40}, "", true},
    // RFC 3551 §4.5.2: G.722 samples at 16 kHz but its RTP clock is 8000 "for historical reasons".
    {CodecId::G722, "G722", 9, -1, 16000, 8000, 1, 160, 80, 640, {10, 20, 30, 40}, "", true},
    {CodecId::TelephoneEvent, "telephone-event", -1, 101, 8000, 8000, 1, 0, 0, 0, {0, 0, 0, 0}, "0-15", false},
    {CodecId::Opus, "opus", -1, 111, 48000, 48000, 2, 480, 0, 1500, {10, 20, 40, 60},
     "minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0;maxplaybackrate=16000;sprop-maxcapturerate=16000", true},
};
}  // namespace

const CodecInfo& codecInfo(CodecId id) { return kCodecs[static_cast<size_t>(id) % kCodecCount]; }

const CodecInfo* codecTable() { return kCodecs; }

const CodecInfo* findCodec(const char* name, uint32_t rtpClock) {
  const CodecInfo* c = findCodecByName(name);
  return c != nullptr && c->rtpClock == rtpClock ? c : nullptr;
}

const CodecInfo* findCodecByName(const char* name) {
  if (name == nullptr) return nullptr;
  for (const CodecInfo& c : kCodecs) {
    if (strcasecmp(c.name, name) == 0) return &c;
  }
  return nullptr;
}

const CodecInfo* findCodecByStaticPt(int payloadType) {
  for (const CodecInfo& c : kCodecs) {
    if (c.payloadType >= 0 && c.payloadType == payloadType) return &c;
  }
  return nullptr;
}

bool codecAllowsPtime(const CodecInfo& c, uint32_t ptimeMs) {
  for (uint32_t p : c.ptimes) {
    if (p != 0 && p == ptimeMs) return true;
  }
  return false;
}

}  // namespace tg
