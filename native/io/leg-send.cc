// Send path of a leg: once per tick, the conference output and/or the JS playout queue (16 kHz)
// become one 20 ms frame, which DTMF may replace, then it is packetised at the negotiated ptime,
// marshalled, SRTP-protected and sent. RTCP SR/RR go out every ~5 s (RFC 3550 §6.2, §6.3).
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "io/leg.h"
#include "io/media-clock.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtp_packet.h"
#include "rtp/telephone_event.h"

namespace tg::io {

namespace {
constexpr int64_t kRtcpIntervalNs = 5'000'000'000LL;

inline int16_t sat16(int32_t v) { return static_cast<int16_t>(v > 32767 ? 32767 : (v < -32768 ? -32768 : v)); }
}  // namespace

void Leg::setConferenceOutput(const int16_t* pcm) { confOut_ = pcm; }

void Leg::deferEvent(const MediaEvent& ev) {
  if (deferredCount_ < kMaxDeferred) deferred_[deferredCount_++] = ev;
}

void Leg::flush(TickContext& ctx) {
  if (rtcpDue_) {
    rtcpDue_ = false;
    if (outCount_ < kMaxOut) {
      OutPacket& op = out_[outCount_];
      const size_t n = buildRtcp(op.data, sizeof(op.data), ctx);
      if (n > 0) {
        op.len = static_cast<uint16_t>(n);
        op.payloadLen = 0;
        op.rtcp = true;
        ++outCount_;
      }
    }
  }
  for (int i = 0; i < outCount_; ++i) {
    const OutPacket& p = out_[i];
    const bool muxed = opts_.rtcpMux || sockets_.rtcpFd < 0;
    const int fd = p.rtcp && !muxed ? sockets_.rtcpFd : sockets_.rtpFd;
    const sockaddr_storage& to = p.rtcp ? remoteRtcp_ : remoteRtp_;
    const socklen_t toLen = p.rtcp ? remoteRtcpLen_ : remoteRtpLen_;
    // Non-blocking: a full socket buffer loses this packet rather than stalling every other leg.
    if (fd < 0) continue;
    if (sendto(fd, p.data, p.len, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to), toLen) < 0) {
      ++stats_.sendErrors;  // EAGAIN (buffer full), ECONNREFUSED from an earlier ICMP, EINVAL/EAFNOSUPPORT...
      continue;
    }
    if (p.rtcp) {
      ++stats_.rtcpSent;
    } else {
      ++stats_.packetsSent;
      stats_.bytesSent += p.payloadLen;
    }
  }
  outCount_ = 0;
  for (int i = 0; i < deferredCount_; ++i) ctx.events->push(deferred_[i]);
  if (deferredCount_ > 0) ctx.producedForJs = true;
  deferredCount_ = 0;
}

void Leg::sendPacket(const uint8_t* payload, size_t len, uint8_t pt, bool marker, uint32_t ts, TickContext&) {
  if (outCount_ >= kMaxOut) return;
  OutPacket& out = out_[outCount_];
  RtpHeader h;
  h.payloadType = pt;
  h.marker = marker;
  h.sequence = seq_++;  // wraps at 2^16 by design (RFC 3550 §5.1)
  h.timestamp = ts;
  h.ssrc = ssrc_;
  size_t n = marshalRtp(h, payload, len, out.data, kMaxPacket);
  if (n == 0) return;
  if (srtp_ && srtp_->hasOutbound()) {
    size_t outLen = 0;
    if (srtp_->protectRtp(out.data, n, sizeof(out.data), &outLen) != SrtpStatus::Ok) return;
    n = outLen;
  }
  out.len = static_cast<uint16_t>(n);
  out.payloadLen = static_cast<uint16_t>(len);
  out.rtcp = false;
  ++outCount_;
  ++sentSinceReport_;
}

