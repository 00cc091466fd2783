// Stateful DSP objects for tests and tools: SrtpSession (libsrtp2), RtpReceiveStats (RFC 3550 A.1/A.3/A.8)
// and the mix-minus Mixer, as small ObjectWraps. Buffers are copied in and out (not a real-time path).
#include <napi.h>

#include <memory>
#include <vector>

#include "bind/dsp_bind_util.h"
#include "dsp/mixer.h"
#include "rtp/receive_stats.h"
#include "srtp/srtp_session.h"

namespace tgbind {

namespace {

bool suiteArg(const Napi::Value& v, tg::SrtpSuite* out) {
  return v.IsString() && tg::srtpSuiteFromName(v.As<Napi::String>().Utf8Value().c_str(), out);
}

class SrtpSessionWrap : public Napi::ObjectWrap<SrtpSessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SrtpSession",
                       {InstanceMethod("setOutbound", &SrtpSessionWrap::SetOutbound),
                        InstanceMethod("setInbound", &SrtpSessionWrap::SetInbound),
                        InstanceMethod("protectRtp", &SrtpSessionWrap::ProtectRtp),
                        InstanceMethod("unprotectRtp", &SrtpSessionWrap::UnprotectRtp),
                        InstanceMethod("protectRtcp", &SrtpSessionWrap::ProtectRtcp),
                        InstanceMethod("unprotectRtcp", &SrtpSessionWrap::UnprotectRtcp)});
  }
  explicit SrtpSessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SrtpSessionWrap>(info) {}

 private:
  Napi::Value SetOutbound(const Napi::CallbackInfo& info) { return set(info, false); }
  Napi::Value SetInbound(const Napi::CallbackInfo& info) { return set(info, true); }
  Napi::Value set(const Napi::CallbackInfo& info, bool inbound) {
    tg::SrtpSuite suite;
    Bytes key, mki;
    if (!suiteArg(info[0], &suite) || !getBytes(info[1], &key)) return throwType(info.Env(), "bad arguments");
    // setOutbound(suite, key, mki?) / setInbound(suite, key, window, mki?)
    const bool hasMki = getBytes(info[inbound ? 3 : 2], &mki);
    const tg::SrtpStatus st =
        inbound ? session_.setInbound(suite, key.data, key.len, info[2].IsNumber() ? info[2].ToNumber().Uint32Value() : 128,
                                      hasMki ? mki.data : nullptr, hasMki ? mki.len : 0)
                : session_.setOutbound(suite, key.data, key.len, hasMki ? mki.data : nullptr, hasMki ? mki.len : 0);
    return Napi::String::New(info.Env(), tg::srtpStatusName(st));
  }
  // Returns the resulting packet (Buffer) or the status name (string) on failure.
  Napi::Value run(const Napi::CallbackInfo& info, int op) {
    Bytes in;
    if (!getBytes(info[0], &in)) return throwType(info.Env(), "packet must be bytes");
    std::vector<uint8_t> buf(in.len + 200);
    std::memcpy(buf.data(), in.data, in.len);
    // Optional capacity (to exercise the NoSpace path); default leaves room for any trailer.
    size_t cap = info[1].IsNumber() ? info[1].ToNumber().Uint32Value() : buf.size();
    if (cap > buf.size()) cap = buf.size();
    size_t outLen = 0;
    tg::SrtpStatus st;
    switch (op) {
      case 0: st = session_.protectRtp(buf.data(), in.len, cap, &outLen); break;
      case 1: st = session_.unprotectRtp(buf.data(), in.len, &outLen); break;
      case 2: st = session_.protectRtcp(buf.data(), in.len, cap, &outLen); break;
      default: st = session_.unprotectRtcp(buf.data(), in.len, &outLen); break;
    }
    if (st != tg::SrtpStatus::Ok) return Napi::String::New(info.Env(), tg::srtpStatusName(st));
    return Napi::Buffer<uint8_t>::Copy(info.Env(), buf.data(), outLen);
  }
  Napi::Value ProtectRtp(const Napi::CallbackInfo& info) { return run(info, 0); }
  Napi::Value UnprotectRtp(const Napi::CallbackInfo& info) { return run(info, 1); }
  Napi::Value ProtectRtcp(const Napi::CallbackInfo& info) { return run(info, 2); }
  Napi::Value UnprotectRtcp(const Napi::CallbackInfo& info) { return run(info, 3); }

  tg::SrtpSession session_;
};

