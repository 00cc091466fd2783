// Adaptive, time-based jitter buffer (STYLE.md: a state machine with counters, not packet counts).
// Stores ENCODED payloads keyed by RTP timestamp and decodes on pop (codec-agnostic), then runs spandsp
// PLC (plc_rx on real audio, plc_fillin for gaps) on the 16 kHz output.
//
// States: Buffering (waiting until the buffered audio reaches the target delay) -> Playing (one frame per
// pop) -> Buffering again after a sustained underflow, an SSRC change or a timestamp jump.
// Target delay = high quantile (default 0.95) of the relative transit delay of packets over a time window
// (default 4 s), plus the packetisation term ptime + frame - gcd(ptime, frame) (20 ms for 20 ms packets,
// 40 ms for 30 ms packets played in 20 ms frames), clamped to [minDelayMs, maxDelayMs] (defaults 20/200).
// How the level reaches the target:
//  - a missing packet while the level is below target is waited for (PLC frames, playout point held)
//    rather than given up; at or above target it is declared lost and skipped;
//  - an empty buffer is concealed without advancing the playout point (underflow), up to maxConcealMs,
//    then the buffer re-enters Buffering;
//  - at talkspurt starts (marker bit after a gap, RFC 3551 §4.1) the silence is shortened or lengthened;
//  - drift (sender clock faster/slower than ours) drops or inserts single frames, preferring quiet ones;
//  - above maxDelayMs + one frame the excess is dropped at once (overflow).
// Single-threaded: push and pop are called on the media thread. No allocation after construction.
#pragma once
#include <cstddef>
#include <cstdint>

#include "codec/audio_codec.h"

namespace tg {

struct JitterBufferConfig {
  uint32_t rtpClock = 8000;       // RTP timestamp rate of the stream (G.722: 8000, Opus: 48000)
  uint32_t frameMs = 20;          // duration of one pop()
  uint32_t minDelayMs = 20;
  uint32_t maxDelayMs = 200;
  uint32_t windowMs = 4000;       // delay-statistics window
  double quantile = 0.95;
  size_t capacity = 64;           // packet slots (>= maxDelayMs / smallest ptime, with margin)
  size_t maxPayload = 640;        // octets per stored payload (G.722 40 ms = 320)
  uint32_t maxConcealMs = 100;    // PLC this long, then output silence and re-buffer
};

enum class JitterState : uint8_t { Buffering = 0, Playing = 1 };

enum class PushResult : uint8_t {
  Accepted = 0,
  Duplicate,   // same seq+ts already buffered or already played
  Late,        // arrived after its playout time: counted as a late loss
  TooLarge,    // payload > maxPayload
  Overflow,    // no free slot even after dropping the oldest (counted)
};

enum class FrameKind : uint8_t { Audio = 0, Concealed = 1, Empty = 2 };

struct PopResult {
  FrameKind kind = FrameKind::Empty;
  size_t samples = 0;  // always frameMs·16 (silence written for Empty)
};

struct JitterStats {
  uint32_t currentDelayMs = 0;   // buffered audio ahead of the playout point
  uint32_t targetDelayMs = 0;
  uint64_t pushed = 0;
  uint64_t played = 0;           // frames of real audio
  uint64_t lateLosses = 0;
  uint64_t lost = 0;             // timestamps never received when their turn came
  uint64_t concealedSamples = 0;
  uint64_t underflows = 0;
  uint64_t overflows = 0;
  uint64_t duplicates = 0;
  uint64_t reorders = 0;         // accepted packets with seq lower than the highest seen
  uint64_t droppedFrames = 0;    // drift correction / overflow drops
  uint64_t insertedFrames = 0;   // drift correction inserts
  uint64_t resets = 0;           // SSRC changes, timestamp jumps
  uint64_t decodeErrors = 0;
  uint64_t fecFrames = 0;        // lost packets rebuilt from the next packet's in-band FEC (Opus)
};

class JitterBuffer {
 public:
  // decoder is borrowed (owned by the leg) and must outlive the buffer.
  JitterBuffer(const JitterBufferConfig& cfg, AudioDecoder* decoder);
  ~JitterBuffer();
  JitterBuffer(const JitterBuffer&) = delete;
  JitterBuffer& operator=(const JitterBuffer&) = delete;

  PushResult push(uint16_t seq, uint32_t ts, uint32_t ssrc, bool marker, uint64_t arrivalUs,
                  const uint8_t* payload, size_t len);
  // Short form for a single-SSRC stream without marker information.
  PushResult push(uint16_t seq, uint32_t ts, uint64_t arrivalUs, const uint8_t* payload, size_t len) {
    return push(seq, ts, lastSsrc_, false, arrivalUs, payload, len);
  }
  // Called every frameMs. Writes exactly frameSamples() 16 kHz samples into out (cap must be >= that,
  // else returns kind Empty with samples 0).
  PopResult pop(uint64_t nowUs, int16_t* out, size_t cap);

