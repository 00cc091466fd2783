// Events a media thread raises for JS (DTMF, marks, timeouts...). Plain fixed-size records in a
// bounded SPSC ring per worker: the media thread never allocates or blocks to report something;
// a full ring drops the event and counts it.
#pragma once
#include <atomic>
#include <cstdint>

#include "io/spsc-ring.h"

namespace tg::io {

enum class MediaEventType : uint8_t {
  Dtmf = 0,         // digit received (RFC 4733 or in-band): digit, durationMs, source
  Mark = 1,         // playout reached a mark: value = mark id, flag = 1 if flushed by clear() not played
  Timeout = 2,      // RTP timeout: flag = 0 no packet since start, 1 media stopped after packets
  DtmfDone = 3,     // sendDtmf finished: value = request id
  PlayoutDone = 4,  // playout queue ran dry after audio was queued
};

enum DtmfSource : uint8_t { kDtmfRfc4733 = 0, kDtmfInband = 1 };

struct MediaEvent {
  uint32_t legId = 0;
  MediaEventType type = MediaEventType::Dtmf;
  char digit = 0;
  uint8_t flag = 0;  // DtmfSource for Dtmf; see MediaEventType for others
  uint32_t durationMs = 0;
  uint64_t value = 0;
};

class EventRing {
 public:
  explicit EventRing(size_t capacity) : ring_(capacity) {}
  // Producer (media thread). Returns false (and counts) when JS has fallen behind.
  bool push(const MediaEvent& ev) {
    if (ring_.write(&ev, 1) == 1) return true;
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  size_t pop(MediaEvent* out, size_t max) { return ring_.read(out, max); }
  bool empty() const { return ring_.size() == 0; }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  SpscRing<MediaEvent> ring_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace tg::io
