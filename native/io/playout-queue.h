// Audio JS wants sent on a leg (or into a conference), as 16 kHz PCM chunks of any size. The JS
// thread writes, the media thread reads exactly one 20 ms frame per tick, so playout is paced by
// the media clock, not by JS timers.
//
// clear() (barge-in) must not make the media thread wait: JS publishes "drop everything before
// position P" and the media thread applies it at its next tick, i.e. within one frame.
// mark(id) records the write position; the media thread reports the mark once the read position
// passes it (all audio queued before it has been sent) or a clear() flushed it.
#pragma once
#include <atomic>
#include <cstdint>

#include "io/spsc-ring.h"

namespace tg::io {

struct PlayoutMark {
  uint64_t position;
  uint64_t id;
};

class PlayoutQueue {
 public:
  // capacity in samples (16 kHz), rounded up to a power of two: the default 2^18 is 16.4 s, enough
  // for a long TTS answer queued at once; LegOptions::playoutQueueMs raises it.
  explicit PlayoutQueue(size_t capacitySamples = 1u << 18) : pcm_(capacitySamples), marks_(256) {}

  // --- JS thread ---
  // Returns samples accepted; the rest did not fit (the facade reports the overflow).
  // pcm: n native-endian 16-bit samples at any byte alignment.
  size_t write(const void* pcm, size_t n) {
    const size_t w = pcm_.writeBytes(pcm, n);
    if (w > 0) pendingAudio_.store(true, std::memory_order_release);
    return w;
  }
  bool mark(uint64_t id) {
    const PlayoutMark m{pcm_.headPosition(), id};
    return marks_.write(&m, 1) == 1;
  }
  void clear() { clearTo_.store(pcm_.headPosition(), std::memory_order_release); }
  size_t queuedSamples() const { return pcm_.size(); }

  // --- media thread ---
  // Fills a frame; returns samples of real audio taken (rest zero-filled). *flushed is set when a
  // clear() was applied this tick.
  size_t readFrame(int16_t* out, size_t n, bool* flushed) {
    *flushed = false;
    const uint64_t clearTo = clearTo_.load(std::memory_order_acquire);
    if (clearTo > appliedClear_) {
      appliedClear_ = clearTo;
      const uint64_t tail = pcm_.tailPosition();
      if (clearTo > tail) {
        *flushed = true;
        flushFrom_ = tail;  // marks in (flushFrom_, clearTo] were dropped, not played
      }
      pcm_.skipTo(clearTo);
    }
    const size_t got = pcm_.read(out, n);
    for (size_t i = got; i < n; ++i) out[i] = 0;
    return got;
  }
  // Pops the next mark whose position has been reached; flushedBy tells if it was dropped by clear.
  bool nextReachedMark(PlayoutMark* out, bool* flushed) {
    if (!havePeek_) {
      if (marks_.read(&peek_, 1) != 1) return false;
      havePeek_ = true;
    }
    if (peek_.position > pcm_.tailPosition()) return false;
    *out = peek_;
    *flushed = peek_.position <= appliedClear_ && peek_.position > flushFrom_;
    havePeek_ = false;
    return true;
  }
  bool takePendingAudio() { return pendingAudio_.exchange(false, std::memory_order_acq_rel); }

 private:
  SpscRing<int16_t> pcm_;
  SpscRing<PlayoutMark> marks_;
  std::atomic<uint64_t> clearTo_{0};
  std::atomic<bool> pendingAudio_{false};
  uint64_t appliedClear_ = 0;
  uint64_t flushFrom_ = 0;
  PlayoutMark peek_{};
  bool havePeek_ = false;
};

}  // namespace tg::io
