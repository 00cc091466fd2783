// Pure-function bindings of the DSP building blocks (codecs, resampler, RTP/RTCP, RFC 4733, DTMF, jitter
// buffer) for tests and tools, under `exports.dsp`. Arguments are checked by src/media/dsp.ts first; the
// checks here only keep a bad call from crashing the process (they throw TypeError without a contract).
// Not on any real-time path: allocation here is fine.
#include <napi.h>

#include <cstring>
#include <vector>

#include "bind/dsp_bind_util.h"
#include "codec/audio_codec.h"
#include "codec/g711.h"
#include "dsp/rate_converter.h"
#include "dsp/dtmf_detector.h"
#include "dsp/dtmf_receiver.h"
#include "dsp/dtmf_sender.h"
#include "dsp/jitter_buffer.h"
#include "dsp/resampler.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtp_packet.h"
#include "rtp/telephone_event.h"

void InitDspObjects(Napi::Env env, Napi::Object dsp);  // dsp_bind_objects.cc: SrtpSession, stats, Mixer
void InitDspBench(Napi::Env env, Napi::Object dsp);    // dsp_bench.cc

namespace tgbind {

namespace {

using tg::CodecId;

Napi::Value G711Encode(const Napi::CallbackInfo& info) {
  Bytes pcm;
  if (!getBytes(info[1], &pcm) || (pcm.len & 1) != 0) return throwType(info.Env(), "pcm must be 16-bit samples");
  std::vector<int16_t> s = toSamples(pcm);
  std::vector<uint8_t> out(s.size());
  if (info[0].ToNumber().Int32Value() == 0) tg::g711::encodeUlaw(s.data(), s.size(), out.data());
  else tg::g711::encodeAlaw(s.data(), s.size(), out.data());
  return Napi::Buffer<uint8_t>::Copy(info.Env(), out.data(), out.size());
}

Napi::Value G711Decode(const Napi::CallbackInfo& info) {
  Bytes codes;
  if (!getBytes(info[1], &codes)) return throwType(info.Env(), "codes must be bytes");
  std::vector<int16_t> out(codes.len);
  if (info[0].ToNumber().Int32Value() == 0) tg::g711::decodeUlaw(codes.data, codes.len, out.data());
  else tg::g711::decodeAlaw(codes.data, codes.len, out.data());
  return samplesToBuffer(info.Env(), out.data(), out.size());
}

// codecEncode(codecId, pcm16k, frameSamples): one encoder fed frame by frame (state carried across frames).
Napi::Value CodecEncode(const Napi::CallbackInfo& info) {
  Bytes pcm;
  const int id = info[0].ToNumber().Int32Value();
  if (id < 0 || id > 2 || !getBytes(info[1], &pcm) || (pcm.len & 1) != 0) return throwType(info.Env(), "bad arguments");
  size_t frame = info[2].ToNumber().Uint32Value();
  std::vector<int16_t> s = toSamples(pcm);
  if (frame == 0 || (frame & 1) != 0) frame = 320;
  auto enc = tg::makeEncoder(static_cast<CodecId>(id));
  std::vector<uint8_t> out(s.size() / 2 + 16);
  size_t w = 0;
  for (size_t off = 0; off < s.size(); off += frame) {
    size_t n = std::min(frame, s.size() - off) & ~static_cast<size_t>(1);
    if (n == 0) break;
    w += enc->encode(s.data() + off, n, out.data() + w, out.size() - w);
  }
  return Napi::Buffer<uint8_t>::Copy(info.Env(), out.data(), w);
}

// codecDecode(codecId, payload, packetBytes): one decoder fed packet by packet.
Napi::Value CodecDecode(const Napi::CallbackInfo& info) {
  Bytes p;
  const int id = info[0].ToNumber().Int32Value();
  if (id < 0 || id > 2 || !getBytes(info[1], &p)) return throwType(info.Env(), "bad arguments");
  size_t packet = info[2].ToNumber().Uint32Value();
  if (packet == 0) packet = 160;
  auto dec = tg::makeDecoder(static_cast<CodecId>(id));
  std::vector<int16_t> out(p.len * 2 + 16);
  size_t w = 0;
  for (size_t off = 0; off < p.len; off += packet) {
    const size_t n = std::min(packet, p.len - off);
    const int r = dec->decode(p.data + off, n, out.data() + w, out.size() - w);
    if (r < 0) return throwType(info.Env(), "decode failed");
    w += static_cast<size_t>(r);
  }
  return samplesToBuffer(info.Env(), out.data(), w);
}

Napi::Value CodecInfoOf(const Napi::CallbackInfo& info) {
  const int id = info[0].ToNumber().Int32Value();
  if (id < 0 || id >= static_cast<int>(tg::kCodecCount)) return throwType(info.Env(), "bad codec id");
  const tg::CodecInfo& c = tg::codecInfo(static_cast<CodecId>(id));
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("name", c.name);
  o.Set("payloadType", c.payloadType);
  o.Set("sampleRate", c.sampleRate);
  o.Set("rtpClock", c.rtpClock);
  o.Set("frameSamplesPer10ms", c.frameSamplesPer10ms);
  o.Set("bytesPer10ms", c.bytesPer10ms);
  o.Set("isAudio", c.isAudio);
  auto dec = tg::makeDecoder(static_cast<CodecId>(id));
  auto enc = tg::makeEncoder(static_cast<CodecId>(id));
  o.Set("decodeChain", dec ? dec->describe() : "");
  o.Set("encodeChain", enc ? enc->describe() : "");
  return o;
}

// resample(direction 0=up 1=down, pcm, chunk): streaming in chunks of `chunk` samples (odd sizes allowed).
Napi::Value Resample(const Napi::CallbackInfo& info) {
  Bytes pcm;
  if (!getBytes(info[1], &pcm) || (pcm.len & 1) != 0) return throwType(info.Env(), "pcm must be 16-bit samples");
  const bool up = info[0].ToNumber().Int32Value() == 0;
  size_t chunk = info[2].ToNumber().Uint32Value();
  std::vector<int16_t> s = toSamples(pcm);
  if (chunk == 0) chunk = s.size() == 0 ? 1 : s.size();
  tg::Resampler r(up ? tg::Resampler::Direction::Up8kTo16k : tg::Resampler::Direction::Down16kTo8k);
  std::vector<int16_t> out(s.size() * 2 + 4);
  size_t w = 0;
  for (size_t off = 0; off < s.size(); off += chunk) {
    const size_t n = std::min(chunk, s.size() - off);
    const int k = r.process(s.data() + off, n, out.data() + w, out.size() - w);
    if (k < 0) return throwType(info.Env(), "resampler capacity");
    w += static_cast<size_t>(k);
  }
  return samplesToBuffer(info.Env(), out.data(), w);
}

// resampleRate(inRate, outRate, pcm, chunk): the rational converter (8/16/24/48 kHz), streaming in chunks.
Napi::Value ResampleRate(const Napi::CallbackInfo& info) {
  Bytes pcm;
  const uint32_t inRate = info[0].ToNumber().Uint32Value();
  const uint32_t outRate = info[1].ToNumber().Uint32Value();
  if (!tg::RateConverter::supported(inRate, outRate)) return throwType(info.Env(), "unsupported rate pair");
  if (!getBytes(info[2], &pcm) || (pcm.len & 1) != 0) return throwType(info.Env(), "pcm must be 16-bit samples");
  size_t chunk = info[3].ToNumber().Uint32Value();
  std::vector<int16_t> s = toSamples(pcm);
  if (chunk == 0) chunk = s.size() == 0 ? 1 : s.size();
  tg::RateConverter r(inRate, outRate);
  std::vector<int16_t> out(s.size() * 6 + 8);
  size_t w = 0;
  for (size_t off = 0; off < s.size(); off += chunk) {
    const size_t n = std::min(chunk, s.size() - off);
    const int k = r.process(s.data() + off, n, out.data() + w, out.size() - w);
    if (k < 0) return throwType(info.Env(), "resampler capacity");
    w += static_cast<size_t>(k);
  }
  return samplesToBuffer(info.Env(), out.data(), w);
}

Napi::Value RtpParse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes b;
  if (!getBytes(info[0], &b)) return throwType(env, "packet must be bytes");
  tg::RtpPacketView v;
  const tg::RtpParseError e = tg::parseRtp(b.data, b.len, &v);
  if (e != tg::RtpParseError::Ok) return Napi::String::New(env, tg::rtpParseErrorName(e));
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", v.header.version);
  o.Set("padding", v.header.padding);
  o.Set("extension", v.header.extension);
  o.Set("marker", v.header.marker);
  o.Set("payloadType", v.header.payloadType);
  o.Set("sequence", v.header.sequence);
  o.Set("timestamp", v.header.timestamp);
  o.Set("ssrc", v.header.ssrc);
  Napi::Array csrc = Napi::Array::New(env, v.header.csrcCount);
  for (uint32_t i = 0; i < v.header.csrcCount; i++) csrc.Set(i, v.header.csrc[i]);
  o.Set("csrc", csrc);
  if (v.header.extension) {
    o.Set("extensionProfile", v.header.extensionProfile);
    o.Set("extensionData", Napi::Buffer<uint8_t>::Copy(env, v.header.extensionData, v.header.extensionLength));
  }
  o.Set("headerLength", static_cast<double>(v.headerLength));
  o.Set("paddingLength", static_cast<double>(v.paddingLength));
  o.Set("payload", Napi::Buffer<uint8_t>::Copy(env, v.payload, v.payloadLength));
  return o;
}

Napi::Value RtpMarshal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) return throwType(env, "header must be an object");
  Napi::Object h = info[0].As<Napi::Object>();
  Bytes payload, ext;
  if (!getBytes(info[1], &payload)) return throwType(env, "payload must be bytes");
  tg::RtpHeader hd;
  hd.marker = h.Get("marker").ToBoolean();
  hd.payloadType = static_cast<uint8_t>(h.Get("payloadType").ToNumber().Uint32Value());
  hd.sequence = static_cast<uint16_t>(h.Get("sequence").ToNumber().Uint32Value());
  hd.timestamp = h.Get("timestamp").ToNumber().Uint32Value();
  hd.ssrc = h.Get("ssrc").ToNumber().Uint32Value();
  if (h.Has("csrc") && h.Get("csrc").IsArray()) {
    Napi::Array a = h.Get("csrc").As<Napi::Array>();
    hd.csrcCount = static_cast<uint8_t>(std::min<uint32_t>(a.Length(), 15));
    for (uint32_t i = 0; i < hd.csrcCount; i++) hd.csrc[i] = a.Get(i).ToNumber().Uint32Value();
  }
  if (h.Has("extensionData") && getBytes(h.Get("extensionData"), &ext)) {
    hd.extension = true;
    hd.extensionProfile = static_cast<uint16_t>(h.Get("extensionProfile").ToNumber().Uint32Value());
    hd.extensionData = ext.data;
    hd.extensionLength = ext.len;
  }
  std::vector<uint8_t> out(tg::rtpHeaderLength(hd) + payload.len);
  const size_t n = tg::marshalRtp(hd, payload.data, payload.len, out.data(), out.size());
  if (n == 0) return throwRange(env, "header cannot be marshalled");
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), n);
}

