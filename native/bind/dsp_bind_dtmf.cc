// DTMF and jitter-buffer bindings: generators, detectors and a jitter buffer driven by a synthetic trace,
// all as pure functions for tests and tools.
#include <napi.h>

#include <algorithm>
#include <vector>

#include "bind/dsp_bind_util.h"
#include "codec/audio_codec.h"
#include "dsp/dtmf_detector.h"
#include "dsp/dtmf_receiver.h"
#include "dsp/dtmf_sender.h"
#include "dsp/jitter_buffer.h"
#include "rtp/rtp_packet.h"

namespace tgbind {

namespace {

tg::DtmfSenderConfig senderConfig(const Napi::Value& v) {
  tg::DtmfSenderConfig c;
  if (!v.IsObject()) return c;
  Napi::Object o = v.As<Napi::Object>();
  if (o.Has("toneMs")) c.toneMs = o.Get("toneMs").ToNumber().Uint32Value();
  if (o.Has("gapMs")) c.gapMs = o.Get("gapMs").ToNumber().Uint32Value();
  if (o.Has("volume")) c.volume = static_cast<uint8_t>(o.Get("volume").ToNumber().Uint32Value());
  if (o.Has("eventClock")) c.eventClock = o.Get("eventClock").ToNumber().Uint32Value();
  return c;
}

// dtmfGeneratePcm(digits, opts) -> Buffer of 16 kHz int16, or the bad index (number).
Napi::Value DtmfGeneratePcm(const Napi::CallbackInfo& info) {
  const std::string digits = info[0].ToString().Utf8Value();
  const tg::DtmfSenderConfig cfg = senderConfig(info[1]);
  // Upper bound: every symbol a 1 s pause or a tone + gap + 3 end ticks.
  const size_t cap = (digits.size() + 1) * 16 * (1000 + cfg.toneMs + cfg.gapMs + 100);
  std::vector<int16_t> out(cap);
  int bad = -1;
  const long n = tg::renderDtmfPcm(digits.data(), digits.size(), cfg, out.data(), out.size(), &bad);
  if (n < 0) return Napi::Number::New(info.Env(), bad);
  return samplesToBuffer(info.Env(), out.data(), static_cast<size_t>(n));
}

// dtmfGenerateEvents(digits, opts{..., payloadType, ssrc, sequence, timestamp}) -> [{tick, packet}] or bad index.
Napi::Value DtmfGenerateEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string digits = info[0].ToString().Utf8Value();
  tg::DtmfSenderConfig cfg = senderConfig(info[1]);
  cfg.mode = tg::DtmfMode::Rfc4733;
  Napi::Object o = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  tg::RtpHeader h;
  h.payloadType = static_cast<uint8_t>(o.Has("payloadType") ? o.Get("payloadType").ToNumber().Uint32Value() : 101);
  h.ssrc = o.Get("ssrc").ToNumber().Uint32Value();
  uint16_t seq = static_cast<uint16_t>(o.Get("sequence").ToNumber().Uint32Value());
  const uint32_t baseTs = o.Get("timestamp").ToNumber().Uint32Value();
  tg::DtmfSender s(cfg);
  const int bad = s.start(digits.data(), digits.size());
  if (bad >= 0) return Napi::Number::New(env, bad);
  Napi::Array arr = Napi::Array::New(env);
  uint32_t k = 0;
  for (uint32_t tick = 0; tick < 100000; tick++) {
    const tg::DtmfTick t = s.tick(nullptr);
    if (t.done) break;
    if (!t.hasEvent) continue;
    uint8_t payload[4];
    tg::buildTelephoneEvent(t.event, payload, sizeof(payload));
    h.marker = t.marker;
    h.sequence = seq++;
    h.timestamp = baseTs + t.eventTsOffset;
    uint8_t pkt[16];
    const size_t n = tg::marshalRtp(h, payload, 4, pkt, sizeof(pkt));
    Napi::Object e = Napi::Object::New(env);
    e.Set("tick", tick);
    e.Set("packet", Napi::Buffer<uint8_t>::Copy(env, pkt, n));
    arr.Set(k++, e);
  }
  return arr;
}

// dtmfDetect(pcm16k, chunkSamples) -> [{digit, startMs, durationMs}] via spandsp dtmf_rx.
Napi::Value DtmfDetect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes b;
  if (!getBytes(info[0], &b)) return throwType(env, "pcm must be 16-bit samples");
  size_t chunk = info[1].ToNumber().Uint32Value();
  std::vector<int16_t> s = toSamples(b);
  if (chunk == 0) chunk = 320;
  tg::DtmfDetector det;
  for (size_t off = 0; off < s.size(); off += chunk) det.process(s.data() + off, std::min(chunk, s.size() - off));
  std::vector<int16_t> tail(3200, 0);  // flush: 200 ms of silence lets the detector report the last end
  det.process(tail.data(), tail.size());
  Napi::Array arr = Napi::Array::New(env);
  tg::DetectedDigit d;
  uint32_t k = 0;
  while (det.poll(&d)) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("digit", std::string(1, d.digit));
    o.Set("startMs", static_cast<double>(d.startSample / 8));
    o.Set("durationMs", d.durationMs);
    arr.Set(k++, o);
  }
  return arr;
}

