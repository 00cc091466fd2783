// The 20 ms media clock of one worker thread. Deadlines are absolute (CLOCK_MONOTONIC +
// clock_nanosleep(TIMER_ABSTIME)), computed as start + k * period, so a late wake-up never shifts
// later ticks: no drift accumulates however long the process runs.
#pragma once
#include <cstdint>
#include <ctime>

namespace tg::io {

int64_t monotonicNs();
// Wall clock (CLOCK_REALTIME): RTCP NTP timestamps and the kernel receive stamps are on it.
int64_t realtimeNs();

class MediaClock {
 public:
  static constexpr int64_t kPeriodNs = 20'000'000;  // 20 ms: one frame
  // If a tick is this far behind (a stalled thread), skip ahead instead of bursting frames out.
  static constexpr int kMaxCatchUpTicks = 5;

  explicit MediaClock(int64_t startNs) : startNs_(startNs) {}

  // Sleeps until the next tick's deadline. Returns false if stop was signalled while sleeping
  // is not possible here; the caller checks its own stop flag after each wait.
  void waitNext();
  uint64_t tick() const { return tick_; }
  int64_t deadlineNs() const { return startNs_ + static_cast<int64_t>(tick_) * kPeriodNs; }
  // Lateness of the current tick: wake-up time minus deadline.
  int64_t lateNs() const { return lateNs_; }
  uint64_t skippedTicks() const { return skipped_; }

 private:
  int64_t startNs_;
  uint64_t tick_ = 0;
  int64_t lateNs_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace tg::io