void Leg::send(TickContext& ctx) {
  bool audio = false;
  if (conference_ && confOut_) {
    std::memcpy(txFrame_, confOut_, sizeof(txFrame_));
    audio = true;
  } else {
    std::memset(txFrame_, 0, sizeof(txFrame_));
  }
  confOut_ = nullptr;

  // Playout is consumed even on hold so queued prompts keep their timing relative to the call.
  int16_t pcm[kFrameSamples];
  bool flushed = false;
  const size_t got = playout_.readFrame(pcm, kFrameSamples, &flushed);
  if (got > 0) {
    if (audio) {
      for (size_t i = 0; i < kFrameSamples; ++i) txFrame_[i] = sat16(int32_t(txFrame_[i]) + pcm[i]);
    } else {
      std::memcpy(txFrame_, pcm, sizeof(txFrame_));
    }
    audio = true;
    wasPlaying_ = true;
  }
  PlayoutMark mark;
  bool markFlushed = false;
  while (playout_.nextReachedMark(&mark, &markFlushed)) {
    MediaEvent ev;
    ev.legId = id_;
    ev.type = MediaEventType::Mark;
    ev.value = mark.id;
    ev.flag = markFlushed ? 1 : 0;
    deferEvent(ev);  // raised when the audio before it has actually left (flush)
  }
  if (wasPlaying_ && playout_.queuedSamples() == 0 && (got < kFrameSamples || flushed)) {
    wasPlaying_ = false;
    MediaEvent ev;
    ev.legId = id_;
    ev.type = MediaEventType::PlayoutDone;
    ev.flag = flushed ? 1 : 0;
    deferEvent(ev);
  }

  const bool canSend = haveRemote_ && directionSends(direction_) && encoder_;
  bool suppressAudio = false;
  if (dtmfActive_) {
    const bool inband = dtmfInband_;
    const DtmfTick t = dtmfTx_.tick(inband ? txFrame_ : nullptr);
    if (inband) {
      audio = true;  // tone or the gap's silence replaces the audio while digits are being sent
    } else {
      // RFC 4733 §2.5.1.2: audio for the same time is not sent while the event is being signalled.
      suppressAudio = t.hasEvent || t.digit != 0;
      if (t.hasEvent && canSend) {
        uint8_t ev[kTelephoneEventSize];
        buildTelephoneEvent(t.event, ev, sizeof(ev));
        sendPacket(ev, sizeof(ev), static_cast<uint8_t>(codec_.telephoneEventPt), t.marker,
                   dtmfBaseTs_ + t.eventTsOffset, ctx);
      }
    }
    if (t.done) {
      dtmfActive_ = false;
      MediaEvent ev;
      ev.legId = id_;
      ev.type = MediaEventType::DtmfDone;
      ev.value = dtmfRequestId_;
      deferEvent(ev);
    }
  }

  if (!canSend || suppressAudio || !(audio || opts_.sendSilence)) {
    txAccumLen_ = 0;
    talkspurtStart_ = true;  // RFC 3551 §4.1: the next packet after a gap starts a talkspurt
  } else {
    if (txAccumLen_ == 0) txAccumTs_ = tickTs_;
    std::memcpy(txAccum_ + txAccumLen_, txFrame_, sizeof(txFrame_));
    txAccumLen_ += kFrameSamples;
    const size_t ptimeSamples = codec_.ptimeMs * 16;
    const uint32_t ptimeUnits = rtpUnitsFor(codecInfo(codec_.codec), codec_.ptimeMs);
    while (txAccumLen_ >= ptimeSamples) {
      const size_t n = encoder_->encode(txAccum_, ptimeSamples, payload_, sizeof(payload_));
      if (n > 0) {
        sendPacket(payload_, n, static_cast<uint8_t>(codec_.payloadType), talkspurtStart_, txAccumTs_, ctx);
        talkspurtStart_ = false;
      }
      txAccumLen_ -= ptimeSamples;
      std::memmove(txAccum_, txAccum_ + ptimeSamples, txAccumLen_ * sizeof(int16_t));
      txAccumTs_ += ptimeUnits;
    }
  }
  tickTs_ += unitsPerTick_;
  if (++ticksSincePublish_ >= 10) publishStats();
}

void Leg::maybeSendRtcp(TickContext& ctx) {
  if (!haveRemote_ || ctx.nowNs < nextRtcpNs_) return;
  // RFC 3550 §6.3.1: randomise the interval (0.5..1.5 x) so reports of many legs do not synchronise.
  rtcpRand_ = rtcpRand_ * 1664525u + 1013904223u;
  nextRtcpNs_ = ctx.nowNs + kRtcpIntervalNs / 2 + static_cast<int64_t>((rtcpRand_ >> 8) % 1000) * (kRtcpIntervalNs / 1000);
  rtcpDue_ = true;
}

// Built when it leaves, not when it was decided: the SR's NTP timestamp and the report block's DLSR are
// read from the clocks right before sendto (RFC 3550 §6.4.1), so the peer's RTT is not inflated by the
// up to 20 ms between the tick that scheduled the report and the paced flush that sends it.
size_t Leg::buildRtcp(uint8_t* out, size_t cap, TickContext&) {
  const uint64_t nowUs = static_cast<uint64_t>(monotonicNs() / 1000);
  const uint64_t nowUnixUs = static_cast<uint64_t>(realtimeNs() / 1000);
  RtcpReportBlock block;
  size_t blocks = 0;
  if (haveRxSsrc_ && rxStats_.received() > 0) {
    rxStats_.makeReportBlock(nowUs, &block);
    blocks = 1;
  }
  size_t n;
  if (sentSinceReport_ > 0) {
    // §6.4.1: a participant that sent data since the last report sends an SR.
    RtcpSenderInfo si;
    si.ntpTimestamp = unixUsToNtp(nowUnixUs);
    si.rtpTimestamp = tickTs_;
    si.packetCount = static_cast<uint32_t>(stats_.packetsSent);
    si.octetCount = static_cast<uint32_t>(stats_.bytesSent);
    n = buildSenderReport(ssrc_, si, &block, blocks, out, kMaxPacket);
  } else {
    n = buildReceiverReport(ssrc_, &block, blocks, out, kMaxPacket);
  }
  sentSinceReport_ = 0;
  if (n == 0) return 0;
  // §6.1: every compound packet carries an SDES CNAME.
  char cname[32];
  std::snprintf(cname, sizeof(cname), "trunkgate-%08x", ssrc_);
  const size_t sdes = buildSdesCname(ssrc_, cname, out + n, kMaxPacket - n);
  if (sdes == 0) return 0;
  n += sdes;
  if (srtp_ && srtp_->hasOutbound()) {
    size_t outLen = 0;
    if (srtp_->protectRtcp(out, n, cap, &outLen) != SrtpStatus::Ok) return 0;
    n = outLen;
  }
  return n;
}

}  // namespace tg::io
