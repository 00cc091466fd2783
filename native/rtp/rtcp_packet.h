// RTCP SR / RR / SDES(CNAME) / BYE build and compound-packet parse (RFC 3550 §6.4, §6.5, §6.6, §6.1).
// Parse fills a caller-owned fixed-size struct (no allocation); validation per RFC 3550 A.2: version 2,
// first packet SR or RR, padding only in the last packet, lengths add up to the datagram length.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

constexpr uint8_t kRtcpSr = 200, kRtcpRr = 201, kRtcpSdes = 202, kRtcpBye = 203, kRtcpApp = 204;
constexpr size_t kMaxReportBlocks = 31;  // RC is 5 bits

struct RtcpReportBlock {
  uint32_t ssrc = 0;              // source this block reports on
  uint8_t fractionLost = 0;       // 8-bit fixed point fraction (loss/expected · 256) since the last report
  int32_t cumulativeLost = 0;     // 24-bit signed on the wire (may go negative with duplicates)
  uint32_t extendedHighestSeq = 0;
  uint32_t jitter = 0;            // interarrival jitter in timestamp units (RFC 3550 A.8)
  uint32_t lastSr = 0;            // LSR: middle 32 bits of the NTP timestamp of the last SR received
  uint32_t delaySinceLastSr = 0;  // DLSR in units of 1/65536 s
};

struct RtcpSenderInfo {
  uint64_t ntpTimestamp = 0;  // 32.32 fixed point
  uint32_t rtpTimestamp = 0;
  uint32_t packetCount = 0;
  uint32_t octetCount = 0;
};

// Result of parsing one compound RTCP datagram. Only the first SR/RR's blocks are kept (up to 31);
// other packet types are counted and skipped.
struct RtcpCompound {
  bool hasSenderReport = false;
  bool hasReceiverReport = false;
  uint32_t reporterSsrc = 0;      // SSRC of the SR/RR sender
  RtcpSenderInfo senderInfo;      // valid if hasSenderReport
  size_t reportBlockCount = 0;
  RtcpReportBlock reportBlocks[kMaxReportBlocks];
  bool hasBye = false;
  uint32_t byeSsrc = 0;
  char cname[256] = {0};          // first CNAME item of the first SDES chunk, NUL-terminated
  size_t packetCount = 0;         // RTCP packets in the compound
};

enum class RtcpParseError : uint8_t { Ok = 0, TooShort, BadVersion, BadLength, NotSrOrRrFirst, BadPadding };
RtcpParseError parseRtcpCompound(const uint8_t* buf, size_t len, RtcpCompound* out);
const char* rtcpParseErrorName(RtcpParseError e);

// Builders write one RTCP packet each into out and return its length in octets (0 if cap is too small
// or count > 31). Concatenate them for a compound packet: SR|RR first, then SDES with CNAME (§6.1).
size_t buildSenderReport(uint32_t ssrc, const RtcpSenderInfo& si, const RtcpReportBlock* blocks, size_t count,
                         uint8_t* out, size_t cap);
size_t buildReceiverReport(uint32_t ssrc, const RtcpReportBlock* blocks, size_t count, uint8_t* out, size_t cap);
size_t buildSdesCname(uint32_t ssrc, const char* cname, uint8_t* out, size_t cap);  // cname <= 255 octets
size_t buildBye(uint32_t ssrc, uint8_t* out, size_t cap);

// NTP helpers: middle 32 bits of a 64-bit NTP timestamp (the LSR field, §6.4.1) and the RTT computation of
// §6.4.1: RTT = A - LSR - DLSR in 1/65536 s, where A is the arrival time of the RR as middle-32 NTP.
inline uint32_t ntpMiddle32(uint64_t ntp) { return static_cast<uint32_t>(ntp >> 16); }
// Returns RTT in microseconds, or -1 if LSR is 0 (no SR received yet) or the result is negative.
int64_t rttFromReportUs(uint32_t arrivalNtpMiddle32, uint32_t lsr, uint32_t dlsr);
// Unix microseconds -> NTP 32.32 (NTP epoch 1900).
uint64_t unixUsToNtp(uint64_t unixUs);

}  // namespace tg
