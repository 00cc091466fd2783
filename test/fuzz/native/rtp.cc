// RTP fixed header parser (native/rtp/rtp_packet): any datagram is either refused with a reason or
// parsed into a view that lies inside it; a parsed header marshals back to the same header octets.
#include <cstring>

#include "fuzz-input.h"
#include "rtp/rtp_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tg::RtpPacketView v;
  if (tg::parseRtp(data, size, &v) != tg::RtpParseError::Ok) return 0;
  FUZZ_ASSERT(v.headerLength >= 12 && v.headerLength + v.payloadLength + v.paddingLength == size);
  FUZZ_ASSERT(v.payload == data + v.headerLength);
  FUZZ_ASSERT(v.header.version == 2 && v.header.csrcCount <= 15 && v.header.payloadType <= 127);
  if (v.header.extension) {
    FUZZ_ASSERT(v.header.extensionData >= data && v.header.extensionData + v.header.extensionLength <= data + size);
  }
  static uint8_t out[70000];
  const size_t n = tg::marshalRtp(v.header, v.payload, v.payloadLength, out, sizeof(out));
  FUZZ_ASSERT(n == v.headerLength + v.payloadLength);
  // The marshalled header equals the parsed one except the padding bit (marshal writes no padding).
  FUZZ_ASSERT((out[0] & ~0x20) == (data[0] & ~0x20) && std::memcmp(out + 1, data + 1, v.headerLength - 1) == 0);
  tg::RtpPacketView again;
  FUZZ_ASSERT(tg::parseRtp(out, n, &again) == tg::RtpParseError::Ok);
  FUZZ_ASSERT(again.header.ssrc == v.header.ssrc && again.header.sequence == v.header.sequence &&
              again.payloadLength == v.payloadLength);
  return 0;
}
