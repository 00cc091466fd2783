// Small helpers shared by the dsp_* binding files (byte views, int16 conversion, RTCP objects).
#pragma once
#include <napi.h>

#include <cstring>
#include <vector>

#include "rtp/rtcp_packet.h"

namespace tgbind {

struct Bytes {
  const uint8_t* data = nullptr;
  size_t len = 0;
};

// Accepts any TypedArray / Buffer; the view borrows the JS memory for the duration of the call.
inline bool getBytes(const Napi::Value& v, Bytes* out) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  out->data = static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  out->len = a.ByteLength();
  return true;
}

// Copies into aligned int16 storage (a Buffer's byteOffset may be odd).
inline std::vector<int16_t> toSamples(const Bytes& b) {
  std::vector<int16_t> s(b.len / 2);
  if (!s.empty()) std::memcpy(s.data(), b.data, s.size() * 2);
  return s;
}

inline Napi::Value samplesToBuffer(Napi::Env env, const int16_t* s, size_t n) {
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(s), n * 2);
}

inline Napi::Value throwType(Napi::Env env, const char* msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}
inline Napi::Value throwRange(Napi::Env env, const char* msg) {
  Napi::RangeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

inline Napi::Object reportBlockToJs(Napi::Env env, const tg::RtcpReportBlock& b) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ssrc", b.ssrc);
  o.Set("fractionLost", b.fractionLost);
  o.Set("cumulativeLost", b.cumulativeLost);
  o.Set("extendedHighestSeq", b.extendedHighestSeq);
  o.Set("jitter", b.jitter);
  o.Set("lastSr", b.lastSr);
  o.Set("delaySinceLastSr", b.delaySinceLastSr);
  return o;
}

inline tg::RtcpReportBlock reportBlockFromJs(const Napi::Value& v) {
  tg::RtcpReportBlock b;
  if (!v.IsObject()) return b;
  Napi::Object o = v.As<Napi::Object>();
  b.ssrc = o.Get("ssrc").ToNumber().Uint32Value();
  b.fractionLost = static_cast<uint8_t>(o.Get("fractionLost").ToNumber().Uint32Value());
  b.cumulativeLost = o.Get("cumulativeLost").ToNumber().Int32Value();
  b.extendedHighestSeq = o.Get("extendedHighestSeq").ToNumber().Uint32Value();
  b.jitter = o.Get("jitter").ToNumber().Uint32Value();
  b.lastSr = o.Get("lastSr").ToNumber().Uint32Value();
  b.delaySinceLastSr = o.Get("delaySinceLastSr").ToNumber().Uint32Value();
  return b;
}

inline Napi::Object rtcpCompoundToJs(Napi::Env env, const tg::RtcpCompound& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", c.hasSenderReport ? "sr" : "rr");
  o.Set("ssrc", c.reporterSsrc);
  if (c.hasSenderReport) {
    o.Set("ntpSeconds", static_cast<uint32_t>(c.senderInfo.ntpTimestamp >> 32));
    o.Set("ntpFraction", static_cast<uint32_t>(c.senderInfo.ntpTimestamp));
    o.Set("rtpTimestamp", c.senderInfo.rtpTimestamp);
    o.Set("packetCount", c.senderInfo.packetCount);
    o.Set("octetCount", c.senderInfo.octetCount);
  }
  Napi::Array blocks = Napi::Array::New(env, c.reportBlockCount);
  for (uint32_t i = 0; i < c.reportBlockCount; i++) blocks.Set(i, reportBlockToJs(env, c.reportBlocks[i]));
  o.Set("blocks", blocks);
  o.Set("cname", c.cname[0] != 0 ? Napi::Value(Napi::String::New(env, c.cname)) : env.Null());
  o.Set("bye", c.hasBye);
  o.Set("packetCount", static_cast<double>(c.packetCount));
  return o;
}

}  // namespace tgbind