Napi::Value TelephoneEventParse(const Napi::CallbackInfo& info) {
  Bytes b;
  tg::TelephoneEvent ev;
  if (!getBytes(info[0], &b) || !tg::parseTelephoneEvent(b.data, b.len, &ev)) return info.Env().Null();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("event", ev.event);
  o.Set("digit", std::string(1, tg::dtmfEventToChar(ev.event)));
  o.Set("end", ev.end);
  o.Set("volume", ev.volume);
  o.Set("duration", ev.duration);
  return o;
}

Napi::Value TelephoneEventBuild(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) return throwType(info.Env(), "event must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  tg::TelephoneEvent ev;
  ev.event = static_cast<uint8_t>(o.Get("event").ToNumber().Uint32Value());
  ev.end = o.Get("end").ToBoolean();
  ev.volume = static_cast<uint8_t>(o.Get("volume").ToNumber().Uint32Value());
  ev.duration = static_cast<uint16_t>(o.Get("duration").ToNumber().Uint32Value());
  uint8_t out[4];
  if (tg::buildTelephoneEvent(ev, out, sizeof(out)) != 4) return throwRange(info.Env(), "volume out of range");
  return Napi::Buffer<uint8_t>::Copy(info.Env(), out, 4);
}

Napi::Value RtcpParse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes b;
  if (!getBytes(info[0], &b)) return throwType(env, "packet must be bytes");
  tg::RtcpCompound c;
  const tg::RtcpParseError e = tg::parseRtcpCompound(b.data, b.len, &c);
  if (e != tg::RtcpParseError::Ok) return Napi::String::New(env, tg::rtcpParseErrorName(e));
  return rtcpCompoundToJs(env, c);
}

