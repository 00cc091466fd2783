#include "bind/media_bind_util.h"

#include <cmath>
#include <cstring>

using namespace tg::io;

int getInt(const Napi::Object& o, const char* key, int def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : def;
}

bool intArg(const Napi::Env& env, const Napi::Value& v, const char* name, int64_t min, int64_t max, int64_t* out) {
  if (!v.IsNumber()) {
    Napi::TypeError::New(env, std::string(name) + " must be an integer").ThrowAsJavaScriptException();
    return false;
  }
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == std::floor(d)) || std::isinf(d)) {
    Napi::TypeError::New(env, std::string(name) + " must be an integer").ThrowAsJavaScriptException();
    return false;
  }
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    Napi::RangeError::New(env, std::string(name) + " must be between " + std::to_string(min) + " and " + std::to_string(max))
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

bool optInt(const Napi::Object& o, const char* key, int64_t def, int64_t min, int64_t max, int64_t* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    *out = def;
    return true;
  }
  return intArg(o.Env(), v, key, min, max, out);
}

bool getBool(const Napi::Object& o, const char* key, bool def) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : def;
}

std::string getString(const Napi::Object& o, const char* key, const std::string& def) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : def;
}

Napi::Object legStatsToJs(Napi::Env env, const LegStats& s, size_t queuedSamples) {
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  num("packetsReceived", static_cast<double>(s.packetsReceived));
  num("bytesReceived", static_cast<double>(s.bytesReceived));
  num("packetsSent", static_cast<double>(s.packetsSent));
  num("bytesSent", static_cast<double>(s.bytesSent));
  num("packetsLost", static_cast<double>(s.packetsLost));
  num("jitterMs", s.jitterMs);
  num("rttMs", s.rttMs);
  num("srtpFailures", static_cast<double>(s.srtpFailures));
  num("unexpectedSource", static_cast<double>(s.unexpectedSource));
  num("rejectedSources", static_cast<double>(s.rejectedSources));
  num("sendErrors", static_cast<double>(s.sendErrors));
  num("malformed", static_cast<double>(s.malformed));
  num("unknownPayloadType", static_cast<double>(s.unknownPayloadType));
  num("rtcpSent", static_cast<double>(s.rtcpSent));
  num("rtcpReceived", static_cast<double>(s.rtcpReceived));
  num("dtmfReceived", static_cast<double>(s.dtmfReceived));
  num("framesToJs", static_cast<double>(s.framesToJs));
  num("framesDropped", static_cast<double>(s.framesDropped));
  num("timeouts", static_cast<double>(s.timeouts));
  num("remoteSsrc", s.remoteSsrc);
  num("localSsrc", s.localSsrc);
  num("remoteFractionLost", s.remoteFractionLost);
  num("remoteJitterMs", s.remoteJitterMs);
  num("remotePacketsLost", static_cast<double>(s.remotePacketsLost));
  num("playoutQueuedMs", static_cast<double>(queuedSamples) / 16.0);
  o.Set("latched", Napi::Boolean::New(env, s.latched));
  Napi::Object j = Napi::Object::New(env);
  auto jn = [&](const char* k, double v) { j.Set(k, Napi::Number::New(env, v)); };
  jn("currentDelayMs", s.jitter.currentDelayMs);
  jn("targetDelayMs", s.jitter.targetDelayMs);
  jn("pushed", static_cast<double>(s.jitter.pushed));
  jn("played", static_cast<double>(s.jitter.played));
  jn("lateLosses", static_cast<double>(s.jitter.lateLosses));
  jn("lost", static_cast<double>(s.jitter.lost));
  jn("concealedSamples", static_cast<double>(s.jitter.concealedSamples));
  jn("underflows", static_cast<double>(s.jitter.underflows));
  jn("overflows", static_cast<double>(s.jitter.overflows));
  jn("duplicates", static_cast<double>(s.jitter.duplicates));
  jn("reorders", static_cast<double>(s.jitter.reorders));
  jn("droppedFrames", static_cast<double>(s.jitter.droppedFrames));
  jn("insertedFrames", static_cast<double>(s.jitter.insertedFrames));
  jn("resets", static_cast<double>(s.jitter.resets));
  jn("decodeErrors", static_cast<double>(s.jitter.decodeErrors));
  jn("fecFrames", static_cast<double>(s.jitter.fecFrames));
  o.Set("jitterBuffer", j);
  return o;
}