class ReceiveStatsWrap : public Napi::ObjectWrap<ReceiveStatsWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RtpReceiveStats",
                       {InstanceMethod("onPacket", &ReceiveStatsWrap::OnPacket),
                        InstanceMethod("onSenderReport", &ReceiveStatsWrap::OnSenderReport),
                        InstanceMethod("makeReportBlock", &ReceiveStatsWrap::MakeReportBlock),
                        InstanceMethod("snapshot", &ReceiveStatsWrap::Snapshot)});
  }
  explicit ReceiveStatsWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<ReceiveStatsWrap>(info), stats_(info[0].ToNumber().Uint32Value()) {
    stats_.reset(info[1].ToNumber().Uint32Value());
  }

 private:
  Napi::Value OnPacket(const Napi::CallbackInfo& info) {
    const bool ok = stats_.onPacket(static_cast<uint16_t>(info[0].ToNumber().Uint32Value()),
                                    info[1].ToNumber().Uint32Value(),
                                    static_cast<uint64_t>(info[2].ToNumber().Int64Value()));
    return Napi::Boolean::New(info.Env(), ok);
  }
  Napi::Value OnSenderReport(const Napi::CallbackInfo& info) {
    tg::RtcpSenderInfo si;
    si.ntpTimestamp = (static_cast<uint64_t>(info[0].ToNumber().Uint32Value()) << 32) | info[1].ToNumber().Uint32Value();
    stats_.onSenderReport(si, static_cast<uint64_t>(info[2].ToNumber().Int64Value()));
    return info.Env().Undefined();
  }
  Napi::Value MakeReportBlock(const Napi::CallbackInfo& info) {
    tg::RtcpReportBlock b;
    stats_.makeReportBlock(static_cast<uint64_t>(info[0].ToNumber().Int64Value()), &b);
    return reportBlockToJs(info.Env(), b);
  }
  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("extendedHighestSeq", stats_.extendedHighestSeq());
    o.Set("expected", stats_.probation() ? 0 : stats_.expected());
    o.Set("received", stats_.received());
    o.Set("cumulativeLost", static_cast<double>(stats_.probation() ? 0 : stats_.cumulativeLost()));
    o.Set("jitter", stats_.jitter());
    o.Set("jitterMs", stats_.jitterMs());
    o.Set("probation", stats_.probation());
    o.Set("restarts", stats_.badSeqRestarts());
    return o;
  }
  tg::RtpReceiveStats stats_;
};

class MixerWrap : public Napi::ObjectWrap<MixerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Mixer",
                       {InstanceMethod("join", &MixerWrap::Join), InstanceMethod("leave", &MixerWrap::Leave),
                        InstanceMethod("setWhisper", &MixerWrap::SetWhisper),
                        InstanceMethod("setMuted", &MixerWrap::SetMuted),
                        InstanceMethod("setInput", &MixerWrap::SetInput), InstanceMethod("mix", &MixerWrap::Mix),
                        InstanceMethod("output", &MixerWrap::Output)});
  }
  explicit MixerWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<MixerWrap>(info),
        mixer_(new tg::Mixer(info[0].ToNumber().Uint32Value(), info[1].IsNumber() ? info[1].ToNumber().Uint32Value() : 320)) {}

 private:
  Napi::Value Join(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), mixer_->join()); }
  Napi::Value Leave(const Napi::CallbackInfo& info) {
    mixer_->leave(info[0].ToNumber().Int32Value());
    return info.Env().Undefined();
  }
  Napi::Value SetWhisper(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), mixer_->setWhisper(info[0].ToNumber().Int32Value(), info[1].ToNumber().Int32Value()));
  }
  Napi::Value SetMuted(const Napi::CallbackInfo& info) {
    mixer_->setMuted(info[0].ToNumber().Int32Value(), info[1].ToBoolean());
    return info.Env().Undefined();
  }
  Napi::Value SetInput(const Napi::CallbackInfo& info) {
    Bytes b;
    if (!getBytes(info[1], &b)) return throwType(info.Env(), "pcm must be 16-bit samples");
    std::vector<int16_t> s = toSamples(b);
    return Napi::Boolean::New(info.Env(), mixer_->setInput(info[0].ToNumber().Int32Value(), s.data(), s.size()));
  }
  Napi::Value Mix(const Napi::CallbackInfo& info) {
    mixer_->mix();
    return info.Env().Undefined();
  }
  Napi::Value Output(const Napi::CallbackInfo& info) {
    const int16_t* p = mixer_->output(info[0].ToNumber().Int32Value());
    if (p == nullptr) return info.Env().Null();
    return samplesToBuffer(info.Env(), p, mixer_->frameSamples());
  }
  std::unique_ptr<tg::Mixer> mixer_;
};

Napi::Value SupportedSrtpSuites(const Napi::CallbackInfo& info) {
  tg::SrtpSuite suites[tg::kSrtpSuiteCount];
  const size_t n = tg::supportedSrtpSuites(suites, tg::kSrtpSuiteCount);
  Napi::Array a = Napi::Array::New(info.Env(), n);
  for (uint32_t i = 0; i < n; i++) a.Set(i, tg::srtpSuiteName(suites[i]));
  return a;
}

Napi::Value SrtpSuiteInfo(const Napi::CallbackInfo& info) {
  tg::SrtpSuite s;
  if (!suiteArg(info[0], &s)) return info.Env().Null();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("keyLength", static_cast<double>(tg::srtpMasterKeyLength(s)));
  o.Set("saltLength", static_cast<double>(tg::srtpMasterSaltLength(s)));
  o.Set("rtpOverhead", static_cast<double>(tg::srtpRtpOverhead(s)));
  o.Set("rtcpOverhead", static_cast<double>(tg::srtpRtcpOverhead(s)));
  o.Set("supported", tg::srtpSuiteSupported(s));
  return o;
}

}  // namespace

}  // namespace tgbind

void InitDspObjects(Napi::Env env, Napi::Object dsp) {
  using namespace tgbind;
  dsp.Set("SrtpSession", SrtpSessionWrap::Define(env));
  dsp.Set("RtpReceiveStats", ReceiveStatsWrap::Define(env));
  dsp.Set("Mixer", MixerWrap::Define(env));
  dsp.Set("supportedSrtpSuites", Napi::Function::New(env, SupportedSrtpSuites));
  dsp.Set("srtpSuiteInfo", Napi::Function::New(env, SrtpSuiteInfo));
}