// dtmfReceive([{packet, arrivalUs}], endUs) -> [{digit, event, timestamp, durationUnits, durationMs, endSeen}]
Napi::Value DtmfReceive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) return throwType(env, "packets must be an array");
  Napi::Array in = info[0].As<Napi::Array>();
  tg::DtmfReceiver rx(8000, 1000);
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  auto drain = [&]() {
    tg::DtmfDigitEvent e;
    while (rx.poll(&e)) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("digit", std::string(1, e.digit));
      o.Set("event", e.event);
      o.Set("timestamp", e.rtpTimestamp);
      o.Set("durationUnits", e.durationUnits);
      o.Set("durationMs", e.durationMs);
      o.Set("endSeen", e.endSeen);
      out.Set(k++, o);
    }
  };
  for (uint32_t i = 0; i < in.Length(); i++) {
    Napi::Object p = in.Get(i).As<Napi::Object>();
    Bytes b;
    if (!getBytes(p.Get("packet"), &b)) return throwType(env, "packet must be bytes");
    const uint64_t at = static_cast<uint64_t>(p.Get("arrivalUs").ToNumber().Int64Value());
    rx.tick(at);
    tg::RtpPacketView v;
    if (tg::parseRtp(b.data, b.len, &v) == tg::RtpParseError::Ok) {
      rx.onPacket(v.header.sequence, v.header.timestamp, v.header.marker, v.payload, v.payloadLength, at);
    }
    drain();
  }
  rx.tick(static_cast<uint64_t>(info[1].ToNumber().Int64Value()));
  drain();
  return out;
}

