#include "io/media-clock.h"

#include <cerrno>

namespace tg::io {

int64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t realtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void MediaClock::waitNext() {
  ++tick_;
  int64_t deadline = deadlineNs();
  int64_t now = monotonicNs();
  if (now - deadline > kMaxCatchUpTicks * kPeriodNs) {
    // Stalled (debugger, host overload): resynchronise to the grid rather than emit a burst.
    const uint64_t behind = static_cast<uint64_t>((now - deadline) / kPeriodNs);
    tick_ += behind;
    skipped_ += behind;
    deadline = deadlineNs();
  }
  if (now < deadline) {
    timespec ts{static_cast<time_t>(deadline / 1'000'000'000), static_cast<long>(deadline % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    now = monotonicNs();
  }
  lateNs_ = now - deadline;
}

}  // namespace tg::io
