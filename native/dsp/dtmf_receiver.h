// RFC 4733 telephone-event receiver: reports each digit ONCE, with its duration, when it ends.
// - an event is identified by its RTP timestamp (§2.5.2.2): a new timestamp = a new event, even when the
//   marker bit of the first packet was lost;
// - the end packet is retransmitted (usually 3x, same seq, §2.5.1.4): repeats are ignored;
// - if every end packet is lost, the event ends on the next event's first packet or after a timeout
//   with no update (tick()).
// No allocation; reported digits wait in a small fixed queue that the media thread drains.
#pragma once
#include <cstddef>
#include <cstdint>

#include "rtp/telephone_event.h"

namespace tg {

struct DtmfDigitEvent {
  char digit = '?';
  uint8_t event = 0;
  uint32_t rtpTimestamp = 0;   // event start (RTP timestamp of its packets)
  uint32_t durationUnits = 0;  // in RTP clock units (final duration)
  uint32_t durationMs = 0;
  uint8_t volume = 0;
  bool endSeen = false;        // false if it ended by timeout / by the next event (end packets lost)
};

class DtmfReceiver {
 public:
  explicit DtmfReceiver(uint32_t eventClock = 8000, uint32_t timeoutMs = 1000);
  // Feed one telephone-event RTP packet (header fields + payload). Returns true if a digit completed
  // (it is queued; fetch it with poll()).
  bool onPacket(uint16_t seq, uint32_t ts, bool marker, const uint8_t* payload, size_t len, uint64_t arrivalUs);
  // Ends an event that got no packet for timeoutMs (all end packets lost). Returns true if one completed.
  bool tick(uint64_t nowUs);
  bool poll(DtmfDigitEvent* out);
  size_t pending() const { return count_; }
  void reset();
  uint64_t ignoredRepeats() const { return ignoredRepeats_; }

 private:
  void complete(bool endSeen);
  void enqueue(const DtmfDigitEvent& e);
  uint32_t clock_;
  uint32_t timeoutMs_;
  bool active_ = false;        // an event is in progress (start seen, end not yet)
  bool haveLast_ = false;      // lastTs_ valid (an event was seen; its end may have been reported)
  uint32_t lastTs_ = 0;
  uint16_t lastSeq_ = 0;
  bool lastEnded_ = false;
  DtmfDigitEvent cur_;
  uint64_t lastArrivalUs_ = 0;
  static constexpr size_t kQueue = 32;
  DtmfDigitEvent queue_[kQueue];
  size_t head_ = 0, count_ = 0;
  uint64_t ignoredRepeats_ = 0;
};

}  // namespace tg
