// Receive path of a leg: datagrams read by the worker's batched recvmmsg, then once per tick the
// jitter buffer pops the 20 ms frame that goes to JS and/or the conference.
#include <netinet/in.h>

#include <cstring>

#include "io/leg.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtp_packet.h"

namespace tg::io {

bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    auto* x = reinterpret_cast<const sockaddr_in*>(&a);
    auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
    auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
    return x->sin6_port == y->sin6_port && std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

void Leg::onDatagram(bool rtcpSocket, uint8_t* buf, size_t len, const sockaddr_storage& from, uint64_t arrivalUs,
                     TickContext& ctx) {
  // RFC 5761 §4: with rtcp-mux, RTCP is told apart by the second octet (PT 192..223).
  if (rtcpSocket || (opts_.rtcpMux && len >= 2 && buf[1] >= 192 && buf[1] <= 223)) {
    onRtcp(buf, len, from, arrivalUs, ctx);
  } else {
    onRtp(buf, len, from, arrivalUs, ctx);
  }
}

namespace {
// A latched source that has sent nothing for this long may be replaced — by a source with the same SSRC
// only (a NAT rebinding its port keeps the SSRC; an attacker does not know it).
constexpr int64_t kRelatchIdleNs = 2'000'000'000LL;
socklen_t addressLength(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}
}  // namespace

void Leg::rejectSource(const sockaddr_storage& from) {
  ++stats_.unexpectedSource;
  if (!sameAddress(from, lastRejected_)) {
    ++stats_.rejectedSources;
    lastRejected_ = from;
  }
}

// Source check, before any crypto or parsing work (an intruder cannot pollute the SRTP replay window,
// steer the stream or be heard). Nothing is accepted before the answer (setRemote). Without symmetric
// RTP only the SDP's address and port are accepted; with it, the latched source, or — while nothing is
// latched — any source as a candidate that onRtp latches once it proves itself (negotiated payload type,
// SRTP authentication).
bool Leg::acceptSource(const sockaddr_storage& from, bool rtcp, int64_t nowNs) {
  if (!haveRemote_) {
    rejectSource(from);
    return false;
  }
  if (!opts_.symmetric) {
    if (sameAddress(from, rtcp ? sdpRtcp_ : sdpRtp_)) return true;
    rejectSource(from);
    return false;
  }
  const bool latched = rtcp ? latchedRtcp_ : latchedRtp_;
  if (!latched) {
    // RTCP (not muxed) follows RTP: until the RTP source is latched only the SDP's RTCP address counts.
    if (rtcp && !latchedRtp_ && !sameAddress(from, sdpRtcp_)) {
      rejectSource(from);
      return false;
    }
    return true;
  }
  if (sameAddress(from, rtcp ? remoteRtcp_ : remoteRtp_)) return true;
  // RTP from another source: a candidate only once the latched one has gone quiet (onRtp checks the SSRC).
  if (!rtcp && latchSsrcKnown_ && nowNs - latchedRxNs_ >= kRelatchIdleNs) return true;
  rejectSource(from);
  return false;
}

void Leg::latchRtp(const sockaddr_storage& from, int64_t nowNs) {
  if (!sameAddress(from, remoteRtp_) || !latchedRtp_) {
    remoteRtp_ = from;
    remoteRtpLen_ = addressLength(from);
    if (opts_.rtcpMux) {
      remoteRtcp_ = from;
      remoteRtcpLen_ = remoteRtpLen_;
      latchedRtcp_ = true;
    }
  }
  latchedRtp_ = true;
  stats_.latched = true;
  latchedRxNs_ = nowNs;
}

void Leg::onRtp(uint8_t* buf, size_t len, const sockaddr_storage& from, uint64_t arrivalUs, TickContext& ctx) {
  if (!acceptSource(from, false, ctx.nowNs)) return;
  if (srtp_ && srtp_->hasInbound()) {
    size_t plain = 0;
    if (srtp_->unprotectRtp(buf, len, &plain) != SrtpStatus::Ok) {
      ++stats_.srtpFailures;  // RFC 3711 §3.3: failed authentication -> discard, never decode
      return;
    }
    len = plain;
  }
  RtpPacketView pkt;
  if (parseRtp(buf, len, &pkt) != RtpParseError::Ok) {
    ++stats_.malformed;
    return;
  }
  const RtpHeader& h = pkt.header;
  const bool isEvent = codec_.telephoneEventPt >= 0 && h.payloadType == codec_.telephoneEventPt;
  const bool isAudio = h.payloadType == codec_.payloadType;
  if (!isEvent && !isAudio) {
    ++stats_.unknownPayloadType;  // e.g. comfort noise (PT 13) we did not negotiate
    return;
  }
  if (opts_.symmetric) {
    const bool fromLatched = latchedRtp_ && sameAddress(from, remoteRtp_);
    if (!fromLatched) {
      // A replacement for a source that went quiet must carry its SSRC; the first latch takes the first
      // source after the answer that sends the negotiated payload type (and passed SRTP above).
      if (latchedRtp_ && latchSsrcKnown_ && h.ssrc != latchSsrc_) {
        rejectSource(from);
        return;
      }
      latchSsrcKnown_ = true;
      latchSsrc_ = h.ssrc;
    }
    latchRtp(from, ctx.nowNs);
  }
  ++stats_.packetsReceived;
  stats_.bytesReceived += pkt.payloadLength;
  gotRtp_ = true;
  lastRxNs_ = ctx.nowNs;
  timeoutRaised_ = false;
  if (!haveRxSsrc_ || h.ssrc != rxStats_.ssrc()) {
    // RFC 3550 §8.2: a new SSRC is a new source; statistics restart (the jitter buffer re-syncs itself).
    rxStats_.reset(h.ssrc);
    haveRxSsrc_ = true;
    stats_.remoteSsrc = h.ssrc;
    dtmfRx_.reset();
  }
  rxStats_.onPacket(h.sequence, h.timestamp, arrivalUs);
  if (!directionReceives(direction_)) return;  // on hold: counted, not played
  if (isEvent) {
    dtmfRx_.onPacket(h.sequence, h.timestamp, h.marker, pkt.payload, pkt.payloadLength, arrivalUs);
    DtmfDigitEvent d;
    while (dtmfRx_.poll(&d)) emitDtmf(d.digit, d.durationMs, kDtmfRfc4733, ctx);
    return;
  }
  jitter_->push(h.sequence, h.timestamp, h.ssrc, h.marker, arrivalUs, pkt.payload, pkt.payloadLength);
}

void Leg::onRtcp(uint8_t* buf, size_t len, const sockaddr_storage& from, uint64_t arrivalUs, TickContext& ctx) {
  if (!acceptSource(from, true, ctx.nowNs)) return;
  if (srtp_ && srtp_->hasInbound()) {
    size_t plain = 0;
    if (srtp_->unprotectRtcp(buf, len, &plain) != SrtpStatus::Ok) {
      ++stats_.srtpFailures;
      return;
    }
    len = plain;
  }
  RtcpCompound rc;
  if (parseRtcpCompound(buf, len, &rc) != RtcpParseError::Ok) {
    ++stats_.malformed;
    return;
  }
  if (opts_.symmetric && !latchedRtcp_) {
    // RTCP latches to the reports of the source RTP latched to (its SSRC), RFC 3550 §6.4.
    if (latchedRtp_ && (!latchSsrcKnown_ || rc.reporterSsrc != latchSsrc_)) {
      rejectSource(from);
      return;
    }
    if (latchedRtp_) {
      remoteRtcp_ = from;
      remoteRtcpLen_ = addressLength(from);
      latchedRtcp_ = true;
    }
  }
  ++stats_.rtcpReceived;
  if (rc.hasSenderReport && haveRxSsrc_ && rc.reporterSsrc == rxStats_.ssrc()) {
    rxStats_.onSenderReport(rc.senderInfo, arrivalUs);
  }
  for (size_t i = 0; i < rc.reportBlockCount; ++i) {
    const RtcpReportBlock& b = rc.reportBlocks[i];
    if (b.ssrc != ssrc_) continue;
    stats_.remoteFractionLost = b.fractionLost / 256.0;
    stats_.remotePacketsLost = b.cumulativeLost;
    stats_.remoteJitterMs = b.jitter * 1000.0 / codecInfo(codec_.codec).rtpClock;
    // RFC 3550 §6.4.1: RTT = A - LSR - DLSR, with A the RR's arrival time (kernel stamp, not the
    // tick that read it: that would add up to 20 ms) as middle 32 bits of NTP.
    const uint64_t arrivalUnixUs = ctx.nowUnixUs - (ctx.nowUs > arrivalUs ? ctx.nowUs - arrivalUs : 0);
    const int64_t rtt = rttFromReportUs(ntpMiddle32(unixUsToNtp(arrivalUnixUs)), b.lastSr, b.delaySinceLastSr);
    if (rtt >= 0) stats_.rttMs = rtt / 1000.0;
  }
}

void Leg::produce(TickContext& ctx) {
  const PopResult r = jitter_->pop(ctx.nowUs, rxFrame_, kFrameSamples);
  rxHasAudio_ = r.kind != FrameKind::Empty && directionReceives(direction_);
  if (!rxHasAudio_) std::memset(rxFrame_, 0, sizeof(rxFrame_));
  if (dtmfDetect_ && inbandOn_ && rxHasAudio_) {
    dtmfDetect_->process(rxFrame_, kFrameSamples);
    DetectedDigit d;
    while (dtmfDetect_->poll(&d)) emitDtmf(d.digit, d.durationMs, kDtmfInband, ctx);
  }
  if (dtmfRx_.tick(ctx.nowUs)) {
    DtmfDigitEvent d;
    while (dtmfRx_.poll(&d)) emitDtmf(d.digit, d.durationMs, kDtmfRfc4733, ctx);
  }
  if (frames_) {
    frames_->push(rxFrame_);
    ++stats_.framesToJs;
    ctx.producedForJs = true;
  }
}

}  // namespace tg::io
