// Micro benchmarks of the per-frame DSP costs, timed inside C++ so N-API call overhead is excluded.
// dspBench(name, iterations) -> microseconds per operation (per 20 ms frame; per participant for "mix").
#include <napi.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "codec/audio_codec.h"
#include "dsp/jitter_buffer.h"
#include "dsp/mixer.h"
#include "dsp/rate_converter.h"
#include "dsp/resampler.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtp_packet.h"
#include "srtp/srtp_session.h"

namespace tgbind {

namespace {

volatile int64_t gSink = 0;  // keeps results observable so the optimiser cannot drop the work

std::vector<int16_t> speechLike(size_t n) {
  std::vector<int16_t> s(n);
  for (size_t i = 0; i < n; i++) {
    s[i] = static_cast<int16_t>(6000 * std::sin(i * 0.05) + 3000 * std::sin(i * 0.31) + 800 * std::sin(i * 1.7));
  }
  return s;
}

template <typename F>
double timeIt(uint32_t iterations, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < iterations; i++) f(i);
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / iterations;
}

double run(const std::string& name, uint32_t it) {
  const std::vector<int16_t> frame = speechLike(320);
  if (name == "g711_dec") {
    auto enc = tg::makeEncoder(tg::CodecId::PCMU);
    auto dec = tg::makeDecoder(tg::CodecId::PCMU);
    uint8_t payload[160];
    enc->encode(frame.data(), 320, payload, sizeof(payload));
    int16_t out[320];
    return timeIt(it, [&](uint32_t) { gSink += dec->decode(payload, 160, out, 320) + out[7]; });
  }
  if (name == "g722_enc") {
    auto enc = tg::makeEncoder(tg::CodecId::G722);
    uint8_t payload[160];
    return timeIt(it, [&](uint32_t) { gSink += static_cast<int64_t>(enc->encode(frame.data(), 320, payload, 160)) + payload[3]; });
  }
  if (name == "resample") {
    tg::Resampler down(tg::Resampler::Direction::Down16kTo8k);
    int16_t out[160];
    return timeIt(it, [&](uint32_t) { gSink += down.process(frame.data(), 320, out, 160) + out[5]; });
  }
  if (name == "resample_up") {
    tg::Resampler up(tg::Resampler::Direction::Up8kTo16k);
    int16_t out[320];
    return timeIt(it, [&](uint32_t) { gSink += up.process(frame.data(), 160, out, 320) + out[5]; });
  }
  if (name == "opus_enc" || name == "opus_dec") {
    // Opus at the internal 16 kHz, VOIP mode, FEC on (what a trunk leg runs): one 20 ms frame.
    tg::EncoderParams p;
    p.inbandFec = true;
    auto enc = tg::makeEncoder(tg::CodecId::Opus, p);
    auto dec = tg::makeDecoder(tg::CodecId::Opus);
    uint8_t payload[1500];
    if (name == "opus_enc") {
      return timeIt(it, [&](uint32_t) { gSink += static_cast<int64_t>(enc->encode(frame.data(), 320, payload, sizeof(payload))) + payload[1]; });
    }
    const size_t n = enc->encode(frame.data(), 320, payload, sizeof(payload));
    int16_t out[1920];
    return timeIt(it, [&](uint32_t) { gSink += dec->decode(payload, n, out, 1920) + out[11]; });
  }
  // rate_<in>_<out>: 20 ms of input through the rational converter (e.g. rate_16_24 = 320 -> 480 samples).
  if (name.rfind("rate_", 0) == 0) {
    const size_t us = name.find('_', 5);
    if (us == std::string::npos) return -1;
    const uint32_t in = static_cast<uint32_t>(std::stoul(name.substr(5, us - 5))) * 1000;
    const uint32_t outRate = static_cast<uint32_t>(std::stoul(name.substr(us + 1))) * 1000;
    if (!tg::RateConverter::supported(in, outRate)) return -1;
    tg::RateConverter rc(in, outRate);
    const std::vector<int16_t> src = speechLike(in / 50);
    std::vector<int16_t> out(outRate / 50 + 8);
    return timeIt(it, [&](uint32_t) { gSink += rc.process(src.data(), src.size(), out.data(), out.size()) + out[3]; });
  }
  if (name == "srtp_protect") {
    tg::SrtpSession s;
    uint8_t key[30];
    for (int i = 0; i < 30; i++) key[i] = static_cast<uint8_t>(i * 7 + 1);
    s.setOutbound(tg::SrtpSuite::AES_CM_128_HMAC_SHA1_80, key, 30);
    uint8_t payload[160] = {0};
    uint8_t pkt[1500];
    tg::RtpHeader h;
    h.ssrc = 0x1234;
    return timeIt(it, [&](uint32_t i) {
      h.sequence = static_cast<uint16_t>(i);
      h.timestamp = i * 160;
      const size_t n = tg::marshalRtp(h, payload, 160, pkt, sizeof(pkt));
      size_t outLen = 0;
      s.protectRtp(pkt, n, sizeof(pkt), &outLen);
      gSink += static_cast<int64_t>(outLen);
    });
  }
  if (name == "rtp_parse") {
    uint8_t pkt[172] = {0x80, 0x00, 0x12, 0x34, 0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe};
    return timeIt(it, [&](uint32_t i) {
      pkt[3] = static_cast<uint8_t>(i);
      tg::RtpPacketView v;
      gSink += static_cast<int>(tg::parseRtp(pkt, sizeof(pkt), &v)) + v.header.sequence;
    });
  }
  if (name == "rtcp_parse") {
    tg::RtcpReportBlock b[2];
    tg::RtcpSenderInfo si;
    uint8_t pkt[200];
    size_t n = tg::buildSenderReport(1, si, b, 2, pkt, sizeof(pkt));
    n += tg::buildSdesCname(1, "leg@trunkgate", pkt + n, sizeof(pkt) - n);
    tg::RtcpCompound c;
    return timeIt(it, [&](uint32_t) {
      gSink += static_cast<int>(tg::parseRtcpCompound(pkt, n, &c)) + static_cast<int64_t>(c.reportBlockCount);
    });
  }
  if (name == "jitter") {
    auto enc = tg::makeEncoder(tg::CodecId::PCMU);
    auto dec = tg::makeDecoder(tg::CodecId::PCMU);
    uint8_t payload[160];
    enc->encode(frame.data(), 320, payload, sizeof(payload));
    tg::JitterBufferConfig cfg;
    tg::JitterBuffer jb(cfg, dec.get());
    int16_t out[320];
    // Steady stream with a 40 ms jitter pattern: one push + one pop per 20 ms frame (decode + PLC included).
    return timeIt(it, [&](uint32_t i) {
      const uint64_t arrival = static_cast<uint64_t>(i) * 20000 + (i % 3) * 13000;
      jb.push(static_cast<uint16_t>(i), i * 160, 1, i == 0, arrival, payload, 160);
      gSink += static_cast<int>(jb.pop(arrival + 1000, out, 320).kind) + out[9];
    });
  }
  if (name == "mix") {
    const size_t n = 10;
    tg::Mixer m(n);
    for (size_t p = 0; p < n; p++) m.join();
    const double perCycle = timeIt(it, [&](uint32_t) {
      for (size_t p = 0; p < n; p++) m.setInput(static_cast<int>(p), frame.data(), 320);
      m.mix();
      gSink += m.output(3)[17];
    });
    return perCycle / n;
  }
  return -1;
}

Napi::Value DspBench(const Napi::CallbackInfo& info) {
  const std::string name = info[0].ToString().Utf8Value();
  uint32_t it = info[1].ToNumber().Uint32Value();
  if (it == 0) it = 1;
  return Napi::Number::New(info.Env(), run(name, it));
}

}  // namespace

}  // namespace tgbind

void InitDspBench(Napi::Env env, Napi::Object dsp) { dsp.Set("bench", Napi::Function::New(env, tgbind::DspBench)); }
