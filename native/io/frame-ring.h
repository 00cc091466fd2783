// 20 ms, 16 kHz frames travelling from a media thread to JS. Each frame carries a per-leg sequence
// number that also advances for frames dropped because the ring was full, so JS sees gaps instead
// of silently stretched audio. Bounded: a slow event loop costs frames (counted), never a blocked
// media thread (STYLE.md: "a full queue is drop and count").
#pragma once
#include <atomic>
#include <cstdint>

#include "io/spsc-ring.h"

namespace tg::io {

constexpr size_t kFrameSamples = 320;  // 20 ms at 16 kHz

struct FrameSlot {
  uint32_t seq;
  int16_t samples[kFrameSamples];
};

class FrameRing {
 public:
  explicit FrameRing(size_t frames) : ring_(frames) {}
  // Producer: media thread.
  void push(const int16_t* samples) {
    slot_.seq = nextSeq_++;
    std::memcpy(slot_.samples, samples, sizeof(slot_.samples));
    if (ring_.write(&slot_, 1) != 1) dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  // Consumer: JS thread.
  size_t pop(FrameSlot* out, size_t max) { return ring_.read(out, max); }
  size_t size() const { return ring_.size(); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint32_t produced() const { return nextSeq_; }

 private:
  SpscRing<FrameSlot> ring_;
  FrameSlot slot_{};  // staging copy so the producer writes one whole record
  uint32_t nextSeq_ = 0;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace tg::io
