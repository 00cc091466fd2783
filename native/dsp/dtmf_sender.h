// DTMF sender state machine for a dial string of 0-9 * # A-D with pauses 'w' (500 ms) and 'W' (1000 ms).
// The whole string is validated before anything is sent (validate() returns the bad index).
// Driven by tick() once per 20 ms media frame, it produces either
//  - RFC 4733 events (§2.5.1): first packet with the marker bit, an update every tick with the growing
//    duration (timestamp units), then the end packet three times (E bit, same duration) on consecutive
//    ticks; all packets of one event carry the event's start timestamp; or
//  - in-band tones: our own dual-tone generator (Q.23 frequencies, -10/-8 dBm0-ish per tone) into 16 kHz PCM.
// Tone and gap durations are configurable and clamped to >= 40 ms (ITU-T Q.24 minimum).
#pragma once
#include <cstddef>
#include <cstdint>

#include "rtp/telephone_event.h"

namespace tg {

enum class DtmfMode : uint8_t { Rfc4733 = 0, InBand = 1 };

struct DtmfSenderConfig {
  DtmfMode mode = DtmfMode::Rfc4733;
  uint32_t toneMs = 100;
  uint32_t gapMs = 100;          // silence between digits (end packets are sent inside the gap)
  uint32_t eventClock = 8000;    // telephone-event RTP clock
  uint8_t volume = 10;           // RFC 4733 volume (-dBm0) and in-band level of the low tone
  uint32_t frameMs = 20;
};

struct DtmfTick {
  // RFC 4733 mode: hasEvent says a telephone-event packet is due this tick.
  bool hasEvent = false;
  bool marker = false;             // first packet of an event
  TelephoneEvent event;            // payload fields (use buildTelephoneEvent)
  uint32_t eventTsOffset = 0;      // RTP timestamp of the event = leg's base timestamp + this (units)
  // In-band mode: audio written into the caller's pcm16k (frameMs·16 samples); tone=false means silence.
  bool tone = false;
  char digit = 0;                  // digit being signalled (0 during gaps / pauses)
  bool done = false;               // string finished: nothing more to send
};

class DtmfSender {
 public:
  explicit DtmfSender(const DtmfSenderConfig& cfg = DtmfSenderConfig());
  // Returns -1 if every char is valid, else the index of the first bad char. Empty string is valid.
  static int validate(const char* digits, size_t len);
  // Validates and loads a string (copied, up to kMaxDigits). Returns -1 on success or the bad index
  // (nothing loaded); returns len if the string is longer than kMaxDigits.
  int start(const char* digits, size_t len);
  // Advances one frame. pcm16k may be null in Rfc4733 mode; in InBand mode it must hold frameMs·16 samples.
  DtmfTick tick(int16_t* pcm16k);
  bool busy() const { return pos_ < len_ || phase_ != Phase::Idle; }
  void cancel();
  static constexpr size_t kMaxDigits = 128;

 private:
  enum class Phase : uint8_t { Idle, Tone, EndPackets, Gap, Pause };
  void nextSymbol();
  DtmfSenderConfig cfg_;
  char digits_[kMaxDigits];
  size_t len_ = 0, pos_ = 0;
  Phase phase_ = Phase::Idle;
  uint32_t phaseElapsedMs_ = 0, phaseMs_ = 0;
  uint32_t clockUnits_ = 0;     // units since start() (timestamp offset of the current tick)
  uint32_t eventStart_ = 0;
  uint8_t curEvent_ = 0;
  char curDigit_ = 0;
  int endSent_ = 0;
  uint32_t eventDuration_ = 0;
  double phaseLow_ = 0, phaseHigh_ = 0;  // oscillator phases (in-band)
};

// Convenience for tests/tools: renders a whole string to 16 kHz PCM in one go. Returns samples written
// (stops at cap), or -1 if the string is invalid (badIndex set).
long renderDtmfPcm(const char* digits, size_t len, const DtmfSenderConfig& cfg, int16_t* out, size_t cap,
                   int* badIndex);

}  // namespace tg
