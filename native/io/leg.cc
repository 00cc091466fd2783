// Leg construction, configuration commands and the statistics snapshot. The per-tick receive and
// send paths live in leg-receive.cc and leg-send.cc.
#include "io/leg.h"

#include <random>

#include "io/media-clock.h"

namespace tg::io {

namespace {
JitterBufferConfig jitterConfigFor(const CodecInfo& info, const LegOptions& o) {
  JitterBufferConfig c;
  c.rtpClock = info.rtpClock;
  c.maxPayload = info.maxPayload;
  c.frameMs = 20;
  c.minDelayMs = o.jitterMinMs;
  c.maxDelayMs = o.jitterMaxMs;
  return c;
}
}  // namespace

std::unique_ptr<JitterBuffer> makeJitterBuffer(CodecId codec, const LegOptions& o, AudioDecoder* dec) {
  return std::make_unique<JitterBuffer>(jitterConfigFor(codecInfo(codec), o), dec);
}

Leg::Leg(uint32_t id, const LegOptions& opts, const SocketPair& sockets, PortAllocator* ports)
    : id_(id), opts_(opts), sockets_(sockets), ports_(ports), playout_(static_cast<size_t>(opts.playoutQueueMs) * 16) {
  // RFC 3550 §5.1: the initial sequence number and timestamp SHOULD be random (plaintext attacks
  // on SRTP); the SSRC MUST be random (§8.1).
  std::random_device rd;
  ssrc_ = rd();
  seq_ = static_cast<uint16_t>(rd());
  tickTs_ = rd();
  stats_.localSsrc = ssrc_;
  rtcpRand_ = rd();
  decoder_ = makeDecoder(CodecId::PCMU);
  encoder_ = makeEncoder(CodecId::PCMU);
  jitter_ = makeJitterBuffer(CodecId::PCMU, opts_, decoder_.get());
  if (opts_.frames) frames_ = std::make_unique<FrameRing>(opts_.frameQueueFrames);
  if (opts_.inbandDtmfDetect) dtmfDetect_ = std::make_unique<DtmfDetector>();
  snapshot_ = stats_;
}

Leg::~Leg() { closeSockets(); }

void Leg::closeSockets() {
  if (sockets_.rtpFd >= 0 && ports_) ports_->release(sockets_);
  sockets_.rtpFd = -1;
  sockets_.rtcpFd = -1;
}

void Leg::setRemote(const sockaddr_storage& rtp, socklen_t rtpLen, const sockaddr_storage& rtcp, socklen_t rtcpLen,
                    int64_t nowNs) {
  // A re-INVITE that names the same address keeps the latch (a hold or a codec change must not give an
  // intruder a window, RTP-Bleed); a new address is a new stream and latching starts again.
  const bool sameStream = haveRemote_ && sameAddress(rtp, sdpRtp_) && sameAddress(rtcp, sdpRtcp_);
  sdpRtp_ = rtp;
  sdpRtcp_ = rtcp;
  haveRemote_ = true;
  if (!sameStream || !latchedRtp_) {
    remoteRtp_ = rtp;
    remoteRtpLen_ = rtpLen;
    latchedRtp_ = false;
    latchSsrcKnown_ = false;
    stats_.latched = false;
  }
  if (!sameStream || !latchedRtcp_) {
    remoteRtcp_ = rtcp;
    remoteRtcpLen_ = rtcpLen;
    latchedRtcp_ = false;
  }
  armedAtNs_ = nowNs;
  gotRtp_ = false;
  timeoutRaised_ = false;
  if (nextRtcpNs_ == 0) nextRtcpNs_ = nowNs + 2'500'000'000LL;  // RFC 3550 §6.3.5: first report at half the interval
}

void Leg::setCodec(const CodecSettings& cs, std::unique_ptr<AudioDecoder> dec, std::unique_ptr<AudioEncoder> enc,
                   std::unique_ptr<JitterBuffer> jb) {
  // Order matters: the jitter buffer borrows the decoder, so it goes first.
  jitter_ = std::move(jb);
  decoder_ = std::move(dec);
  encoder_ = std::move(enc);
  const uint32_t oldClock = codecInfo(codec_.codec).rtpClock;
  codec_ = cs;
  const CodecInfo& info = codecInfo(cs.codec);
  unitsPerTick_ = rtpUnitsFor(info, 20);
  if (info.rtpClock != oldClock) {
    // Statistics and RFC 4733 events count in RTP units of the audio clock (RFC 4733 §2.1): a new clock
    // is a new timeline (no allocation: both are plain values).
    rxStats_ = RtpReceiveStats(info.rtpClock);
    haveRxSsrc_ = false;
    dtmfRx_ = DtmfReceiver(info.rtpClock);
  }
  txAccumLen_ = 0;
  talkspurtStart_ = true;
}

void Leg::setSrtp(std::unique_ptr<SrtpSession> srtp) { srtp_ = std::move(srtp); }

void Leg::setInbandDtmf(bool on) {
  if (on && !inbandOn_ && dtmfDetect_) dtmfDetect_->reset();
  inbandOn_ = on;
}

void Leg::setDirection(Direction d) {
  if (d == direction_) return;
  direction_ = d;
  txAccumLen_ = 0;
  talkspurtStart_ = true;
  // RFC 3264 §8.4: on hold the peer may stop sending; do not report that as a timeout.
  if (!directionReceives(d)) timeoutRaised_ = false;
  lastRxNs_ = 0;
  gotRtp_ = false;
  armedAtNs_ = monotonicNs();
}

bool Leg::startDtmf(const char* digits, size_t len, const DtmfSenderConfig& cfg, uint64_t requestId) {
  if (dtmfActive_) return false;
  DtmfSenderConfig c = cfg;
  // RFC 4733 only if the peer negotiated telephone-event; otherwise the tones go in-band.
  if (codec_.telephoneEventPt < 0) c.mode = DtmfMode::InBand;
  c.eventClock = codecInfo(codec_.codec).rtpClock;
  dtmfInband_ = c.mode == DtmfMode::InBand;
  dtmfTx_ = DtmfSender(c);
  if (dtmfTx_.start(digits, len) != -1) return false;  // the facade validated already; belt and braces
  dtmfActive_ = true;
  dtmfRequestId_ = requestId;
  dtmfBaseTs_ = tickTs_;
  return true;
}

void Leg::emitDtmf(char digit, uint32_t durationMs, uint8_t source, TickContext& ctx) {
  ++stats_.dtmfReceived;
  MediaEvent ev;
  ev.legId = id_;
  ev.type = MediaEventType::Dtmf;
  ev.digit = digit;
  ev.flag = source;
  ev.durationMs = durationMs;
  ctx.events->push(ev);
  ctx.producedForJs = true;
}

void Leg::checkTimeout(TickContext& ctx) {
  if (!haveRemote_ || timeoutRaised_ || !directionReceives(direction_)) return;
  const int64_t since = gotRtp_ ? ctx.nowNs - lastRxNs_ : ctx.nowNs - armedAtNs_;
  const int64_t limitNs = static_cast<int64_t>(gotRtp_ ? opts_.timeoutAfterMs : opts_.timeoutBeforeMs) * 1'000'000;
  if (limitNs <= 0 || since < limitNs) return;
  timeoutRaised_ = true;  // once per silence; re-armed by the next packet
  ++stats_.timeouts;
  MediaEvent ev;
  ev.legId = id_;
  ev.type = MediaEventType::Timeout;
  ev.flag = gotRtp_ ? 1 : 0;
  ev.durationMs = static_cast<uint32_t>(since / 1'000'000);
  ctx.events->push(ev);
  ctx.producedForJs = true;
}

void Leg::publishStats() {
  stats_.packetsLost = haveRxSsrc_ ? rxStats_.cumulativeLost() : 0;
  stats_.jitterMs = haveRxSsrc_ ? rxStats_.jitterMs() : 0;
  stats_.jitter = jitter_->stats();
  if (frames_) stats_.framesDropped = frames_->dropped();
  // The media thread never waits for JS: if JS holds the lock right now, publish next tick.
  if (snapshotMutex_.try_lock()) {
    snapshot_ = stats_;
    snapshotMutex_.unlock();
    ticksSincePublish_ = 0;
  }
}

LegStats Leg::statsSnapshot() {
  std::lock_guard<std::mutex> lock(snapshotMutex_);
  return snapshot_;
}

}  // namespace tg::io
