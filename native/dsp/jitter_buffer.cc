#include "dsp/jitter_buffer.h"

#include <spandsp.h>

#include <algorithm>
#include <cstring>

namespace tg {

namespace {

// Wrap-aware differences (RFC 3550 timestamps and sequence numbers are modular).
inline int32_t tsDiff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }
inline int16_t seqDiff(uint16_t a, uint16_t b) { return static_cast<int16_t>(a - b); }

// A frame is "quiet" (a good place to drop or insert audio, STYLE.md) below about -45 dBFS mean power.
bool isQuiet(const int16_t* pcm, size_t n) {
  int64_t energy = 0;
  for (size_t i = 0; i < n; i++) energy += static_cast<int32_t>(pcm[i]) * pcm[i];
  return n == 0 || energy / static_cast<int64_t>(n) < 180 * 180;
}

// Drift control: act after this many consecutive frames off target, and force it after kForce even if
// no quiet frame came (continuous speech must not let the level grow without bound).
constexpr int kDriftFrames = 5;
constexpr int kDriftForce = 50;
// Timestamp jumps larger than this (either way) are a new timeline, not jitter: reset and re-anchor.
constexpr uint32_t kJumpMs = 2000;

}  // namespace

JitterBuffer::JitterBuffer(const JitterBufferConfig& cfg, AudioDecoder* decoder) : cfg_(cfg), decoder_(decoder) {
  if (cfg_.rtpClock == 0 || cfg_.rtpClock > 48000) cfg_.rtpClock = 8000;
  if (cfg_.frameMs == 0) cfg_.frameMs = 20;
  if (cfg_.capacity < 4) cfg_.capacity = 4;
  if (cfg_.maxDelayMs < cfg_.minDelayMs) cfg_.maxDelayMs = cfg_.minDelayMs;
  if (cfg_.quantile <= 0 || cfg_.quantile > 1) cfg_.quantile = 0.95;
  frameSamples_ = static_cast<size_t>(cfg_.frameMs) * (kInternalRate / 1000);
  frameUnits_ = cfg_.frameMs * cfg_.rtpClock / 1000;
  slots_ = new Slot[cfg_.capacity];
  payloadStore_ = new uint8_t[cfg_.capacity * cfg_.maxPayload];
  for (size_t i = 0; i < cfg_.capacity; i++) {
    slots_[i] = Slot{false, false, 0, 0, 0, 0, payloadStore_ + i * cfg_.maxPayload};
  }
  decodedCap_ = (decoder_ != nullptr ? decoder_->samplesForPayload(cfg_.maxPayload) : 0) + frameSamples_;
  decoded_ = new int16_t[decodedCap_];
  delayCap_ = std::max<size_t>(256, cfg_.windowMs / 5);
  delayRel_ = new int64_t[delayCap_];
  delayAt_ = new uint64_t[delayCap_];
  sortScratch_ = new int64_t[delayCap_];
  scratchFrame_ = new int16_t[frameSamples_];
  plc_ = plc_init(nullptr);
  targetMs_ = std::max(cfg_.minDelayMs, cfg_.frameMs);
  resetStream();
}

JitterBuffer::~JitterBuffer() {
  if (plc_ != nullptr) plc_free(static_cast<plc_state_t*>(plc_));
  delete[] slots_;
  delete[] payloadStore_;
  delete[] decoded_;
  delete[] delayRel_;
  delete[] delayAt_;
  delete[] sortScratch_;
  delete[] scratchFrame_;
}

const JitterStats& JitterBuffer::stats() const {
  stats_.currentDelayMs = levelMs();
  stats_.targetDelayMs = targetMs_;
  return stats_;
}

void JitterBuffer::reset() {
  resetStream();
  stats_.resets++;
}

void JitterBuffer::resetStream() {
  for (size_t i = 0; i < cfg_.capacity; i++) slots_[i].used = false;
  std::memset(seenValid_, 0, sizeof(seenValid_));
  decodedLen_ = decodedPos_ = 0;
  delayHead_ = delayCount_ = 0;
  delayScanValid_ = false;
  delaySinceScan_ = 0;
  haveStream_ = false;
  havePlayedSeq_ = false;
  state_ = JitterState::Buffering;
  concealedRun_ = 0;
  inUnderflow_ = false;
  driftHighFrames_ = driftLowFrames_ = 0;
  lastFrameQuiet_ = true;
  if (plc_ != nullptr) plc_init(static_cast<plc_state_t*>(plc_));
  if (decoder_ != nullptr) decoder_->reset();
}

