#include "dsp/dtmf_detector.h"

#include <spandsp.h>

namespace tg {

namespace {
void ignoreDigits(void*, const char*, int) {}  // digits are taken from the realtime callback instead
constexpr size_t kChunk16k = 320;               // 20 ms
}  // namespace

DtmfDetector::DtmfDetector() {
  rx_ = dtmf_rx_init(nullptr, ignoreDigits, nullptr);
  if (rx_ != nullptr) dtmf_rx_set_realtime_callback(rx_, &DtmfDetector::onTone, this);
}

DtmfDetector::~DtmfDetector() {
  if (rx_ != nullptr) dtmf_rx_free(rx_);
}

void DtmfDetector::reset() {
  if (rx_ != nullptr) {
    dtmf_rx_init(rx_, ignoreDigits, nullptr);
    dtmf_rx_set_realtime_callback(rx_, &DtmfDetector::onTone, this);
  }
  down_.reset();
  samples8k_ = 0;
  curDigit_ = 0;
  head_ = count_ = 0;
}

// spandsp calls this with the digit when a tone pair is confirmed and with 0 when it stops.
void DtmfDetector::onTone(void* user, int code, int level, int delay) {
  (void)level;
  (void)delay;
  DtmfDetector* self = static_cast<DtmfDetector*>(user);
  if (code != 0) {
    self->curDigit_ = static_cast<char>(code);
    self->curStart_ = self->chunkStart_;
    return;
  }
  if (self->curDigit_ == 0) return;
  DetectedDigit d;
  d.digit = self->curDigit_;
  d.startSample = self->curStart_;
  d.durationMs = static_cast<uint32_t>((self->chunkStart_ - self->curStart_) / 8);
  self->curDigit_ = 0;
  if (self->count_ == kQueue) {
    self->head_ = (self->head_ + 1) % kQueue;
    self->count_--;
  }
  self->queue_[(self->head_ + self->count_) % kQueue] = d;
  self->count_++;
}

void DtmfDetector::process(const int16_t* pcm16k, size_t n) {
  if (rx_ == nullptr) return;
  int16_t pcm8[kChunk16k / 2 + 1];
  for (size_t off = 0; off < n; off += kChunk16k) {
    const size_t m = n - off < kChunk16k ? n - off : kChunk16k;
    const int w = down_.process(pcm16k + off, m, pcm8, sizeof(pcm8) / sizeof(pcm8[0]));
    if (w <= 0) continue;
    chunkStart_ = samples8k_;  // callbacks in this chunk are stamped with its start (±20 ms resolution)
    dtmf_rx(rx_, pcm8, w);
    samples8k_ += static_cast<uint64_t>(w);
  }
}

bool DtmfDetector::poll(DetectedDigit* out) {
  if (count_ == 0) return false;
  *out = queue_[head_];
  head_ = (head_ + 1) % kQueue;
  count_--;
  return true;
}

}  // namespace tg
