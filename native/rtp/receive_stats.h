// Per-SSRC receive statistics (RFC 3550 Appendix A.1 source validation with probation and extended
// sequence numbers, A.3 loss, A.8 interarrival jitter), producing the report block for an RR/SR, and
// LSR/DLSR bookkeeping from received SRs. One instance per remote SSRC; owned by the media thread.
#pragma once
#include <cstdint>

#include "rtp/rtcp_packet.h"

namespace tg {

class RtpReceiveStats {
 public:
  static constexpr int kMinSequential = 2;       // A.1 MIN_SEQUENTIAL
  static constexpr int kMaxDropout = 3000;       // A.1 MAX_DROPOUT
  static constexpr int kMaxMisorder = 100;       // A.1 MAX_MISORDER
  static constexpr uint32_t kSeqMod = 1u << 16;

  explicit RtpReceiveStats(uint32_t clockRate);
  void reset(uint32_t ssrc);

  // Records a packet. arrivalUs is a local monotonic clock in microseconds. Returns true if the packet
  // counts as valid (past probation, not a bad-sequence jump) — A.1 update_seq semantics; jitter is only
  // updated for valid packets.
  bool onPacket(uint16_t seq, uint32_t rtpTimestamp, uint64_t arrivalUs);

  // Fills a report block for this source and starts a new reporting interval (fraction lost is relative to
  // the previous call, A.3). nowUs gives DLSR.
  void makeReportBlock(uint64_t nowUs, RtcpReportBlock* out);
  // Records a received SR from this source (LSR = middle 32 bits of its NTP timestamp, §6.4.1).
  void onSenderReport(const RtcpSenderInfo& si, uint64_t arrivalUs);

  uint32_t ssrc() const { return ssrc_; }
  uint32_t extendedHighestSeq() const { return cycles_ + maxSeq_; }
  uint32_t expected() const { return extendedHighestSeq() - baseSeq_ + 1; }
  uint32_t received() const { return received_; }
  int64_t cumulativeLost() const { return static_cast<int64_t>(expected()) - received_; }
  uint32_t jitter() const { return static_cast<uint32_t>(jitter_ >> 4); }  // timestamp units
  double jitterMs() const;
  bool probation() const { return probation_ > 0; }
  uint32_t badSeqRestarts() const { return restarts_; }

 private:
  void initSeq(uint16_t seq);
  uint32_t clockRate_;
  uint32_t ssrc_ = 0;
  uint16_t maxSeq_ = 0;
  uint32_t cycles_ = 0;
  uint32_t baseSeq_ = 0;
  uint32_t badSeq_ = kSeqMod + 1;
  int probation_ = kMinSequential;
  uint32_t received_ = 0;
  uint32_t expectedPrior_ = 0;
  uint32_t receivedPrior_ = 0;
  int64_t transit_ = 0;
  bool haveTransit_ = false;
  uint32_t jitter_ = 0;  // scaled by 16 as in A.8
  uint32_t lastSr_ = 0;
  uint64_t lastSrArrivalUs_ = 0;
  uint32_t restarts_ = 0;
  bool started_ = false;
};

}  // namespace tg