Napi::Value RtcpBuild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) return throwType(env, "report must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  std::vector<tg::RtcpReportBlock> blocks;
  if (o.Has("blocks") && o.Get("blocks").IsArray()) {
    Napi::Array a = o.Get("blocks").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length() && i < tg::kMaxReportBlocks; i++) blocks.push_back(reportBlockFromJs(a.Get(i)));
  }
  const uint32_t ssrc = o.Get("ssrc").ToNumber().Uint32Value();
  uint8_t out[1500];
  size_t n = 0;
  if (o.Get("type").ToString().Utf8Value() == "sr") {
    tg::RtcpSenderInfo si;
    si.ntpTimestamp = (static_cast<uint64_t>(o.Get("ntpSeconds").ToNumber().Uint32Value()) << 32) |
                      o.Get("ntpFraction").ToNumber().Uint32Value();
    si.rtpTimestamp = o.Get("rtpTimestamp").ToNumber().Uint32Value();
    si.packetCount = o.Get("packetCount").ToNumber().Uint32Value();
    si.octetCount = o.Get("octetCount").ToNumber().Uint32Value();
    n = tg::buildSenderReport(ssrc, si, blocks.data(), blocks.size(), out, sizeof(out));
  } else {
    n = tg::buildReceiverReport(ssrc, blocks.data(), blocks.size(), out, sizeof(out));
  }
  if (n == 0) return throwRange(env, "report does not fit");
  if (o.Has("cname") && o.Get("cname").IsString()) {
    const size_t k = tg::buildSdesCname(ssrc, o.Get("cname").ToString().Utf8Value().c_str(), out + n, sizeof(out) - n);
    if (k == 0) return throwRange(env, "cname too long");
    n += k;
  }
  if (o.Get("bye").ToBoolean()) n += tg::buildBye(ssrc, out + n, sizeof(out) - n);
  return Napi::Buffer<uint8_t>::Copy(env, out, n);
}

