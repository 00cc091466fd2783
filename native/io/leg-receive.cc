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

// Symmetric RTP: once latched, everyone but the latched source is counted and dropped before any
// crypto work (an attacker cannot pollute the SRTP replay window or steer the stream).
bool Leg::acceptSource(const sockaddr_storage& from, bool rtcp) {
  const bool latched = rtcp ? latchedRtcp_ : latchedRtp_;
  const sockaddr_storage& expected = rtcp ? remoteRtcp_ : remoteRtp_;
  if (latched) {
    if (!sameAddress(from, expected)) {
      ++stats_.unexpectedSource;
      return false;
    }
    return true;
  }
  if (haveRemote_ && !opts_.symmetric && !sameAddress(from, expected)) ++stats_.unexpectedSource;
  return true;
}

void Leg::onRtp(uint8_t* buf, size_t len, const sockaddr_storage& from, uint64_t arrivalUs, TickContext& ctx) {
  if (!acceptSource(from, false)) return;
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
  if (haveRemote_ && opts_.symmetric && !latchedRtp_) {
    // First valid packet after the answer: this is where the peer really is (behind its NAT).
    remoteRtp_ = from;
    remoteRtpLen_ = from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    latchedRtp_ = true;
    stats_.latched = true;
    if (opts_.rtcpMux) {
      remoteRtcp_ = remoteRtp_;
      remoteRtcpLen_ = remoteRtpLen_;
      latchedRtcp_ = true;
    }
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
  if (!acceptSource(from, true)) return;
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
  ++stats_.rtcpReceived;
  if (haveRemote_ && opts_.symmetric && !latchedRtcp_) {
    remoteRtcp_ = from;
    remoteRtcpLen_ = from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    latchedRtcp_ = true;
  }
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
