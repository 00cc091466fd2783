// One call leg's media: an RTP/RTCP socket pair and the per-leg pipeline
//   receive: socket -> SRTP unprotect -> RTP parse -> { telephone-event -> DtmfReceiver
//                                                       audio -> JitterBuffer }
//            every tick: JitterBuffer.pop (decode -> 16 kHz, PLC) -> [in-band DTMF detect]
//                        -> frame to JS and/or to the conference (bridge) input
//   send:    every tick: conference output + playout queue (16 kHz) -> [DTMF] -> encode (ptime)
//            -> RTP marshal -> SRTP protect -> socket
// Everything except the JS-facing queues (playout, frames) and the stats snapshot is touched only by
// the worker thread that owns the leg; configuration arrives as commands run on that thread.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "codec/audio_codec.h"
#include "dsp/dtmf_detector.h"
#include "dsp/dtmf_receiver.h"
#include "dsp/dtmf_sender.h"
#include "dsp/jitter_buffer.h"
#include "io/frame-ring.h"
#include "io/leg-types.h"
#include "io/media-event.h"
#include "io/playout-queue.h"
#include "io/port-allocator.h"
#include "rtp/receive_stats.h"
#include "srtp/srtp_session.h"

namespace tg::io {

class Conference;

// Builds the jitter buffer for a codec (JS thread: it allocates); the decoder is borrowed.
std::unique_ptr<JitterBuffer> makeJitterBuffer(CodecId codec, const LegOptions& o, AudioDecoder* dec);
bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b);

// Per-worker scratch the legs share while the worker runs them one after another.
struct TickContext {
  int64_t nowNs = 0;
  uint64_t nowUs = 0;       // monotonic
  uint64_t nowUnixUs = 0;   // wall clock, for RTCP NTP timestamps
  EventRing* events = nullptr;
  bool producedForJs = false;  // something was queued for JS this tick (wake it)
};

class Leg {
 public:
  static constexpr size_t kMaxPacket = 1500;

  Leg(uint32_t id, const LegOptions& opts, const SocketPair& sockets, PortAllocator* ports);
  ~Leg();
  Leg(const Leg&) = delete;
  Leg& operator=(const Leg&) = delete;

  uint32_t id() const { return id_; }
  // Index of the worker that runs this leg. Written when the leg is created or moved, read by any
  // thread routing a command to it.
  int owner() const { return owner_.load(std::memory_order_acquire); }
  void setOwner(int w) { owner_.store(w, std::memory_order_release); }
  // Set when createLeg counts the leg on a worker before it attaches; the attach takes it back.
  void markAssigned() { assigned_.store(true, std::memory_order_relaxed); }
  bool takeAssignment() { return assigned_.exchange(false, std::memory_order_relaxed); }
  uint16_t localPort() const { return sockets_.rtpPort; }
  const LegOptions& options() const { return opts_; }
  int rtpFd() const { return sockets_.rtpFd; }
  int rtcpFd() const { return sockets_.rtcpFd; }

  // ---- JS thread (thread-safe) ----
  PlayoutQueue& playout() { return playout_; }
  FrameRing* frames() { return frames_.get(); }
  LegStats statsSnapshot();

  // ---- worker thread: configuration commands ----
  void setRemote(const sockaddr_storage& rtp, socklen_t rtpLen, const sockaddr_storage& rtcp, socklen_t rtcpLen,
                 int64_t nowNs);
  // decoder/encoder are built on the JS thread (allocation) and handed over here.
  void setCodec(const CodecSettings& cs, std::unique_ptr<AudioDecoder> dec, std::unique_ptr<AudioEncoder> enc,
                std::unique_ptr<JitterBuffer> jb);
  void setSrtp(std::unique_ptr<SrtpSession> srtp);
  void setDirection(Direction d);
  // In-band DTMF detection on or off (a no-op for a leg created without the detector). The call layer
  // turns it off while RFC 4733 is negotiated (auto mode): spandsp's detector was the largest single
  // item of the media threads at 200 calls. Turning it back on starts from a clean detector.
  void setInbandDtmf(bool on);
  // Returns false if a DTMF string is already being sent.
  bool startDtmf(const char* digits, size_t len, const DtmfSenderConfig& cfg, uint64_t requestId);
  // Frees the port pair. JS thread only (the destructor, which runs where the last reference goes: retired
  // legs are released by JS; or engine shutdown after the workers joined): close() and the allocator's
  // mutex, which allocate() holds across bind(), never run on a media thread.
  void closeSockets();

  // ---- worker thread: the tick ----
  // One datagram read by the worker (in place: SRTP unprotects inside buf, which has kMaxPacket room).
  // arrivalUs is the kernel receive time on the monotonic clock, so jitter is not quantised to ticks.
  void onDatagram(bool rtcpSocket, uint8_t* buf, size_t len, const sockaddr_storage& from, uint64_t arrivalUs,
                  TickContext& ctx);
  // Produces this tick's received frame (jitter pop, decode, DTMF detect, delivery to JS).
  void produce(TickContext& ctx);
  // Builds this tick's outgoing packets (audio, DTMF) into the leg's out queue.
  void send(TickContext& ctx);
  void maybeSendRtcp(TickContext& ctx);
  // Transmits the queued packets and raises the events that wait for them (marks, playout done,
  // DTMF done). The worker calls it first thing in the next tick (paced: every packet leaves at a
  // fixed offset from the 20 ms deadline, whatever the rest of the tick costs) or right after
  // send() (low latency: one frame earlier, but the send time moves with the tick's workload).
  void flush(TickContext& ctx);
  void checkTimeout(TickContext& ctx);