// jitterRun(codecId, config, trace[{seq, ts, ssrc, marker, arrivalUs, payload}], firstPopUs, pops)
//   -> {kinds: Uint8Array, delays: Uint16Array(current), targets: Uint16Array, pcm: Buffer, stats, pushResults}
Napi::Value JitterRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int id = info[0].ToNumber().Int32Value();
  if (id < 0 || id > 2 || !info[1].IsObject() || !info[2].IsArray()) return throwType(env, "bad arguments");
  Napi::Object c = info[1].As<Napi::Object>();
  tg::JitterBufferConfig cfg;
  cfg.rtpClock = tg::codecInfo(static_cast<tg::CodecId>(id)).rtpClock;
  if (c.Has("minDelayMs")) cfg.minDelayMs = c.Get("minDelayMs").ToNumber().Uint32Value();
  if (c.Has("maxDelayMs")) cfg.maxDelayMs = c.Get("maxDelayMs").ToNumber().Uint32Value();
  if (c.Has("windowMs")) cfg.windowMs = c.Get("windowMs").ToNumber().Uint32Value();
  if (c.Has("quantile")) cfg.quantile = c.Get("quantile").ToNumber().DoubleValue();
  if (c.Has("maxConcealMs")) cfg.maxConcealMs = c.Get("maxConcealMs").ToNumber().Uint32Value();
  auto dec = tg::makeDecoder(static_cast<tg::CodecId>(id));
  tg::JitterBuffer jb(cfg, dec.get());
  Napi::Array trace = info[2].As<Napi::Array>();
  const uint64_t firstPop = static_cast<uint64_t>(info[3].ToNumber().Int64Value());
  const uint32_t pops = info[4].ToNumber().Uint32Value();
  std::vector<int16_t> pcm(static_cast<size_t>(pops) * jb.frameSamples());
  std::vector<uint8_t> kinds(pops);
  std::vector<uint16_t> delays(pops), targets(pops);
  std::vector<uint8_t> pushResults(trace.Length());
  uint32_t next = 0;
  for (uint32_t k = 0; k < pops; k++) {
    const uint64_t now = firstPop + static_cast<uint64_t>(k) * cfg.frameMs * 1000;
    while (next < trace.Length()) {
      Napi::Object p = trace.Get(next).As<Napi::Object>();
      const uint64_t at = static_cast<uint64_t>(p.Get("arrivalUs").ToNumber().Int64Value());
      if (at > now) break;
      Bytes b;
      if (!getBytes(p.Get("payload"), &b)) return throwType(env, "payload must be bytes");
      pushResults[next] = static_cast<uint8_t>(jb.push(
          static_cast<uint16_t>(p.Get("seq").ToNumber().Uint32Value()), p.Get("ts").ToNumber().Uint32Value(),
          p.Get("ssrc").ToNumber().Uint32Value(), p.Get("marker").ToBoolean(), at, b.data, b.len));
      next++;
    }
    const tg::PopResult r = jb.pop(now, pcm.data() + k * jb.frameSamples(), jb.frameSamples());
    kinds[k] = static_cast<uint8_t>(r.kind);
    delays[k] = static_cast<uint16_t>(jb.stats().currentDelayMs);
    targets[k] = static_cast<uint16_t>(jb.stats().targetDelayMs);
  }
  const tg::JitterStats& s = jb.stats();
  Napi::Object st = Napi::Object::New(env);
  st.Set("currentDelayMs", s.currentDelayMs);
  st.Set("targetDelayMs", s.targetDelayMs);
  const std::pair<const char*, uint64_t> counters[] = {
      {"pushed", s.pushed}, {"played", s.played}, {"lateLosses", s.lateLosses}, {"lost", s.lost},
      {"concealedSamples", s.concealedSamples}, {"underflows", s.underflows}, {"overflows", s.overflows},
      {"duplicates", s.duplicates}, {"reorders", s.reorders}, {"droppedFrames", s.droppedFrames},
      {"insertedFrames", s.insertedFrames}, {"resets", s.resets}, {"decodeErrors", s.decodeErrors}, {"fecFrames", s.fecFrames}};
  for (const auto& kv : counters) st.Set(kv.first, static_cast<double>(kv.second));
  Napi::Object o = Napi::Object::New(env);
  o.Set("kinds", Napi::Buffer<uint8_t>::Copy(env, kinds.data(), kinds.size()));
  o.Set("delays", samplesToBuffer(env, reinterpret_cast<const int16_t*>(delays.data()), delays.size()));
  o.Set("targets", samplesToBuffer(env, reinterpret_cast<const int16_t*>(targets.data()), targets.size()));
  o.Set("pushResults", Napi::Buffer<uint8_t>::Copy(env, pushResults.data(), pushResults.size()));
  o.Set("pcm", samplesToBuffer(env, pcm.data(), pcm.size()));
  o.Set("stats", st);
  return o;
}

}  // namespace

void InitDspCore(Napi::Env env, Napi::Object dsp) {
  dsp.Set("dtmfGeneratePcm", Napi::Function::New(env, DtmfGeneratePcm));
  dsp.Set("dtmfGenerateEvents", Napi::Function::New(env, DtmfGenerateEvents));
  dsp.Set("dtmfDetect", Napi::Function::New(env, DtmfDetect));
  dsp.Set("dtmfReceive", Napi::Function::New(env, DtmfReceive));
  dsp.Set("jitterRun", Napi::Function::New(env, JitterRun));
}

}  // namespace tgbind