Napi::Value RttFromReport(const Napi::CallbackInfo& info) {
  const int64_t us = tg::rttFromReportUs(info[0].ToNumber().Uint32Value(), info[1].ToNumber().Uint32Value(),
                                         info[2].ToNumber().Uint32Value());
  return Napi::Number::New(info.Env(), static_cast<double>(us));
}

}  // namespace

void InitDspCore(Napi::Env env, Napi::Object dsp);  // dsp_bind_dtmf.cc: DTMF + jitter buffer

}  // namespace tgbind

Napi::Object InitDsp(Napi::Env env, Napi::Object exports) {
  using namespace tgbind;
  Napi::Object dsp = Napi::Object::New(env);
  dsp.Set("g711Encode", Napi::Function::New(env, G711Encode));
  dsp.Set("g711Decode", Napi::Function::New(env, G711Decode));
  dsp.Set("codecEncode", Napi::Function::New(env, CodecEncode));
  dsp.Set("codecDecode", Napi::Function::New(env, CodecDecode));
  dsp.Set("codecInfo", Napi::Function::New(env, CodecInfoOf));
  dsp.Set("resample", Napi::Function::New(env, Resample));
  dsp.Set("resampleRate", Napi::Function::New(env, ResampleRate));
  dsp.Set("rtpParse", Napi::Function::New(env, RtpParse));
  dsp.Set("rtpMarshal", Napi::Function::New(env, RtpMarshal));
  dsp.Set("telephoneEventParse", Napi::Function::New(env, TelephoneEventParse));
  dsp.Set("telephoneEventBuild", Napi::Function::New(env, TelephoneEventBuild));
  dsp.Set("rtcpParse", Napi::Function::New(env, RtcpParse));
  dsp.Set("rtcpBuild", Napi::Function::New(env, RtcpBuild));
  dsp.Set("rttFromReport", Napi::Function::New(env, RttFromReport));
  InitDspCore(env, dsp);
  InitDspObjects(env, dsp);
  InitDspBench(env, dsp);
  exports.Set("dsp", dsp);
  return exports;
}
