// Exports the codec registry (native/codec/codec_registry.cc) as `codecs`: the one list that SDP
// negotiation and the media facade read (src/media/codec-registry.ts). A frozen array of plain objects,
// built once at module load.
#include <napi.h>

#include "codec/codec_registry.h"

Napi::Object InitCodecs(Napi::Env env, Napi::Object exports) {
  const tg::CodecInfo* table = tg::codecTable();
  Napi::Array list = Napi::Array::New(env, tg::kCodecCount);
  for (size_t i = 0; i < tg::kCodecCount; ++i) {
    const tg::CodecInfo& c = table[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", static_cast<uint32_t>(c.id));
    o.Set("name", c.name);
    if (c.payloadType >= 0) o.Set("payloadType", c.payloadType);
    else o.Set("payloadType", env.Null());
    if (c.defaultDynamicPt >= 0) o.Set("defaultDynamicPayloadType", c.defaultDynamicPt);
    else o.Set("defaultDynamicPayloadType", env.Null());
    o.Set("sampleRate", c.sampleRate);
    o.Set("clockRate", c.rtpClock);
    o.Set("channels", c.channels);
    o.Set("frameSamplesPer10ms", c.frameSamplesPer10ms);
    o.Set("bytesPer10ms", c.bytesPer10ms);
    o.Set("maxPayload", c.maxPayload);
    Napi::Array ptimes = Napi::Array::New(env);
    uint32_t n = 0;
    for (uint32_t p : c.ptimes) {
      if (p != 0) ptimes.Set(n++, p);
    }
    o.Set("ptimes", ptimes);
    o.Set("fmtp", c.fmtp);
    o.Set("isAudio", c.isAudio);
    o.Freeze();
    ptimes.Freeze();
    list.Set(static_cast<uint32_t>(i), o);
  }
  list.Freeze();
  exports.Set("codecs", list);
  return exports;
}