Napi::Object engineStatsToJs(Napi::Env env, const MediaEngine& engine, size_t legs) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("threads", engine.threadCount());
  o.Set("legs", static_cast<double>(legs));
  o.Set("droppedEvents", static_cast<double>(engine.droppedEvents()));
  o.Set("portsInUse", static_cast<double>(engine.ports().inUse()));
  o.Set("foreignPortReleases", static_cast<double>(engine.ports().foreignReleases()));
  Napi::Array workers = Napi::Array::New(env);
  for (int i = 0; i < engine.threadCount(); ++i) {
    const WorkerTiming& t = engine.worker(i).timing();
    Napi::Object w = Napi::Object::New(env);
    w.Set("legs", static_cast<double>(engine.worker(i).legCount()));
    w.Set("realtime", engine.worker(i).realtime());
    w.Set("ticks", static_cast<double>(t.ticks.load()));
    w.Set("skippedTicks", static_cast<double>(t.skippedTicks.load()));
    w.Set("busyMs", static_cast<double>(t.busyNs.load()) / 1e6);
    w.Set("maxLateMs", static_cast<double>(t.maxLateNs.load()) / 1e6);
    w.Set("failedWakes", static_cast<double>(t.failedWakes.load()));
    w.Set("epollErrors", static_cast<double>(t.epollErrors.load()));
    w.Set("receiveBudgetHits", static_cast<double>(t.receiveBudgetHits.load()));
    Napi::Array late = Napi::Array::New(env, WorkerTiming::kBuckets);
    Napi::Array busy = Napi::Array::New(env, WorkerTiming::kBuckets);
    Napi::Array sendStart = Napi::Array::New(env, WorkerTiming::kBuckets);
    for (uint32_t b = 0; b < WorkerTiming::kBuckets; ++b) {
      late.Set(b, static_cast<double>(t.lateHist[b].load()));
      busy.Set(b, static_cast<double>(t.busyHist[b].load()));
      sendStart.Set(b, static_cast<double>(t.sendStartHist[b].load()));
    }
    w.Set("lateHist100us", late);
    w.Set("busyHist100us", busy);
    w.Set("sendStartHist100us", sendStart);
    workers.Set(static_cast<uint32_t>(i), w);
  }
  o.Set("workers", workers);
  return o;
}

Napi::Value eventToJs(Napi::Env env, const MediaEvent& ev) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", ev.legId);
  static const char* kNames[] = {"dtmf", "mark", "timeout", "dtmfDone", "playoutDone"};
  o.Set("type", kNames[static_cast<int>(ev.type)]);
  switch (ev.type) {
    case MediaEventType::Dtmf:
      o.Set("digit", std::string(1, ev.digit));
      o.Set("durationMs", ev.durationMs);
      o.Set("source", ev.flag == kDtmfInband ? "inband" : "rfc4733");
      break;
    case MediaEventType::Mark:
      o.Set("markId", static_cast<double>(ev.value));
      o.Set("flushed", ev.flag != 0);
      break;
    case MediaEventType::Timeout:
      o.Set("afterMedia", ev.flag != 0);
      o.Set("silentMs", ev.durationMs);
      break;
    case MediaEventType::DtmfDone:
      o.Set("requestId", static_cast<double>(ev.value));
      break;
    case MediaEventType::PlayoutDone:
      o.Set("flushed", ev.flag != 0);
      break;
  }
  return o;
}

void FrameBatch::collect(uint32_t id, FrameRing& ring) {
  const size_t avail = ring.size();
  if (avail == 0) return;
  if (scratch_.size() < avail) scratch_.resize(avail);
  const size_t n = ring.pop(scratch_.data(), avail);
  size_t runStart = 0;
  for (size_t i = 1; i <= n; ++i) {
    if (i < n && scratch_[i].seq == scratch_[i - 1].seq + 1) continue;
    const size_t offset = samples_.size();
    runs_.push_back(id);
    runs_.push_back(scratch_[runStart].seq);
    runs_.push_back(static_cast<uint32_t>(i - runStart));
    runs_.push_back(static_cast<uint32_t>(offset));
    samples_.resize(offset + (i - runStart) * kFrameSamples);
    for (size_t f = runStart; f < i; ++f) {
      std::memcpy(samples_.data() + offset + (f - runStart) * kFrameSamples, scratch_[f].samples, sizeof(FrameSlot::samples));
    }
    runStart = i;
  }
}

Napi::Int16Array FrameBatch::pcm(Napi::Env env) const {
  Napi::Int16Array out = Napi::Int16Array::New(env, samples_.size());
  if (!samples_.empty()) std::memcpy(out.Data(), samples_.data(), samples_.size() * sizeof(int16_t));
  return out;
}

Napi::Uint32Array FrameBatch::runs(Napi::Env env) const {
  Napi::Uint32Array out = Napi::Uint32Array::New(env, runs_.size());
  if (!runs_.empty()) std::memcpy(out.Data(), runs_.data(), runs_.size() * sizeof(uint32_t));
  return out;
}
