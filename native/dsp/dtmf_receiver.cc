#include "dsp/dtmf_receiver.h"

namespace tg {

DtmfReceiver::DtmfReceiver(uint32_t eventClock, uint32_t timeoutMs)
    : clock_(eventClock == 0 ? 8000 : eventClock), timeoutMs_(timeoutMs) {}

void DtmfReceiver::reset() {
  active_ = haveLast_ = lastEnded_ = false;
  head_ = count_ = 0;
}

void DtmfReceiver::enqueue(const DtmfDigitEvent& e) {
  if (count_ == kQueue) {  // full: the media thread is not draining; drop the oldest, never block
    head_ = (head_ + 1) % kQueue;
    count_--;
  }
  queue_[(head_ + count_) % kQueue] = e;
  count_++;
}

bool DtmfReceiver::poll(DtmfDigitEvent* out) {
  if (count_ == 0) return false;
  *out = queue_[head_];
  head_ = (head_ + 1) % kQueue;
  count_--;
  return true;
}

void DtmfReceiver::complete(bool endSeen) {
  cur_.endSeen = endSeen;
  cur_.durationMs = static_cast<uint32_t>(static_cast<uint64_t>(cur_.durationUnits) * 1000 / clock_);
  enqueue(cur_);
  active_ = false;
  lastEnded_ = true;
}

bool DtmfReceiver::onPacket(uint16_t seq, uint32_t ts, bool marker, const uint8_t* payload, size_t len,
                            uint64_t arrivalUs) {
  (void)marker;  // §2.5.2.2 identifies events by timestamp; a lost marker packet must not lose the digit
  TelephoneEvent ev;
  if (!parseTelephoneEvent(payload, len, &ev)) return false;
  bool completed = false;
  if (haveLast_ && ts == lastTs_) {
    lastArrivalUs_ = arrivalUs;
    if (lastEnded_) {
      ignoredRepeats_++;  // retransmitted end packet (§2.5.1.4) or a late update of a finished event
      return false;
    }
    if (ev.duration > cur_.durationUnits) cur_.durationUnits = ev.duration;
    lastSeq_ = seq;
    if (ev.end) {
      complete(true);
      completed = true;
    }
    return completed;
  }
  if (haveLast_ && static_cast<int32_t>(ts - lastTs_) < 0) {
    ignoredRepeats_++;  // a packet of an older event arriving out of order
    return false;
  }
  // New timestamp = new event (§2.5.2.2), marker bit or not. Close the previous one if its end was lost.
  if (active_) {
    complete(false);
    completed = true;
  }
  cur_ = DtmfDigitEvent();
  cur_.event = ev.event;
  cur_.digit = dtmfEventToChar(ev.event);
  cur_.rtpTimestamp = ts;
  cur_.durationUnits = ev.duration;
  cur_.volume = ev.volume;
  active_ = true;
  haveLast_ = true;
  lastEnded_ = false;
  lastTs_ = ts;
  lastSeq_ = seq;
  lastArrivalUs_ = arrivalUs;
  if (ev.end) {  // only end packets made it: still one digit
    complete(true);
    completed = true;
  }
  return completed;
}

bool DtmfReceiver::tick(uint64_t nowUs) {
  if (!active_ || nowUs < lastArrivalUs_) return false;
  if (nowUs - lastArrivalUs_ < static_cast<uint64_t>(timeoutMs_) * 1000) return false;
  complete(false);  // every end packet was lost
  return true;
}

}  // namespace tg
