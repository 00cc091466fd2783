#include "rtp/rtcp_packet.h"

#include <cstring>

#include "rtp/rtp_packet.h"

namespace tg {

namespace {

constexpr size_t kReportBlockSize = 24;

void readBlock(const uint8_t* p, RtcpReportBlock* b) {
  b->ssrc = rd32(p);
  b->fractionLost = p[4];
  // 24-bit two's complement cumulative loss (§6.4.1: may be negative because of duplicates).
  int32_t lost = (p[5] << 16) | (p[6] << 8) | p[7];
  if (lost & 0x800000) lost -= 0x1000000;
  b->cumulativeLost = lost;
  b->extendedHighestSeq = rd32(p + 8);
  b->jitter = rd32(p + 12);
  b->lastSr = rd32(p + 16);
  b->delaySinceLastSr = rd32(p + 20);
}

void writeBlock(const RtcpReportBlock& b, uint8_t* p) {
  wr32(p, b.ssrc);
  p[4] = b.fractionLost;
  int32_t lost = b.cumulativeLost;
  if (lost > 0x7FFFFF) lost = 0x7FFFFF;  // clamp to the 24-bit field (A.3)
  if (lost < -0x800000) lost = -0x800000;
  const uint32_t u = static_cast<uint32_t>(lost) & 0xFFFFFF;
  p[5] = static_cast<uint8_t>(u >> 16);
  p[6] = static_cast<uint8_t>(u >> 8);
  p[7] = static_cast<uint8_t>(u);
  wr32(p + 8, b.extendedHighestSeq);
  wr32(p + 12, b.jitter);
  wr32(p + 16, b.lastSr);
  wr32(p + 20, b.delaySinceLastSr);
}

void writeHeader(uint8_t* p, uint8_t count, uint8_t pt, size_t lenOctets) {
  p[0] = static_cast<uint8_t>(0x80 | (count & 0x1F));
  p[1] = pt;
  wr16(p + 2, static_cast<uint16_t>(lenOctets / 4 - 1));  // length in 32-bit words minus one (§6.4.1)
}

}  // namespace

RtcpParseError parseRtcpCompound(const uint8_t* buf, size_t len, RtcpCompound* out) {
  *out = RtcpCompound();
  if (buf == nullptr || len < 4) return RtcpParseError::TooShort;
  size_t off = 0;
  bool first = true;
  while (off < len) {
    if (len - off < 4) return RtcpParseError::TooShort;
    const uint8_t* p = buf + off;
    if ((p[0] >> 6) != 2) return RtcpParseError::BadVersion;
    const bool padding = (p[0] & 0x20) != 0;
    const uint8_t count = p[0] & 0x1F;
    const uint8_t pt = p[1];
    const size_t plen = (static_cast<size_t>(rd16(p + 2)) + 1) * 4;
    if (plen > len - off) return RtcpParseError::BadLength;
    // RFC 3550 A.2: the first packet of a compound must be SR or RR.
    if (first && pt != kRtcpSr && pt != kRtcpRr) return RtcpParseError::NotSrOrRrFirst;
    size_t body = plen;
    if (padding) {
      // Only the last packet of a compound may be padded (§6.4.1, A.2).
      if (off + plen != len) return RtcpParseError::BadPadding;
      const size_t pad = p[plen - 1];
      if (pad == 0 || pad > plen - 4) return RtcpParseError::BadPadding;
      body = plen - pad;
    }
    if (pt == kRtcpSr || pt == kRtcpRr) {
      const size_t fixed = pt == kRtcpSr ? 28 : 8;
      if (body < fixed + kReportBlockSize * count) return RtcpParseError::BadLength;
      if (!out->hasSenderReport && !out->hasReceiverReport) {
        out->reporterSsrc = rd32(p + 4);
        if (pt == kRtcpSr) {
          out->hasSenderReport = true;
          out->senderInfo.ntpTimestamp = (static_cast<uint64_t>(rd32(p + 8)) << 32) | rd32(p + 12);
          out->senderInfo.rtpTimestamp = rd32(p + 16);
          out->senderInfo.packetCount = rd32(p + 20);
          out->senderInfo.octetCount = rd32(p + 24);
        } else {
          out->hasReceiverReport = true;
        }
        for (uint8_t i = 0; i < count && out->reportBlockCount < kMaxReportBlocks; i++) {
          readBlock(p + fixed + kReportBlockSize * i, &out->reportBlocks[out->reportBlockCount++]);
        }
      }
    } else if (pt == kRtcpSdes && out->cname[0] == 0 && count > 0 && body >= 8) {
      // First chunk: SSRC then items (type, length, text) until a 0 type (§6.5).
      size_t q = 8;
      while (q + 2 <= body && p[q] != 0) {
        const uint8_t type = p[q];
        const size_t ilen = p[q + 1];
        if (q + 2 + ilen > body) break;
        if (type == 1) {  // CNAME
          std::memcpy(out->cname, p + q + 2, ilen);
          out->cname[ilen] = 0;
          break;
        }
        q += 2 + ilen;
      }
    } else if (pt == kRtcpBye && count > 0 && body >= 8) {
      out->hasBye = true;
      out->byeSsrc = rd32(p + 4);
    }
    out->packetCount++;
    first = false;
    off += plen;
  }
  return RtcpParseError::Ok;
}

const char* rtcpParseErrorName(RtcpParseError e) {
  switch (e) {
    case RtcpParseError::Ok: return "ok";
    case RtcpParseError::TooShort: return "too-short";
    case RtcpParseError::BadVersion: return "bad-version";
    case RtcpParseError::BadLength: return "bad-length";
    case RtcpParseError::NotSrOrRrFirst: return "not-sr-or-rr-first";
    case RtcpParseError::BadPadding: return "bad-padding";
  }
  return "unknown";
}

size_t buildSenderReport(uint32_t ssrc, const RtcpSenderInfo& si, const RtcpReportBlock* blocks, size_t count,
                         uint8_t* out, size_t cap) {
  const size_t len = 28 + kReportBlockSize * count;
  if (count > kMaxReportBlocks || out == nullptr || cap < len || (count > 0 && blocks == nullptr)) return 0;
  writeHeader(out, static_cast<uint8_t>(count), kRtcpSr, len);
  wr32(out + 4, ssrc);
  wr32(out + 8, static_cast<uint32_t>(si.ntpTimestamp >> 32));
  wr32(out + 12, static_cast<uint32_t>(si.ntpTimestamp));
  wr32(out + 16, si.rtpTimestamp);
  wr32(out + 20, si.packetCount);
  wr32(out + 24, si.octetCount);
  for (size_t i = 0; i < count; i++) writeBlock(blocks[i], out + 28 + kReportBlockSize * i);
  return len;
}

size_t buildReceiverReport(uint32_t ssrc, const RtcpReportBlock* blocks, size_t count, uint8_t* out, size_t cap) {
  const size_t len = 8 + kReportBlockSize * count;
  if (count > kMaxReportBlocks || out == nullptr || cap < len || (count > 0 && blocks == nullptr)) return 0;
  writeHeader(out, static_cast<uint8_t>(count), kRtcpRr, len);
  wr32(out + 4, ssrc);
  for (size_t i = 0; i < count; i++) writeBlock(blocks[i], out + 8 + kReportBlockSize * i);
  return len;
}

size_t buildSdesCname(uint32_t ssrc, const char* cname, uint8_t* out, size_t cap) {
  const size_t n = cname == nullptr ? 0 : std::strlen(cname);
  if (n > 255) return 0;
  // header + SSRC + (type, length, text) + at least one null octet ending the item list, padded to 4 (§6.5).
  const size_t raw = 4 + 4 + 2 + n + 1;
  const size_t len = (raw + 3) & ~static_cast<size_t>(3);
  if (out == nullptr || cap < len) return 0;
  std::memset(out, 0, len);
  writeHeader(out, 1, kRtcpSdes, len);
  wr32(out + 4, ssrc);
  out[8] = 1;
  out[9] = static_cast<uint8_t>(n);
  if (n > 0) std::memcpy(out + 10, cname, n);
  return len;
}

size_t buildBye(uint32_t ssrc, uint8_t* out, size_t cap) {
  if (out == nullptr || cap < 8) return 0;
  writeHeader(out, 1, kRtcpBye, 8);
  wr32(out + 4, ssrc);
  return 8;
}

int64_t rttFromReportUs(uint32_t arrivalNtpMiddle32, uint32_t lsr, uint32_t dlsr) {
  if (lsr == 0) return -1;  // §6.4.1: LSR 0 means no SR received yet
  const int32_t rtt = static_cast<int32_t>(arrivalNtpMiddle32 - lsr - dlsr);  // modulo 2^32 arithmetic
  if (rtt < 0) return -1;
  return (static_cast<int64_t>(rtt) * 1000000) >> 16;
}

uint64_t unixUsToNtp(uint64_t unixUs) {
  constexpr uint64_t kNtpUnixOffset = 2208988800ULL;  // seconds from 1900 to 1970
  const uint64_t secs = unixUs / 1000000 + kNtpUnixOffset;
  const uint64_t frac = ((unixUs % 1000000) << 32) / 1000000;
  return (secs << 32) | frac;
}

}  // namespace tg