void JitterBuffer::anchor(uint32_t ts) {
  playTs_ = ts;
  decodedLen_ = decodedPos_ = 0;
}

bool JitterBuffer::seenSeq(uint16_t seq) const { return seenValid_[seq & 0xFF] && seenSeq_[seq & 0xFF] == seq; }
void JitterBuffer::markSeq(uint16_t seq) {
  seenSeq_[seq & 0xFF] = seq;
  seenValid_[seq & 0xFF] = true;
}

size_t JitterBuffer::bufferedCount() const {
  size_t n = 0;
  for (size_t i = 0; i < cfg_.capacity; i++) n += slots_[i].used ? 1 : 0;
  return n;
}

uint32_t JitterBuffer::levelUnits() const {
  if (!haveStream_) return 0;
  const uint32_t staged = unitsOf(decodedLen_ - decodedPos_);
  const int32_t ahead = tsDiff(highestTsEnd_, playTs_);
  return std::max<uint32_t>(staged, ahead > 0 && bufferedCount() > 0 ? static_cast<uint32_t>(ahead) : 0);
}

uint32_t JitterBuffer::levelMs() const { return levelUnits() * 1000 / cfg_.rtpClock; }

int JitterBuffer::freeSlot() {
  for (size_t i = 0; i < cfg_.capacity; i++) {
    if (!slots_[i].used) return static_cast<int>(i);
  }
  return -1;
}

int JitterBuffer::findCovering(uint32_t ts) {
  int found = -1;
  for (size_t i = 0; i < cfg_.capacity; i++) {
    Slot& s = slots_[i];
    if (!s.used) continue;
    if (tsDiff(s.ts + s.units, ts) <= 0) {
      s.used = false;  // entirely before the playout point: its time has passed
      continue;
    }
    if (tsDiff(s.ts, ts) <= 0) found = static_cast<int>(i);
  }
  return found;
}

int JitterBuffer::earliestAfter(uint32_t ts) const {
  int best = -1;
  for (size_t i = 0; i < cfg_.capacity; i++) {
    const Slot& s = slots_[i];
    if (!s.used || tsDiff(s.ts, ts) < 0) continue;
    if (best < 0 || tsDiff(s.ts, slots_[best].ts) < 0) best = static_cast<int>(i);
  }
  return best;
}

void JitterBuffer::updateDelayStats(uint32_t ts, uint64_t arrivalUs) {
  // Relative transit delay: how much later than the first packet's timing this packet arrived. Its spread
  // over the window is the jitter the buffer must absorb (time-based, not packet counts).
  const int64_t mediaUs = static_cast<int64_t>(tsDiff(ts, firstTs_)) * 1000000 / cfg_.rtpClock;
  const int64_t rel = static_cast<int64_t>(arrivalUs - firstArrivalUs_) - mediaUs;
  delayRel_[delayHead_] = rel;
  delayAt_[delayHead_] = arrivalUs;
  delayHead_ = (delayHead_ + 1) % delayCap_;
  if (delayCount_ < delayCap_) delayCount_++;
  if (delayScanValid_ && ++delaySinceScan_ < kDelayStatsStride && rel >= delayScanLo_ && rel <= delayScanHi_) return;
  delaySinceScan_ = 0;
  size_t n = 0;
  const uint64_t windowUs = static_cast<uint64_t>(cfg_.windowMs) * 1000;
  for (size_t k = 0; k < delayCount_; k++) {
    const size_t idx = (delayHead_ + delayCap_ - 1 - k) % delayCap_;
    if (arrivalUs - delayAt_[idx] > windowUs) {
      delayCount_ = k;  // older entries are outside the window
      break;
    }
    sortScratch_[n++] = delayRel_[idx];
  }
  if (n == 0) return;
  const int64_t lo = *std::min_element(sortScratch_, sortScratch_ + n);
  const size_t qi = static_cast<size_t>(cfg_.quantile * static_cast<double>(n - 1));
  std::nth_element(sortScratch_, sortScratch_ + qi, sortScratch_ + n);
  const int64_t spreadMs = (sortScratch_[qi] - lo) / 1000;
  delayScanValid_ = true;
  delayScanLo_ = lo;
  delayScanHi_ = sortScratch_[qi];
  // Packets of ptime P consumed in frames of F: right after a pop the buffer may hold as little as
  // P + F - gcd(P, F) minus one frame, so that much must be buffered even without any jitter.
  uint32_t a = packetMs_, b = cfg_.frameMs;
  while (b != 0) {
    const uint32_t r = a % b;
    a = b;
    b = r;
  }
  const int64_t packetisation = static_cast<int64_t>(packetMs_) + cfg_.frameMs - (a == 0 ? cfg_.frameMs : a);
  const int64_t t = spreadMs + packetisation;
  targetMs_ = static_cast<uint32_t>(std::min<int64_t>(std::max<int64_t>(t, cfg_.minDelayMs), cfg_.maxDelayMs));
}