  size_t frameSamples() const { return frameSamples_; }
  JitterState state() const { return state_; }
  const JitterStats& stats() const;
  void reset();

 private:
  struct Slot {
    bool used;
    bool marker;
    uint16_t seq;
    uint32_t ts;
    uint32_t units;  // duration in RTP timestamp units
    size_t len;
    uint8_t* data;   // points into payloadStore_
  };
  int findCovering(uint32_t ts);        // slot holding the sample at ts; frees stale slots on the way
  int earliestAfter(uint32_t ts) const; // buffered slot with the smallest ts >= ts, or -1
  int freeSlot();
  bool seenSeq(uint16_t seq) const;
  void markSeq(uint16_t seq);
  void updateDelayStats(uint32_t ts, uint64_t arrivalUs);
  uint32_t levelUnits() const;          // audio ahead of the playout point (staged + buffered)
  uint32_t levelMs() const;
  size_t bufferedCount() const;
  void fillFrame(int16_t* out, bool* real, bool* concealed, bool* silent);
  void conceal(int16_t* out, size_t n, bool* concealed, bool* silent);
  void dropFrame();
  void resetStream();
  void anchor(uint32_t ts);

  JitterBufferConfig cfg_;
  AudioDecoder* decoder_;
  size_t frameSamples_;
  uint32_t frameUnits_;
  // 16 kHz samples <-> RTP units of the stream (8 kHz: 2 samples a unit; Opus' 48 kHz: 3 units a sample).
  size_t samplesOf(uint32_t units) const { return static_cast<size_t>(uint64_t{units} * kInternalRate / cfg_.rtpClock); }
  uint32_t unitsOf(size_t samples) const { return static_cast<uint32_t>(uint64_t{samples} * cfg_.rtpClock / kInternalRate); }
  JitterState state_ = JitterState::Buffering;
  Slot* slots_ = nullptr;
  uint8_t* payloadStore_ = nullptr;
  int16_t* decoded_ = nullptr;       // decoded audio staged for playout, starting at playTs_
  size_t decodedCap_ = 0;
  size_t decodedLen_ = 0, decodedPos_ = 0;
  int64_t* delayRel_ = nullptr;      // ring: relative transit delay (us) of recent packets
  uint64_t* delayAt_ = nullptr;      // ring: their arrival times
  size_t delayCap_ = 0, delayHead_ = 0, delayCount_ = 0;
  int64_t* sortScratch_ = nullptr;
  // The quantile scan is O(window) per packet (200 packets at 4 s, 8 % of a transcoding bridge's CPU):
  // it is redone at once when a packet falls outside the last [minimum, quantile] range (jitter grew:
  // react now) and otherwise every kDelayStatsStride packets, so the effect of samples leaving the
  // window is picked up at most that many packets late (100 ms at 20 ms ptime).
  static constexpr uint32_t kDelayStatsStride = 5;
  uint32_t delaySinceScan_ = 0;
  bool delayScanValid_ = false;
  int64_t delayScanLo_ = 0, delayScanHi_ = 0;
  uint16_t seenSeq_[256];            // duplicate detection over the last 256 sequence numbers
  bool seenValid_[256];
  void* plc_ = nullptr;              // spandsp plc_state_t (an anonymous struct: cannot be forward-declared)
  bool haveStream_ = false;
  uint32_t lastSsrc_ = 0;
  uint16_t highestSeq_ = 0;
  bool havePlayedSeq_ = false;
  uint16_t lastPlayedSeq_ = 0;
  uint32_t firstTs_ = 0;
  uint64_t firstArrivalUs_ = 0;
  uint32_t playTs_ = 0;              // RTP timestamp of the next sample to output
  uint32_t highestTsEnd_ = 0;        // end timestamp of the newest packet received
  uint32_t targetMs_ = 0;
  uint32_t packetMs_ = 20;           // duration of the newest packet (ptime)
  size_t concealedRun_ = 0;          // consecutive concealed samples (bounded by maxConcealMs)
  bool inUnderflow_ = false;
  int driftHighFrames_ = 0, driftLowFrames_ = 0;
  bool lastFrameQuiet_ = true;
  int16_t* scratchFrame_ = nullptr;  // candidate frame for quiet-drop decisions
  mutable JitterStats stats_;
};

}  // namespace tg
