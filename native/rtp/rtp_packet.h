// RTP fixed header (RFC 3550 §5.1) parsed in place: RtpPacketView points into the caller's buffer
// (pion's Unmarshal idea) and marshalRtp writes into a caller buffer. Never reads out of bounds: every
// length (CSRC count, extension length, padding count) is checked against the datagram size first.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

enum class RtpParseError : uint8_t {
  Ok = 0,
  TooShort,        // < 12 octets, or CSRC list / extension header runs past the end
  BadVersion,      // V != 2
  BadPadding,      // P set but the padding count is 0 or larger than the payload area
  BadExtension,    // extension length runs past the end
};

struct RtpHeader {
  uint8_t version = 2;
  bool padding = false;
  bool extension = false;
  bool marker = false;
  uint8_t payloadType = 0;   // 0..127
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  uint8_t csrcCount = 0;     // 0..15
  uint32_t csrc[15] = {};
  // RFC 3550 §5.3.1 header extension ("defined by profile" + length in 32-bit words)
  uint16_t extensionProfile = 0;
  const uint8_t* extensionData = nullptr;  // points into the packet (parse) or the caller's data (marshal)
  size_t extensionLength = 0;              // octets, multiple of 4
};

struct RtpPacketView {
  RtpHeader header;
  const uint8_t* payload = nullptr;  // points into the parsed buffer
  size_t payloadLength = 0;          // excluding padding
  size_t paddingLength = 0;
  size_t headerLength = 0;           // 12 + 4·CC (+ 4 + extension)
};

// Parses buf[0..len) in place. On error `out` is unspecified but nothing past buf+len was read.
RtpParseError parseRtp(const uint8_t* buf, size_t len, RtpPacketView* out);
const char* rtpParseErrorName(RtpParseError e);

// Header length marshalRtp will write (12 + 4·CC + extension).
size_t rtpHeaderLength(const RtpHeader& h);
// Writes header + payload (no padding) into out. Returns total octets or 0 if cap is too small / the header
// is invalid (CC > 15, PT > 127, extension length not a multiple of 4). payload may alias out+headerLength.
size_t marshalRtp(const RtpHeader& h, const uint8_t* payload, size_t payloadLen, uint8_t* out, size_t cap);

// Read/write helpers for network byte order (used across rtp/, dsp/ and bind/).
inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t rd32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}
inline void wr16(uint8_t* p, uint16_t v) { p[0] = static_cast<uint8_t>(v >> 8); p[1] = static_cast<uint8_t>(v); }
inline void wr32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24); p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8); p[3] = static_cast<uint8_t>(v);
}

}  // namespace tg