PushResult JitterBuffer::push(uint16_t seq, uint32_t ts, uint32_t ssrc, bool marker, uint64_t arrivalUs,
                              const uint8_t* payload, size_t len) {
  if (len > cfg_.maxPayload || payload == nullptr || decoder_ == nullptr) return PushResult::TooLarge;
  if (haveStream_ && ssrc != lastSsrc_) {
    // RFC 3550 §8.2: a new SSRC is a new source — its sequence and timestamp spaces are unrelated.
    resetStream();
    stats_.resets++;
  }
  const uint32_t units = unitsOf(decoder_->samplesInPacket(payload, len));
  const uint32_t jumpUnits = (cfg_.maxDelayMs + kJumpMs) * (cfg_.rtpClock / 1000);
  if (haveStream_) {
    const int32_t d = tsDiff(ts, playTs_);
    if (d > static_cast<int32_t>(jumpUnits) || d < -static_cast<int32_t>(jumpUnits)) {
      // Timestamp jump (sender restarted its clock, or a long DTX pause while we were Playing).
      const bool silentGap = state_ == JitterState::Buffering && bufferedCount() == 0 && d > 0;
      if (!silentGap) {
        resetStream();
        stats_.resets++;
      }
    }
  }
  if (haveStream_ && tsDiff(ts + units, playTs_) <= 0 && seqDiff(seq, highestSeq_) > 0 &&
      seqDiff(seq, highestSeq_) < 100) {
    // The NEXT sequence number carrying an already-played timestamp: a packet cannot be late before any
    // later one arrived, so the sender's clock stepped back (new timestamp offset). Resync instead of
    // discarding everything until the timestamps catch up.
    resetStream();
    stats_.resets++;
  }
  if (!haveStream_) {
    haveStream_ = true;
    lastSsrc_ = ssrc;
    highestSeq_ = seq;
    firstTs_ = ts;
    firstArrivalUs_ = arrivalUs;
    highestTsEnd_ = ts + units;
    anchor(ts);
  } else if (seenSeq(seq)) {
    stats_.duplicates++;
    return PushResult::Duplicate;
  }
  if (state_ == JitterState::Buffering && bufferedCount() == 0 && decodedLen_ == decodedPos_ &&
      tsDiff(ts, playTs_) >= 0) {
    anchor(ts);  // first packet of a (new) talkspurt: playout starts here once the target is buffered
  } else if (state_ == JitterState::Buffering && decodedLen_ == decodedPos_ && tsDiff(ts, playTs_) < 0 &&
             !havePlayedSeq_) {
    anchor(ts);  // reordered packet before anything was played: start from the earlier one
  } else if (tsDiff(ts + units, playTs_) <= 0) {
    markSeq(seq);
    stats_.lateLosses++;  // its playout time has passed (it was concealed)
    return PushResult::Late;
  }
  int idx = freeSlot();
  if (idx < 0) {
    // Full: drop the oldest buffered packet (newest audio is worth more to a live call).
    int oldest = -1;
    for (size_t i = 0; i < cfg_.capacity; i++) {
      if (oldest < 0 || tsDiff(slots_[i].ts, slots_[oldest].ts) < 0) oldest = static_cast<int>(i);
    }
    slots_[oldest].used = false;
    stats_.overflows++;
    idx = oldest;
  }
  Slot& s = slots_[idx];
  s.used = true;
  s.marker = marker;
  s.seq = seq;
  s.ts = ts;
  s.units = units;
  s.len = len;
  std::memcpy(s.data, payload, len);
  markSeq(seq);
  if (seqDiff(seq, highestSeq_) < 0) stats_.reorders++;
  else highestSeq_ = seq;
  if (tsDiff(ts + units, highestTsEnd_) > 0) highestTsEnd_ = ts + units;
  stats_.pushed++;
  if (units > 0) packetMs_ = units * 1000 / cfg_.rtpClock;
  updateDelayStats(ts, arrivalUs);
  return PushResult::Accepted;
}