  // Conference hook-up (worker thread): the leg exposes its received frame as the conference input
  // and takes the conference output as the audio to send.
  void attachConference(Conference* c, int mixerId) { conference_ = c; mixerId_ = mixerId; }
  void detachConference() { conference_ = nullptr; mixerId_ = -1; }
  Conference* conference() const { return conference_; }
  int mixerId() const { return mixerId_; }
  const int16_t* receivedFrame() const { return rxFrame_; }
  bool hasReceivedAudio() const { return rxHasAudio_; }
  void setConferenceOutput(const int16_t* pcm);

 private:
  void onRtp(uint8_t* buf, size_t len, const sockaddr_storage& from, uint64_t arrivalUs, TickContext& ctx);
  void onRtcp(uint8_t* buf, size_t len, const sockaddr_storage& from, uint64_t arrivalUs, TickContext& ctx);
  bool acceptSource(const sockaddr_storage& from, bool rtcp, int64_t nowNs);
  void rejectSource(const sockaddr_storage& from);
  void latchRtp(const sockaddr_storage& from, int64_t nowNs);
  size_t buildRtcp(uint8_t* out, size_t cap, TickContext& ctx);
  void sendPacket(const uint8_t* payload, size_t len, uint8_t pt, bool marker, uint32_t ts, TickContext& ctx);
  void deferEvent(const MediaEvent& ev);
  void emitDtmf(char digit, uint32_t durationMs, uint8_t source, TickContext& ctx);
  void publishStats();

  const uint32_t id_;
  std::atomic<int> owner_{0};
  std::atomic<bool> assigned_{false};
  const LegOptions opts_;
  SocketPair sockets_;
  PortAllocator* ports_;

  // remote addresses (worker thread): where we send (the SDP's, or the latched source) and what the SDP said
  sockaddr_storage remoteRtp_{}, remoteRtcp_{};
  socklen_t remoteRtpLen_ = 0, remoteRtcpLen_ = 0;
  sockaddr_storage sdpRtp_{}, sdpRtcp_{};
  bool haveRemote_ = false;
  bool latchedRtp_ = false, latchedRtcp_ = false;
  int64_t latchedRxNs_ = 0;          // last packet accepted from the latched RTP source
  bool latchSsrcKnown_ = false;      // a source that died may only be replaced by one with its SSRC
  uint32_t latchSsrc_ = 0;
  sockaddr_storage lastRejected_{};  // rejectedSources counts changes of the rejected address

  CodecSettings codec_;
  std::unique_ptr<AudioDecoder> decoder_;
  std::unique_ptr<AudioEncoder> encoder_;
  std::unique_ptr<JitterBuffer> jitter_;
  std::unique_ptr<SrtpSession> srtp_;
  Direction direction_ = Direction::SendRecv;

  // receive side
  RtpReceiveStats rxStats_{codecInfo(CodecId::PCMU).rtpClock};  // a leg starts as PCMU until setCodec
  bool haveRxSsrc_ = false;
  DtmfReceiver dtmfRx_{codecInfo(CodecId::PCMU).rtpClock};
  std::unique_ptr<DtmfDetector> dtmfDetect_;
  bool inbandOn_ = true;
  int16_t rxFrame_[kFrameSamples] = {};
  bool rxHasAudio_ = false;
  int64_t armedAtNs_ = 0;      // timeout clock start (setRemote)
  int64_t lastRxNs_ = 0;
  bool gotRtp_ = false;
  bool timeoutRaised_ = false;

  // send side
  PlayoutQueue playout_;  // constructed from opts_ (declared after it)
  std::unique_ptr<FrameRing> frames_;
  int16_t txFrame_[kFrameSamples] = {};
  int16_t txAccum_[kFrameSamples * (kMaxPtimeMs / 20 + 1)] = {};  // up to the longest ptime + one frame
  size_t txAccumLen_ = 0;
  uint32_t txAccumTs_ = 0;
  const int16_t* confOut_ = nullptr;
  uint32_t ssrc_ = 0;
  uint16_t seq_ = 0;
  uint32_t tickTs_ = 0;         // RTP clock advancing 20 ms per tick whether or not we send
  uint32_t unitsPerTick_ = rtpUnitsFor(codecInfo(CodecId::PCMU), 20);  // 20 ms at the codec's RTP clock (registry)
  bool talkspurtStart_ = true;  // RFC 3551 §4.1: marker on the first packet after silence
  bool wasPlaying_ = false;
  DtmfSender dtmfTx_;
  bool dtmfActive_ = false;
  bool dtmfInband_ = false;
  uint64_t dtmfRequestId_ = 0;
  uint32_t dtmfBaseTs_ = 0;
  struct OutPacket {
    uint16_t len;
    uint16_t payloadLen;
    bool rtcp;
    uint8_t data[kMaxPacket + 64];
  };
  static constexpr int kMaxOut = 6;  // ptime 10 (2) + DTMF event + RTCP, with room to spare
  OutPacket out_[kMaxOut];
  int outCount_ = 0;
  static constexpr int kMaxDeferred = 16;
  MediaEvent deferred_[kMaxDeferred];
  int deferredCount_ = 0;
  uint8_t payload_[kMaxPacket] = {};

  // RTCP (RFC 3550 §6)
  int64_t nextRtcpNs_ = 0;
  bool rtcpDue_ = false;        // built and sent by flush(), stamped at the instant it leaves (RTT)
  uint32_t sentSinceReport_ = 0;
  uint32_t rtcpRand_ = 0;

  Conference* conference_ = nullptr;
  int mixerId_ = -1;

  LegStats stats_;  // worker-thread working copy
  std::mutex snapshotMutex_;
  LegStats snapshot_;
  uint32_t ticksSincePublish_ = 0;
};

}  // namespace tg::io
