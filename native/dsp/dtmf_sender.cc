#include "dsp/dtmf_sender.h"

#include <cmath>
#include <cstring>

namespace tg {

namespace {

constexpr uint32_t kMinMs = 40;  // ITU-T Q.24: minimum tone and pause duration
constexpr int kEndRepeats = 3;   // RFC 4733 §2.5.1.4: the final packet is sent three times

const double kRow[4] = {697, 770, 852, 941};      // Q.23 low group
const double kCol[4] = {1209, 1336, 1477, 1633};  // Q.23 high group
// event 0..15 -> (row, col) of the keypad (0-9 * # A-D).
const uint8_t kKey[16][2] = {{3, 1}, {0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}, {2, 0},
                             {2, 1}, {2, 2}, {3, 0}, {3, 2}, {0, 3}, {1, 3}, {2, 3}, {3, 3}};

uint32_t roundUpToFrame(uint32_t ms, uint32_t frameMs) {
  if (ms < kMinMs) ms = kMinMs;
  return (ms + frameMs - 1) / frameMs * frameMs;
}

}  // namespace

DtmfSender::DtmfSender(const DtmfSenderConfig& cfg) : cfg_(cfg) {
  if (cfg_.frameMs == 0) cfg_.frameMs = 20;
  if (cfg_.eventClock == 0) cfg_.eventClock = 8000;
  if (cfg_.volume > 63) cfg_.volume = 63;
  cfg_.toneMs = roundUpToFrame(cfg_.toneMs, cfg_.frameMs);
  cfg_.gapMs = roundUpToFrame(cfg_.gapMs, cfg_.frameMs);
}

int DtmfSender::validate(const char* digits, size_t len) {
  for (size_t i = 0; i < len; i++) {
    const char c = digits[i];
    if (c == 'w' || c == 'W') continue;
    if (dtmfCharToEvent(c) < 0) return static_cast<int>(i);
  }
  return -1;
}

int DtmfSender::start(const char* digits, size_t len) {
  if (len > kMaxDigits) return static_cast<int>(len);
  const int bad = validate(digits, len);
  if (bad >= 0) return bad;  // nothing is sent when any character is invalid
  std::memcpy(digits_, digits, len);
  len_ = len;
  pos_ = 0;
  phase_ = Phase::Idle;
  phaseElapsedMs_ = phaseMs_ = 0;
  clockUnits_ = 0;
  return -1;
}

void DtmfSender::cancel() {
  len_ = pos_ = 0;
  phase_ = Phase::Idle;
}

void DtmfSender::nextSymbol() {
  phaseElapsedMs_ = 0;
  if (pos_ >= len_) {
    phase_ = Phase::Idle;
    return;
  }
  const char c = digits_[pos_++];
  if (c == 'w' || c == 'W') {
    phase_ = Phase::Pause;
    phaseMs_ = c == 'w' ? 500 : 1000;
    return;
  }
  phase_ = Phase::Tone;
  phaseMs_ = cfg_.toneMs;
  curEvent_ = static_cast<uint8_t>(dtmfCharToEvent(c));
  curDigit_ = dtmfEventToChar(curEvent_);
  eventStart_ = clockUnits_;
  endSent_ = 0;
}

DtmfTick DtmfSender::tick(int16_t* pcm16k) {
  DtmfTick t;
  const size_t frameSamples = static_cast<size_t>(cfg_.frameMs) * 16;
  const uint32_t frameUnits = cfg_.frameMs * cfg_.eventClock / 1000;
  const bool inband = cfg_.mode == DtmfMode::InBand;
  if (phase_ == Phase::Idle) nextSymbol();
  if (inband && pcm16k != nullptr) std::memset(pcm16k, 0, frameSamples * sizeof(int16_t));
  switch (phase_) {
    case Phase::Idle:
      t.done = true;
      break;
    case Phase::Tone: {
      t.digit = curDigit_;
      phaseElapsedMs_ += cfg_.frameMs;
      if (inband) {
        t.tone = true;
        if (pcm16k != nullptr) {
          // Low tone at -volume dBm0, high tone 2 dB hotter (Q.23 allows positive twist); 0 dBm0 sine peak
          // is ~22700 in 16-bit linear (G.711 full scale is +3.17 dBm0).
          const double low = 22700.0 * std::pow(10.0, -static_cast<double>(cfg_.volume) / 20.0);
          const double high = low * std::pow(10.0, 2.0 / 20.0);
          const double wl = 2 * M_PI * kRow[kKey[curEvent_][0]] / 16000.0;
          const double wh = 2 * M_PI * kCol[kKey[curEvent_][1]] / 16000.0;
          for (size_t i = 0; i < frameSamples; i++) {
            const double v = low * std::sin(phaseLow_) + high * std::sin(phaseHigh_);
            pcm16k[i] = static_cast<int16_t>(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
            phaseLow_ = std::fmod(phaseLow_ + wl, 2 * M_PI);
            phaseHigh_ = std::fmod(phaseHigh_ + wh, 2 * M_PI);
          }
        }
      } else {
        // §2.5.1.2/2.5.1.3: every packet carries the event's start timestamp and the duration so far;
        // the first one has the marker bit.
        t.hasEvent = true;
        t.marker = phaseElapsedMs_ == cfg_.frameMs;
        t.event.event = curEvent_;
        t.event.volume = cfg_.volume;
        t.event.duration = static_cast<uint16_t>(phaseElapsedMs_ * cfg_.eventClock / 1000);
        t.eventTsOffset = eventStart_;
      }
      if (phaseElapsedMs_ >= phaseMs_) {
        eventDuration_ = phaseMs_ * cfg_.eventClock / 1000;
        phaseLow_ = phaseHigh_ = 0;
        phase_ = inband ? Phase::Gap : Phase::EndPackets;
        phaseElapsedMs_ = 0;
      }
      break;
    }
    case Phase::EndPackets:
      // §2.5.1.4: the end packet three times with the final duration; these ticks are part of the gap.
      t.hasEvent = true;
      t.event.event = curEvent_;
      t.event.volume = cfg_.volume;
      t.event.end = true;
      t.event.duration = static_cast<uint16_t>(eventDuration_);
      t.eventTsOffset = eventStart_;
      phaseElapsedMs_ += cfg_.frameMs;
      if (++endSent_ >= kEndRepeats) phase_ = Phase::Gap;
      if (phase_ == Phase::Gap && phaseElapsedMs_ >= cfg_.gapMs) phase_ = Phase::Idle;
      break;
    case Phase::Gap:
      phaseElapsedMs_ += cfg_.frameMs;
      if (phaseElapsedMs_ >= cfg_.gapMs) phase_ = Phase::Idle;
      break;
    case Phase::Pause:
      phaseElapsedMs_ += cfg_.frameMs;
      if (phaseElapsedMs_ >= phaseMs_) phase_ = Phase::Idle;
      break;
  }
  clockUnits_ += frameUnits;
  return t;
}

long renderDtmfPcm(const char* digits, size_t len, const DtmfSenderConfig& cfg, int16_t* out, size_t cap,
                   int* badIndex) {
  DtmfSenderConfig c = cfg;
  c.mode = DtmfMode::InBand;
  DtmfSender s(c);
  const int bad = s.start(digits, len);
  if (badIndex != nullptr) *badIndex = bad;
  if (bad >= 0) return -1;
  const size_t frame = static_cast<size_t>(c.frameMs == 0 ? 20 : c.frameMs) * 16;
  size_t n = 0;
  while (n + frame <= cap) {
    const DtmfTick t = s.tick(out + n);
    if (t.done) break;
    n += frame;
  }
  return static_cast<long>(n);
}

}  // namespace tg