void JitterBuffer::conceal(int16_t* out, size_t n, bool* concealed, bool* silent) {
  const size_t maxConceal = static_cast<size_t>(cfg_.maxConcealMs) * (kInternalRate / 1000);
  if (concealedRun_ < maxConceal) {
    // The codec's own PLC where it has one (Opus: it extrapolates from its decoder state, far better than
    // a waveform repeat), else spandsp's.
    if (!decoder_->conceal(out, n)) plc_fillin(static_cast<plc_state_t*>(plc_), out, static_cast<int>(n));
    stats_.concealedSamples += n;
    *concealed = true;
  } else {
    std::memset(out, 0, n * sizeof(int16_t));
    *silent = true;
  }
  concealedRun_ += n;
}

// Produces one frame at playTs_: staged decoded audio first, then packets decoded on demand; a gap before
// a later packet is concealed and skipped (loss); an empty buffer is concealed WITHOUT advancing the
// playout point (underflow: stretching keeps later packets from all becoming late).
void JitterBuffer::fillFrame(int16_t* out, bool* real, bool* concealed, bool* silent) {
  size_t got = 0;
  while (got < frameSamples_) {
    const size_t staged = decodedLen_ - decodedPos_;
    if (staged > 0) {
      const size_t n = std::min(staged, frameSamples_ - got);
      std::memcpy(out + got, decoded_ + decodedPos_, n * sizeof(int16_t));
      decodedPos_ += n;
      got += n;
      playTs_ += unitsOf(n);
      *real = true;
      concealedRun_ = 0;
      inUnderflow_ = false;
      continue;
    }
    const int idx = findCovering(playTs_);
    if (idx >= 0) {
      Slot& s = slots_[idx];
      s.used = false;
      if (havePlayedSeq_ && seqDiff(s.seq, lastPlayedSeq_) > 1) stats_.lost += seqDiff(s.seq, lastPlayedSeq_) - 1;
      if (!havePlayedSeq_ || seqDiff(s.seq, lastPlayedSeq_) > 0) lastPlayedSeq_ = s.seq;
      havePlayedSeq_ = true;
      const int n = decoder_->decode(s.data, s.len, decoded_, decodedCap_);
      const size_t skip = samplesOf(static_cast<uint32_t>(tsDiff(playTs_, s.ts)));
      if (n <= 0 || static_cast<size_t>(n) <= skip) {
        stats_.decodeErrors += n <= 0 ? 1 : 0;
        // Undecodable: conceal its duration so the timeline stays right.
        const size_t dur = std::min<size_t>(samplesOf(s.units - unitsOf(skip)), frameSamples_ - got);
        conceal(out + got, dur, concealed, silent);
        got += dur;
        playTs_ += unitsOf(dur);
        continue;
      }
      plc_rx(static_cast<plc_state_t*>(plc_), decoded_, n);  // PLC learns from real audio only
      decodedLen_ = static_cast<size_t>(n);
      decodedPos_ = skip;
      stats_.played++;
      continue;
    }
    const int next = earliestAfter(playTs_);
    if (next >= 0) {
      // Missing timestamps before a buffered packet: a loss (it may still arrive — then it is late).
      // While the buffer holds less than the target delay the missing packet may still arrive in time:
      // stretch (conceal without advancing) instead of giving it up — this is also how the level grows to
      // a target that was raised by the jitter estimate.
      const size_t gap = samplesOf(static_cast<uint32_t>(tsDiff(slots_[next].ts, playTs_)));
      const size_t n = std::min(gap, frameSamples_ - got);
      const bool advance = levelMs() >= targetMs_;
      // Given up for good and exactly one packet long: the next packet's in-band FEC (Opus LBRR) carries a
      // coarse copy of it.
      const Slot& nx = slots_[next];
      if (advance && n == gap && gap == decoder_->samplesInPacket(nx.data, nx.len) &&
          decoder_->decodeFec(nx.data, nx.len, out + got, n)) {
        stats_.fecFrames++;
        *concealed = true;
        concealedRun_ = 0;
      } else {
        conceal(out + got, n, concealed, silent);
      }
      got += n;
      if (!advance) {
        stats_.insertedFrames += n == frameSamples_ ? 1 : 0;
      } else {
        playTs_ += unitsOf(n);
      }
      continue;
    }
    // Nothing buffered: underflow.
    if (!inUnderflow_) stats_.underflows++;
    inUnderflow_ = true;
    conceal(out + got, frameSamples_ - got, concealed, silent);
    got = frameSamples_;
  }
}

