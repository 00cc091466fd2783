// In-band DTMF detection on decoded 16 kHz audio through spandsp's dtmf_rx (which works at 8 kHz, so the
// input is decimated with our anti-aliasing Resampler first). Start/stop come from spandsp's realtime
// callback, so each digit is reported once with its measured duration.
#pragma once
#include <cstddef>
#include <cstdint>

#include "dsp/resampler.h"

struct dtmf_rx_state_s;

namespace tg {

struct DetectedDigit {
  char digit = '?';
  uint64_t startSample = 0;    // at 8 kHz, from the first sample fed since construction/reset
  uint32_t durationMs = 0;
};

class DtmfDetector {
 public:
  DtmfDetector();
  ~DtmfDetector();
  DtmfDetector(const DtmfDetector&) = delete;
  DtmfDetector& operator=(const DtmfDetector&) = delete;
  // n may be any size; processed in internal chunks (no allocation).
  void process(const int16_t* pcm16k, size_t n);
  bool poll(DetectedDigit* out);
  void reset();

 private:
  static void onTone(void* user, int code, int level, int delay);
  dtmf_rx_state_s* rx_ = nullptr;
  Resampler down_{Resampler::Direction::Down16kTo8k};
  uint64_t samples8k_ = 0;
  uint64_t chunkStart_ = 0;
  char curDigit_ = 0;
  uint64_t curStart_ = 0;
  static constexpr size_t kQueue = 64;
  DetectedDigit queue_[kQueue];
  size_t head_ = 0, count_ = 0;
};

}  // namespace tg
