#include "rtp/telephone_event.h"

namespace tg {

bool parseTelephoneEvent(const uint8_t* payload, size_t len, TelephoneEvent* out) {
  if (payload == nullptr || len < kTelephoneEventSize) return false;
  out->event = payload[0];
  out->end = (payload[1] & 0x80) != 0;  // §2.3: E bit; the R bit (0x40) is reserved and ignored
  out->volume = payload[1] & 0x3F;
  out->duration = static_cast<uint16_t>((payload[2] << 8) | payload[3]);
  return true;
}

size_t buildTelephoneEvent(const TelephoneEvent& ev, uint8_t* out, size_t cap) {
  if (out == nullptr || cap < kTelephoneEventSize || ev.volume > 63) return 0;
  out[0] = ev.event;
  out[1] = static_cast<uint8_t>((ev.end ? 0x80 : 0) | ev.volume);  // R bit sent as 0 (§2.3)
  out[2] = static_cast<uint8_t>(ev.duration >> 8);
  out[3] = static_cast<uint8_t>(ev.duration);
  return kTelephoneEventSize;
}

int dtmfCharToEvent(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c == '*') return 10;
  if (c == '#') return 11;
  if (c >= 'A' && c <= 'D') return 12 + (c - 'A');
  if (c >= 'a' && c <= 'd') return 12 + (c - 'a');
  return -1;
}

char dtmfEventToChar(int event) {
  static const char kDigits[] = "0123456789*#ABCD";
  return event >= 0 && event < 16 ? kDigits[event] : '?';
}

}  // namespace tg
