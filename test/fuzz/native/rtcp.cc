// RTCP compound parser (native/rtp/rtcp_packet, RFC 3550 §6.1 / A.2 validity checks): any datagram is
// refused or parsed into the fixed-size struct without reading past it; the CNAME stays terminated.
#include <cstring>

#include "fuzz-input.h"
#include "rtp/rtcp_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tg::RtcpCompound c;
  if (tg::parseRtcpCompound(data, size, &c) != tg::RtcpParseError::Ok) return 0;
  FUZZ_ASSERT(c.reportBlockCount <= tg::kMaxReportBlocks);
  FUZZ_ASSERT(c.hasSenderReport || c.hasReceiverReport);  // RFC 3550 §6.1: SR or RR first
  FUZZ_ASSERT(std::memchr(c.cname, 0, sizeof(c.cname)) != nullptr);
  FUZZ_ASSERT(c.packetCount >= 1 && c.packetCount * 4 <= size);
  return 0;
}
