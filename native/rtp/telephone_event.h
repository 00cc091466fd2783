// RFC 4733 §2.3 telephone-event payload (4 octets: event, E|R|volume, duration) parse/build.
// Events 0-15 are the DTMF digits 0-9 * # A-D (RFC 4733 §3.2, table 7).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

struct TelephoneEvent {
  uint8_t event = 0;      // 0..255 (DTMF: 0..15)
  bool end = false;       // E bit
  uint8_t volume = 10;    // 0..63, power level in -dBm0 (RFC 4733 §2.3.4)
  uint16_t duration = 0;  // in RTP timestamp units since the event's timestamp (§2.3.5)
};

constexpr size_t kTelephoneEventSize = 4;

// Parses the first 4 octets (RFC 4733 §2.5.1.3: extra octets may be redundant events; we read the first).
// Returns false if len < 4.
bool parseTelephoneEvent(const uint8_t* payload, size_t len, TelephoneEvent* out);
// Writes 4 octets; returns 4, or 0 if cap < 4 or volume > 63.
size_t buildTelephoneEvent(const TelephoneEvent& ev, uint8_t* out, size_t cap);

// '0'..'9' -> 0..9, '*' -> 10, '#' -> 11, 'A'..'D' (or a..d) -> 12..15; -1 otherwise.
int dtmfCharToEvent(char c);
// 0..15 -> the digit character; '?' otherwise.
char dtmfEventToChar(int event);

}  // namespace tg
