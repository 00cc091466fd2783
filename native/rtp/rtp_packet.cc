#include "rtp/rtp_packet.h"

#include <cstring>

namespace tg {

RtpParseError parseRtp(const uint8_t* buf, size_t len, RtpPacketView* out) {
  if (buf == nullptr || len < 12) return RtpParseError::TooShort;
  RtpHeader& h = out->header;
  h.version = buf[0] >> 6;
  if (h.version != 2) return RtpParseError::BadVersion;  // RFC 3550 A.1: V must be 2
  h.padding = (buf[0] & 0x20) != 0;
  h.extension = (buf[0] & 0x10) != 0;
  h.csrcCount = buf[0] & 0x0F;
  h.marker = (buf[1] & 0x80) != 0;
  h.payloadType = buf[1] & 0x7F;
  h.sequence = rd16(buf + 2);
  h.timestamp = rd32(buf + 4);
  h.ssrc = rd32(buf + 8);
  size_t off = 12;
  if (len < off + 4u * h.csrcCount) return RtpParseError::TooShort;
  for (uint8_t i = 0; i < h.csrcCount; i++, off += 4) h.csrc[i] = rd32(buf + off);
  h.extensionProfile = 0;
  h.extensionData = nullptr;
  h.extensionLength = 0;
  if (h.extension) {
    // §5.3.1: 16-bit profile-defined field + 16-bit length in 32-bit words, excluding this 4-octet header.
    if (len < off + 4) return RtpParseError::TooShort;
    h.extensionProfile = rd16(buf + off);
    const size_t words = rd16(buf + off + 2);
    off += 4;
    if (len < off + 4 * words) return RtpParseError::BadExtension;
    h.extensionData = buf + off;
    h.extensionLength = 4 * words;
    off += 4 * words;
  }
  size_t pad = 0;
  if (h.padding) {
    // §5.1: the last octet counts the padding octets including itself; it cannot be 0 nor cover the header.
    pad = buf[len - 1];
    if (pad == 0 || pad > len - off) return RtpParseError::BadPadding;
  }
  out->headerLength = off;
  out->payload = buf + off;
  out->payloadLength = len - off - pad;
  out->paddingLength = pad;
  return RtpParseError::Ok;
}

const char* rtpParseErrorName(RtpParseError e) {
  switch (e) {
    case RtpParseError::Ok: return "ok";
    case RtpParseError::TooShort: return "too-short";
    case RtpParseError::BadVersion: return "bad-version";
    case RtpParseError::BadPadding: return "bad-padding";
    case RtpParseError::BadExtension: return "bad-extension";
  }
  return "unknown";
}

size_t rtpHeaderLength(const RtpHeader& h) {
  return 12 + 4u * h.csrcCount + (h.extension ? 4 + h.extensionLength : 0);
}

size_t marshalRtp(const RtpHeader& h, const uint8_t* payload, size_t payloadLen, uint8_t* out, size_t cap) {
  if (h.csrcCount > 15 || h.payloadType > 127) return 0;
  if (h.extension && ((h.extensionLength % 4) != 0 || h.extensionLength / 4 > 0xFFFF)) return 0;
  const size_t hl = rtpHeaderLength(h);
  if (out == nullptr || hl + payloadLen > cap) return 0;
  // Move the payload first: it may alias the area just after the header (marshal in place).
  if (payloadLen > 0 && payload != out + hl) std::memmove(out + hl, payload, payloadLen);
  out[0] = static_cast<uint8_t>(0x80 | (h.extension ? 0x10 : 0) | h.csrcCount);
  out[1] = static_cast<uint8_t>((h.marker ? 0x80 : 0) | h.payloadType);
  wr16(out + 2, h.sequence);
  wr32(out + 4, h.timestamp);
  wr32(out + 8, h.ssrc);
  size_t off = 12;
  for (uint8_t i = 0; i < h.csrcCount; i++, off += 4) wr32(out + off, h.csrc[i]);
  if (h.extension) {
    wr16(out + off, h.extensionProfile);
    wr16(out + off + 2, static_cast<uint16_t>(h.extensionLength / 4));
    if (h.extensionLength > 0 && h.extensionData != nullptr) std::memmove(out + off + 4, h.extensionData, h.extensionLength);
    else if (h.extensionLength > 0) std::memset(out + off + 4, 0, h.extensionLength);
  }
  return hl + payloadLen;
}

}  // namespace tg
