// N-API binding of the media engine (native/io). One MediaEngine object per JS MediaEngine; legs,
// conferences and engine ports are addressed by numeric id. Media threads never call JS: they raise
// one wake through a thread-safe function (at most one outstanding, see MediaWorker), and the JS
// thread then drains bounded frame and event rings. Cleanup hook: threads stop when the addon's
// environment goes away even if JS never called close().
#include <napi.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bind/media_bind_util.h"
#include "io/media-engine.h"

using namespace tg;
using namespace tg::io;

namespace {

class MediaEngineWrap : public Napi::ObjectWrap<MediaEngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MediaEngine",
                       {
                           InstanceMethod("createLeg", &MediaEngineWrap::CreateLeg),
                           InstanceMethod("legSetRemote", &MediaEngineWrap::LegSetRemote),
                           InstanceMethod("legSetCodec", &MediaEngineWrap::LegSetCodec),
                           InstanceMethod("legSetSrtp", &MediaEngineWrap::LegSetSrtp),
                           InstanceMethod("legSetDirection", &MediaEngineWrap::LegSetDirection),
                           InstanceMethod("legSetInbandDtmf", &MediaEngineWrap::LegSetInbandDtmf),
                           InstanceMethod("play", &MediaEngineWrap::Play),
                           InstanceMethod("clear", &MediaEngineWrap::Clear),
                           InstanceMethod("mark", &MediaEngineWrap::Mark),
                           InstanceMethod("queued", &MediaEngineWrap::Queued),
                           InstanceMethod("legSendDtmf", &MediaEngineWrap::LegSendDtmf),
                           InstanceMethod("legStats", &MediaEngineWrap::LegStats),
                           InstanceMethod("legClose", &MediaEngineWrap::LegClose),
                           InstanceMethod("conferenceCreate", &MediaEngineWrap::ConferenceCreate),
                           InstanceMethod("conferenceAdd", &MediaEngineWrap::ConferenceAdd),
                           InstanceMethod("conferenceRemove", &MediaEngineWrap::ConferenceRemove),
                           InstanceMethod("conferenceClose", &MediaEngineWrap::ConferenceClose),
                           InstanceMethod("portCreate", &MediaEngineWrap::PortCreate),
                           InstanceMethod("portClose", &MediaEngineWrap::PortClose),
                           InstanceMethod("engineStats", &MediaEngineWrap::EngineStats),
                           InstanceMethod("close", &MediaEngineWrap::Close),
                       });
  }

  MediaEngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MediaEngineWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "MediaEngine(config, onMedia)").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object c = info[0].As<Napi::Object>();
    EngineConfig cfg;
    cfg.minPort = static_cast<uint16_t>(getInt(c, "minPort", 10000));
    cfg.maxPort = static_cast<uint16_t>(getInt(c, "maxPort", 20000));
    cfg.bindAddress = getString(c, "bindAddress", "0.0.0.0");
    cfg.advertiseAddress = getString(c, "advertiseAddress", "");
    cfg.threads = getInt(c, "threads", 0);
    cfg.realtimePriority = getInt(c, "realtimePriority", 0);
    cfg.paced = getBool(c, "paced", true);
    sockaddr_storage probe;
    socklen_t plen;
    if (!parseAddress(cfg.bindAddress, 0, &probe, &plen)) {
      Napi::TypeError::New(env, "bindAddress must be an IP address literal").ThrowAsJavaScriptException();
      return;
    }
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "trunkgate-media", 4, 1);
    Napi::ThreadSafeFunction tsfn = tsfn_;
    // The wake runs on a media thread: non-blocking, and the engine guarantees at most one pending.
    engine_ = std::make_unique<MediaEngine>(cfg, [this, tsfn]() mutable {
      return tsfn.NonBlockingCall([this](Napi::Env env, Napi::Function fn) { Drain(env, fn); }) == napi_ok;
    });
    // The C API on purpose: Napi::Env::AddCleanupHook registers a wrapper with its own heap data, so the
    // napi_remove_env_cleanup_hook(Cleanup, this) in the destructor would not match it and the hook would
    // later run on a collected object at environment teardown (seen as SIGSEGV/SIGABRT at process exit).
    NAPI_THROW_IF_FAILED_VOID(env, napi_add_env_cleanup_hook(env, &MediaEngineWrap::Cleanup, this));
    cleanupHooked_ = true;
  }

  ~MediaEngineWrap() override {
    if (cleanupHooked_) napi_remove_env_cleanup_hook(Env(), &MediaEngineWrap::Cleanup, this);
    Shutdown();
  }

 private:
  static void Cleanup(void* arg) {
    auto* self = static_cast<MediaEngineWrap*>(arg);
    self->cleanupHooked_ = false;
    self->Shutdown();
  }

  void Shutdown() {
    if (!engine_ || closed_) return;
    closed_ = true;
    engine_->close();  // joins the threads: no wake can follow
    legs_.clear();
    ports_.clear();
    conferences_.clear();
    // Abort, not Release: a wake still queued must not run Drain on a finalised object.
    tsfn_.Abort();
  }

  bool Open(const Napi::Env& env) {
    if (closed_) {
      Napi::Error::New(env, "MEDIA_ERR_CLOSED: media engine is closed").ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  std::shared_ptr<Leg> FindLeg(const Napi::CallbackInfo& info, size_t arg = 0) {
    int64_t v;
    if (!intArg(info.Env(), info[arg], "leg id", 0, UINT32_MAX, &v)) return nullptr;
    const uint32_t id = static_cast<uint32_t>(v);
    auto it = legs_.find(id);
    if (it == legs_.end()) {
      Napi::Error::New(info.Env(), "MEDIA_ERR_NO_LEG: unknown or closed leg " + std::to_string(id))
          .ThrowAsJavaScriptException();
      return nullptr;
    }
    return it->second;
  }

  Napi::Value CreateLeg(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    if (!info[0].IsObject()) {
      Napi::TypeError::New(env, "leg options must be an object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = info[0].As<Napi::Object>();
    LegOptions opts;
    opts.rtcpMux = getBool(o, "rtcpMux", false);
    opts.symmetric = getBool(o, "symmetric", false);
    opts.frames = getBool(o, "frames", true);
    opts.inbandDtmfDetect = getBool(o, "inbandDtmf", false);
    opts.sendSilence = getBool(o, "sendSilence", true);
    // The same bounds as the facade (media-engine.ts): a frame queue of 0 or a 4 GB playout queue must
    // not reach the allocator, whoever calls.
    int64_t before, after, frameQ, playoutMs, jMin, jMax;
    if (!optInt(o, "timeoutBeforeMs", 30000, 0, 3600000, &before) || !optInt(o, "timeoutAfterMs", 15000, 0, 3600000, &after) ||
        !optInt(o, "frameQueueFrames", 50, 2, 3000, &frameQ) || !optInt(o, "playoutQueueMs", 16000, 100, 600000, &playoutMs) ||
        !optInt(o, "jitterMinMs", 20, 0, 1000, &jMin) || !optInt(o, "jitterMaxMs", 200, 20, 2000, &jMax)) {
      return env.Undefined();
    }
    opts.timeoutBeforeMs = static_cast<uint32_t>(before);
    opts.timeoutAfterMs = static_cast<uint32_t>(after);
    opts.frameQueueFrames = static_cast<uint32_t>(frameQ);
    opts.playoutQueueMs = static_cast<uint32_t>(playoutMs);
    opts.jitterMinMs = static_cast<uint32_t>(jMin);
    opts.jitterMaxMs = static_cast<uint32_t>(jMax);
    std::string error;
    auto leg = engine_->createLeg(opts, &error);
    if (!leg) {
      Napi::Error::New(env, "MEDIA_ERR_PORTS: " + error).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    legs_[leg->id()] = leg;
    Napi::Object r = Napi::Object::New(env);
    r.Set("id", leg->id());
    r.Set("port", leg->localPort());
    r.Set("address", engine_->config().advertiseAddress);
    return r;
  }

  Napi::Value LegSetRemote(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    auto leg = FindLeg(info);
    if (!leg) return env.Undefined();
    sockaddr_storage rtp, rtcp;
    socklen_t rtpLen, rtcpLen;
    int64_t port, rtcpPort;
    if (!info[1].IsString() || !info[3].IsString()) {
      Napi::TypeError::New(env, "remote address must be an IP address literal").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!intArg(env, info[2], "port", 1, 65535, &port) || !intArg(env, info[4], "rtcpPort", 1, 65535, &rtcpPort)) {
      return env.Undefined();
    }
    const std::string host = info[1].As<Napi::String>();
    const std::string rtcpHost = info[3].As<Napi::String>();
    if (!parseAddress(host, port, &rtp, &rtpLen) || !parseAddress(rtcpHost, rtcpPort, &rtcp, &rtcpLen)) {
      Napi::TypeError::New(env, "remote address must be an IP address literal").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    engine_->onLegThread(leg, [leg, rtp, rtpLen, rtcp, rtcpLen](MediaWorker&) {
      leg->setRemote(rtp, rtpLen, rtcp, rtcpLen, monotonicNs());
    });
    return env.Undefined();
  }

  Napi::Value LegSetCodec(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    auto leg = FindLeg(info);
    if (!leg) return env.Undefined();
    if (!info[1].IsString()) {
      Napi::TypeError::New(env, "codec must be a string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const std::string name = info[1].As<Napi::String>();
    const CodecInfo* ci = findCodecByName(name.c_str());
    if (!ci || !ci->isAudio) {
      Napi::RangeError::New(env, "unsupported codec " + name).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // Checked here, not only in TypeScript: ptime 0 made the send loop spin forever and a ptime above the
    // accumulator overflowed it; a PT above 127 does not fit the RTP header's 7 bits (RFC 3550 §5.1).
    int64_t pt, tePt, ptime;
    if (!intArg(env, info[2], "payloadType", 0, 127, &pt) || !intArg(env, info[3], "telephoneEventPayloadType", -1, 127, &tePt) ||
        !intArg(env, info[4], "ptime", 1, kMaxPtimeMs, &ptime)) {
      return env.Undefined();
    }
    if (tePt == pt) {
      Napi::RangeError::New(env, "telephoneEventPayloadType must differ from payloadType").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!codecAllowsPtime(*ci, static_cast<uint32_t>(ptime))) {
      std::string allowed;
      for (uint32_t p : ci->ptimes) {
        if (p != 0) allowed += (allowed.empty() ? "" : ", ") + std::to_string(p);
      }
      Napi::RangeError::New(env, std::string("ptime for ") + ci->name + " must be one of " + allowed).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    CodecSettings cs;
    cs.codec = ci->id;
    cs.payloadType = static_cast<int>(pt);
    cs.telephoneEventPt = static_cast<int>(tePt);
    cs.ptimeMs = static_cast<uint32_t>(ptime);
    if (info.Length() > 5 && info[5].IsObject()) {
      Napi::Object p = info[5].As<Napi::Object>();
      int64_t maxRate;
      if (!optInt(p, "maxPlaybackRate", 0, 0, 48000, &maxRate)) return env.Undefined();
      cs.encoder.inbandFec = getBool(p, "inbandFec", false);
      cs.encoder.maxPlaybackRate = static_cast<uint32_t>(maxRate);
    }
    // Build the codec objects here (allocation) so the media thread only swaps pointers.
    auto dec = boxed(makeDecoder(cs.codec));
    auto enc = boxed(makeEncoder(cs.codec, cs.encoder));
    auto jb = boxed(makeJitterBuffer(cs.codec, leg->options(), dec->get()));
    engine_->onLegThread(leg, [leg, cs, dec, enc, jb](MediaWorker&) mutable {
      leg->setCodec(cs, takeUnique(dec), takeUnique(enc), takeUnique(jb));
    });
    return env.Undefined();
  }

  Napi::Value LegSetSrtp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    auto leg = FindLeg(info);
    if (!leg) return env.Undefined();
    auto session = boxed(std::unique_ptr<SrtpSession>());
    if (!info[1].IsNull() && !info[1].IsUndefined()) {
      const std::string suiteName = info[1].As<Napi::String>();
      SrtpSuite suite;
      if (!srtpSuiteFromName(suiteName.c_str(), &suite)) {
        Napi::RangeError::New(env, "unsupported SRTP suite " + suiteName).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      auto tx = info[2].As<Napi::Buffer<uint8_t>>();
      auto rx = info[3].As<Napi::Buffer<uint8_t>>();
      *session = std::make_unique<SrtpSession>();
      SrtpStatus s1 = (*session)->setOutbound(suite, tx.Data(), tx.Length());
      SrtpStatus s2 = (*session)->setInbound(suite, rx.Data(), rx.Length());
      if (s1 != SrtpStatus::Ok || s2 != SrtpStatus::Ok) {
        const char* why = srtpStatusName(s1 != SrtpStatus::Ok ? s1 : s2);
        Napi::RangeError::New(env, std::string("MEDIA_ERR_SRTP: cannot set SRTP keys: ") + why)
            .ThrowAsJavaScriptException();
        return env.Undefined();
      }
    }
    engine_->onLegThread(leg, [leg, session](MediaWorker&) mutable { leg->setSrtp(takeUnique(session)); });
    return env.Undefined();
  }

  Napi::Value LegSetDirection(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    auto leg = FindLeg(info);
    if (!leg) return env.Undefined();
    int64_t dir;
    if (!intArg(env, info[1], "direction", 0, 3, &dir)) return env.Undefined();
    const Direction d = static_cast<Direction>(dir);
    engine_->onLegThread(leg, [leg, d](MediaWorker&) { leg->setDirection(d); });
    return env.Undefined();
  }

  Napi::Value LegSetInbandDtmf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    auto leg = FindLeg(info);
    if (!leg) return env.Undefined();
    const bool on = info[1].ToBoolean().Value();
    engine_->onLegThread(leg, [leg, on](MediaWorker&) { leg->setInbandDtmf(on); });
    return env.Undefined();
  }

  // Playout target: a leg's queue or an engine port's queue (same id space).
  PlayoutQueue* FindQueue(const Napi::CallbackInfo& info) {
    int64_t v;
    if (!intArg(info.Env(), info[0], "leg id", 0, UINT32_MAX, &v)) return nullptr;
    const uint32_t id = static_cast<uint32_t>(v);
    auto l = legs_.find(id);
    if (l != legs_.end()) return &l->second->playout();
    auto p = ports_.find(id);
    if (p != ports_.end()) return &p->second->in;
    Napi::Error::New(info.Env(), "MEDIA_ERR_NO_LEG: unknown or closed leg " + std::to_string(id))
        .ThrowAsJavaScriptException();
    return nullptr;
  }

  Napi::Value Play(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    PlayoutQueue* q = FindQueue(info);
    if (!q) return env.Undefined();
    // Borrowed view of the caller's samples (an Int16Array, or a Buffer at any byte offset): copied
    // straight into the ring, no intermediate buffer. One napi call for pointer and length.
    void* data = nullptr;
    size_t length = 0;
    napi_typedarray_type type;
    if (napi_get_typedarray_info(env, info[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
        (type != napi_int16_array && type != napi_uint8_array) || (type == napi_uint8_array && length % 2 != 0)) {
      Napi::TypeError::New(env, "play(id, Int16Array | Buffer of even length)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const size_t n = type == napi_int16_array ? length : length / 2;
    const auto* pcm = data;
    return Napi::Number::New(env, static_cast<double>(q->write(pcm, n)));
  }

  Napi::Value Clear(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    if (PlayoutQueue* q = FindQueue(info)) q->clear();
    return env.Undefined();
  }

  Napi::Value Mark(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    PlayoutQueue* q = FindQueue(info);
    if (!q) return env.Undefined();
    return Napi::Boolean::New(env, q->mark(static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value())));
  }

  Napi::Value Queued(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    PlayoutQueue* q = FindQueue(info);
    if (!q) return env.Undefined();
    return Napi::Number::New(env, static_cast<double>(q->queuedSamples()));
  }

  Napi::Value LegSendDtmf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    auto leg = FindLeg(info);
    if (!leg) return env.Undefined();
    if (!info[1].IsString() || !info[2].IsString()) {
      Napi::TypeError::New(env, "legSendDtmf(id, digits, mode, toneMs, gapMs, requestId)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int64_t toneMs, gapMs, requestId;
    if (!intArg(env, info[3], "toneMs", 40, 5000, &toneMs) || !intArg(env, info[4], "gapMs", 40, 5000, &gapMs) ||
        !intArg(env, info[5], "requestId", 0, INT64_C(9007199254740991), &requestId)) {
      return env.Undefined();
    }
    const std::string digits = info[1].As<Napi::String>();
    const int bad = DtmfSender::validate(digits.data(), digits.size());
    if (bad >= 0 || digits.size() > DtmfSender::kMaxDigits) {
      Napi::RangeError::New(env, "invalid DTMF string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    DtmfSenderConfig cfg;
    cfg.mode = info[2].As<Napi::String>().Utf8Value() == "inband" ? DtmfMode::InBand : DtmfMode::Rfc4733;
    cfg.toneMs = static_cast<uint32_t>(toneMs);
    cfg.gapMs = static_cast<uint32_t>(gapMs);
    engine_->onLegThread(leg, [leg, digits, cfg, requestId](MediaWorker&) {
      leg->startDtmf(digits.data(), digits.size(), cfg, requestId);
    });
    return env.Undefined();
  }

  Napi::Value LegStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    auto leg = FindLeg(info);
    if (!leg) return env.Undefined();
    return legStatsToJs(env, leg->statsSnapshot(), leg->playout().queuedSamples());
  }

  Napi::Value LegClose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return env.Undefined();
    const uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    auto it = legs_.find(id);
    if (it == legs_.end()) return env.Undefined();
    engine_->closeLeg(it->second);
    legs_.erase(it);
    return env.Undefined();
  }

  Napi::Value ConferenceCreate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    int64_t capacity = Conference::kMaxParticipants;
    if (info.Length() > 0 && !info[0].IsUndefined() &&
        !intArg(env, info[0], "capacity", 2, Conference::kMaxParticipants, &capacity)) {
      return env.Undefined();
    }
    auto c = engine_->createConference(static_cast<size_t>(capacity));
    conferences_[c->id()] = c;
    return Napi::Number::New(env, c->id());
  }

  std::shared_ptr<Conference> FindConference(const Napi::CallbackInfo& info) {
    const uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    auto it = conferences_.find(id);
    if (it == conferences_.end()) {
      Napi::Error::New(info.Env(), "MEDIA_ERR_NO_CONFERENCE: unknown or closed conference " + std::to_string(id))
          .ThrowAsJavaScriptException();
      return nullptr;
    }
    return it->second;
  }

  Napi::Value ConferenceAdd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    auto c = FindConference(info);
    if (!c) return env.Undefined();
    const uint32_t pid = info[1].As<Napi::Number>().Uint32Value();
    const uint32_t whisperTo = info[2].As<Napi::Number>().Uint32Value();
    auto l = legs_.find(pid);
    if (l != legs_.end()) {
      engine_->conferenceAddLeg(c, l->second, whisperTo);
      return env.Undefined();
    }
    auto p = ports_.find(pid);
    if (p != ports_.end()) {
      engine_->conferenceAddPort(c, p->second, whisperTo);
      return env.Undefined();
    }
    Napi::Error::New(env, "MEDIA_ERR_NO_LEG: unknown or closed participant " + std::to_string(pid))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }

  Napi::Value ConferenceRemove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    auto c = FindConference(info);
    if (!c) return env.Undefined();
    engine_->conferenceRemove(c, info[1].As<Napi::Number>().Uint32Value());
    return env.Undefined();
  }

  Napi::Value ConferenceClose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return env.Undefined();
    const uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    auto it = conferences_.find(id);
    if (it == conferences_.end()) return env.Undefined();
    engine_->closeConference(it->second);
    conferences_.erase(it);
    return env.Undefined();
  }

  Napi::Value PortCreate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    int64_t frames;
    if (!intArg(env, info[0], "frameQueueFrames", 2, 3000, &frames)) return env.Undefined();
    auto p = engine_->createPort(static_cast<size_t>(frames));
    ports_[p->id] = p;
    return Napi::Number::New(env, p->id);
  }

  Napi::Value PortClose(const Napi::CallbackInfo& info) {
    ports_.erase(info[0].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  Napi::Value EngineStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    return engineStatsToJs(env, *engine_, legs_.size());
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  // JS thread, on a wake: hand every queued frame and event to JS in one call.
  void Drain(Napi::Env env, Napi::Function fn) {
    if (closed_) return;
    engine_->beginDrain();
    batch_.clear();
    for (auto& kv : legs_) {
      if (FrameRing* r = kv.second->frames()) batch_.collect(kv.first, *r);
    }
    for (auto& kv : ports_) batch_.collect(kv.first, kv.second->out);
    Napi::Array events = Napi::Array::New(env);
    uint32_t ne = 0;
    MediaEvent evs[256];
    size_t n;
    while ((n = engine_->popEvents(evs, 256)) > 0) {
      for (size_t i = 0; i < n; ++i) events.Set(ne++, eventToJs(env, evs[i]));
    }
    engine_->releaseRetired();
    if (batch_.empty() && ne == 0) return;
    fn.Call({batch_.pcm(env), batch_.runs(env), events});
  }

  std::unique_ptr<MediaEngine> engine_;
  Napi::ThreadSafeFunction tsfn_;
  bool closed_ = false;
  bool cleanupHooked_ = false;
  std::unordered_map<uint32_t, std::shared_ptr<Leg>> legs_;
  std::unordered_map<uint32_t, std::shared_ptr<EnginePort>> ports_;
  std::unordered_map<uint32_t, std::shared_ptr<Conference>> conferences_;
  FrameBatch batch_;
};

}  // namespace

Napi::Object InitMedia(Napi::Env env, Napi::Object exports) {
  exports.Set("MediaEngine", MediaEngineWrap::Define(env));
  return exports;
}