void JitterBuffer::dropFrame() {
  // Skip one frame of media time; partly consumed packets are decoded from the right offset later.
  const size_t staged = decodedLen_ - decodedPos_;
  const size_t n = std::min(staged, frameSamples_);
  decodedPos_ += n;
  if (decodedPos_ == decodedLen_) decodedLen_ = decodedPos_ = 0;
  playTs_ += frameUnits_;
  stats_.droppedFrames++;
}

PopResult JitterBuffer::pop(uint64_t nowUs, int16_t* out, size_t cap) {
  (void)nowUs;  // playout is paced by the caller's 20 ms clock; kept for symmetric tracing
  PopResult r;
  if (out == nullptr || cap < frameSamples_) return r;
  r.samples = frameSamples_;
  if (!haveStream_ || decoder_ == nullptr) {
    std::memset(out, 0, frameSamples_ * sizeof(int16_t));
    return r;
  }
  const uint32_t level = levelMs();
  if (state_ == JitterState::Buffering) {
    if (bufferedCount() > 0 && level >= targetMs_) {
      state_ = JitterState::Playing;  // enough audio buffered for the measured jitter
      concealedRun_ = 0;
      inUnderflow_ = false;
    } else {
      std::memset(out, 0, frameSamples_ * sizeof(int16_t));
      return r;
    }
  } else {
    if (level > cfg_.maxDelayMs + cfg_.frameMs) {
      // Overflow (sender burst or a fast clock far beyond the bound): cut back to the target now.
      stats_.overflows++;
      while (levelMs() > targetMs_ + cfg_.frameMs) dropFrame();
    }
    // Talkspurt start after a DTX gap (marker bit, RFC 3551 §4.1): the silence is the place to adapt.
    if (decodedLen_ == decodedPos_ && findCovering(playTs_) < 0) {
      const int next = earliestAfter(playTs_);
      if (next >= 0 && slots_[next].marker) {
        const uint32_t targetUnits = targetMs_ * cfg_.rtpClock / 1000;
        const uint32_t want = highestTsEnd_ - targetUnits;  // playout point giving exactly the target
        if (tsDiff(want, playTs_) > 0) {
          playTs_ = tsDiff(want, slots_[next].ts) < 0 ? want : slots_[next].ts;  // shorten the silence
        } else if (level + cfg_.frameMs <= targetMs_) {
          // Lengthen the silence: hold the playout point for one frame.
          bool c = false, s = false;
          conceal(out, frameSamples_, &c, &s);
          concealedRun_ = 0;  // a deliberate insert, not a loss run
          stats_.insertedFrames++;
          r.kind = FrameKind::Concealed;
          lastFrameQuiet_ = true;
          return r;
        }
      }
    }
  }
  // Clock drift: the level wanders away from the target when the sender's clock is faster (grows) or
  // slower (shrinks) than ours. Correct one frame at a time, preferably in a quiet frame.
  const uint32_t lvl = levelMs();
  driftHighFrames_ = lvl > targetMs_ + 2 * cfg_.frameMs ? driftHighFrames_ + 1 : 0;
  driftLowFrames_ = (lvl + cfg_.frameMs < targetMs_ && !inUnderflow_) ? driftLowFrames_ + 1 : 0;
  if (driftLowFrames_ >= kDriftFrames && (lastFrameQuiet_ || driftLowFrames_ >= kDriftForce)) {
    bool c = false, s = false;
    conceal(out, frameSamples_, &c, &s);
    concealedRun_ = 0;  // an inserted frame is not a loss run
    stats_.insertedFrames++;
    driftLowFrames_ = 0;
    r.kind = FrameKind::Concealed;
    return r;
  }
  bool real = false, concealed = false, silent = false;
  fillFrame(out, &real, &concealed, &silent);
  if (driftHighFrames_ >= kDriftFrames && real && !concealed &&
      (isQuiet(out, frameSamples_) || driftHighFrames_ >= kDriftForce)) {
    stats_.droppedFrames++;  // this frame is discarded; play the next one
    driftHighFrames_ = 0;
    real = concealed = silent = false;
    fillFrame(out, &real, &concealed, &silent);
  }
  lastFrameQuiet_ = isQuiet(out, frameSamples_);
  const size_t maxConceal = static_cast<size_t>(cfg_.maxConcealMs) * (kInternalRate / 1000);
  if (inUnderflow_ && concealedRun_ >= maxConceal) {
    state_ = JitterState::Buffering;  // a long outage: rebuild the target delay before playing again
  }
  r.kind = concealed ? FrameKind::Concealed : (real ? FrameKind::Audio : FrameKind::Empty);
  return r;
}

}  // namespace tg
