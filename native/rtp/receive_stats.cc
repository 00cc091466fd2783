#include "rtp/receive_stats.h"

namespace tg {

RtpReceiveStats::RtpReceiveStats(uint32_t clockRate) : clockRate_(clockRate == 0 ? 8000 : clockRate) {}

void RtpReceiveStats::reset(uint32_t ssrc) {
  *this = RtpReceiveStats(clockRate_);
  ssrc_ = ssrc;
}

void RtpReceiveStats::initSeq(uint16_t seq) {  // RFC 3550 A.1 init_seq
  baseSeq_ = seq;
  maxSeq_ = seq;
  badSeq_ = kSeqMod + 1;
  cycles_ = 0;
  received_ = 0;
  receivedPrior_ = 0;
  expectedPrior_ = 0;
}

bool RtpReceiveStats::onPacket(uint16_t seq, uint32_t rtpTimestamp, uint64_t arrivalUs) {
  bool valid = true;
  if (!started_) {
    // First packet of the source: A.1 "init_seq(s, seq); s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL".
    started_ = true;
    initSeq(seq);
    maxSeq_ = static_cast<uint16_t>(seq - 1);
    probation_ = kMinSequential;
  }
  const uint16_t udelta = static_cast<uint16_t>(seq - maxSeq_);
  if (probation_ > 0) {
    // A.1: a source is valid only after MIN_SEQUENTIAL packets in sequence.
    if (seq == static_cast<uint16_t>(maxSeq_ + 1)) {
      probation_--;
      maxSeq_ = seq;
      if (probation_ == 0) {
        initSeq(seq);
        received_++;
      } else {
        valid = false;
      }
    } else {
      probation_ = kMinSequential - 1;
      maxSeq_ = seq;
      valid = false;
    }
  } else if (udelta < kMaxDropout) {
    if (seq < maxSeq_) cycles_ += kSeqMod;  // wrapped: count another 64K cycle
    maxSeq_ = seq;
    received_++;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // A very large jump: accept it only if the next packet confirms it (the sender restarted).
    if (seq == badSeq_) {
      initSeq(seq);
      restarts_++;
      received_++;
    } else {
      badSeq_ = (seq + 1u) & (kSeqMod - 1);
      valid = false;
    }
  } else {
    received_++;  // duplicate or reordered packet: counted as received (A.3 says lost may go negative)
  }
  if (!valid) return false;
  // A.8 interarrival jitter in timestamp units, arrival converted to the RTP clock.
  const uint32_t arrivalUnits = static_cast<uint32_t>((arrivalUs * clockRate_) / 1000000);
  const int64_t transit = static_cast<int32_t>(arrivalUnits - rtpTimestamp);
  if (haveTransit_) {
    int64_t d = transit - transit_;
    if (d < 0) d = -d;
    jitter_ += static_cast<uint32_t>(d) - ((jitter_ + 8) >> 4);
  }
  transit_ = transit;
  haveTransit_ = true;
  return true;
}

double RtpReceiveStats::jitterMs() const { return 1000.0 * jitter() / clockRate_; }

void RtpReceiveStats::makeReportBlock(uint64_t nowUs, RtcpReportBlock* out) {
  *out = RtcpReportBlock();
  out->ssrc = ssrc_;
  if (probation_ == 0) {
    const uint32_t expectedNow = expected();
    const int64_t lost = static_cast<int64_t>(expectedNow) - received_;
    out->cumulativeLost = lost > 0x7FFFFF ? 0x7FFFFF : (lost < -0x800000 ? -0x800000 : static_cast<int32_t>(lost));
    // A.3: fraction lost over the interval since the previous report.
    const uint32_t expectedInterval = expectedNow - expectedPrior_;
    expectedPrior_ = expectedNow;
    const uint32_t receivedInterval = received_ - receivedPrior_;
    receivedPrior_ = received_;
    const int64_t lostInterval = static_cast<int64_t>(expectedInterval) - receivedInterval;
    out->fractionLost = (expectedInterval == 0 || lostInterval <= 0)
                            ? 0
                            : static_cast<uint8_t>((lostInterval << 8) / expectedInterval);
    out->extendedHighestSeq = extendedHighestSeq();
    out->jitter = jitter();
  }
  if (lastSr_ != 0) {
    out->lastSr = lastSr_;
    // DLSR in 1/65536 s between receiving the SR and sending this report (§6.4.1).
    out->delaySinceLastSr = static_cast<uint32_t>(((nowUs - lastSrArrivalUs_) << 16) / 1000000);
  }
}

void RtpReceiveStats::onSenderReport(const RtcpSenderInfo& si, uint64_t arrivalUs) {
  lastSr_ = ntpMiddle32(si.ntpTimestamp);
  lastSrArrivalUs_ = arrivalUs;
}

}  // namespace tg
