// One media thread: owns an epoll set with its legs' RTP/RTCP sockets and a 20 ms clock. It wakes
// once per tick (never per packet): runs queued commands, asks epoll which sockets have data
// (timeout 0), drains them with recvmmsg, produces every leg's frame, mixes its conferences, sends
// every leg's packet. JS is told about new frames/events through one wake callback, at most once
// per tick and only if JS has consumed the previous wake (so the JS-side queue is bounded at 1).
#pragma once
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "io/conference.h"
#include "io/leg.h"
#include "io/media-clock.h"
#include "io/media-event.h"

namespace tg::io {

struct WorkerTiming {
  static constexpr size_t kBuckets = 200;      // 100 us each: 0..20 ms
  std::atomic<uint64_t> ticks{0};
  std::atomic<uint64_t> skippedTicks{0};
  std::atomic<uint64_t> busyNs{0};             // time spent working inside ticks
  std::atomic<uint64_t> maxLateNs{0};
  std::atomic<uint64_t> lateHist[kBuckets] = {};  // wake-up lateness; last bucket = >= 19.9 ms
  std::atomic<uint64_t> busyHist[kBuckets] = {};  // tick work duration
  std::atomic<uint64_t> sendStartHist[kBuckets] = {};  // deadline -> start of the send phase
  std::atomic<uint64_t> failedWakes{0};        // the wake callback could not be queued (retried next tick)
  std::atomic<uint64_t> epollErrors{0};        // epoll_ctl failures (a leg's socket not watched / not removed)
  std::atomic<uint64_t> receiveBudgetHits{0};  // sockets left with data at the per-tick receive budget
};

class MediaWorker {
 public:
  // Returns false when the wake could not be queued (the JS side is closing or its queue is full): the
  // worker then clears the pending flag, so a later tick wakes JS again instead of never.
  using WakeFn = std::function<bool()>;
  // Datagrams one socket may deliver per tick: a flood on one leg (or an attacker) leaves the rest in
  // its socket (level-triggered epoll: next tick; the kernel drops the excess) instead of eating every
  // other leg's tick. 20 ms of 10 ms packets is 2; 64 leaves room for a burst after a long stall.
  static constexpr int kReceiveBudgetPerSocket = 64;
  MediaWorker(int index, int64_t clockStartNs, WakeFn wake, std::atomic<bool>* wakePending, int realtimePriority = 0,
              bool paced = true);
  ~MediaWorker();
  MediaWorker(const MediaWorker&) = delete;
  MediaWorker& operator=(const MediaWorker&) = delete;

  void start();
  void stop();  // joins the thread; pending commands are dropped (their captures released on this thread)
  // Any thread: run fn on this worker at its next tick (FIFO).
  void post(std::function<void(MediaWorker&)> fn);

  // ---- worker thread ----
  void attach(const std::shared_ptr<Leg>& leg);
  void detach(Leg* leg);      // also hands the leg to retire() so JS releases it
  void detachKeep(Leg* leg);  // stop running it here (it moves to another worker)
  void addConference(const std::shared_ptr<Conference>& c);
  void removeConference(Conference* c);
  void retire(std::shared_ptr<void> obj);  // freed on the JS thread (no free() on the media thread)

  // ---- JS thread ----
  EventRing& events() { return events_; }
  void releaseRetired();
  int index() const { return index_; }
  // Legs running here plus legs assigned but not yet attached (createLeg counts a leg at once, so a burst
  // of createLeg calls in one JS turn spreads over the workers).
  size_t legCount() const {
    return legCount_.load(std::memory_order_relaxed) + assigned_.load(std::memory_order_relaxed);
  }
  void noteAssigned() { assigned_.fetch_add(1, std::memory_order_relaxed); }
  const WorkerTiming& timing() const { return timing_; }
  // Whether the SCHED_FIFO request succeeded (false if not asked for or not permitted).
  bool realtime() const { return realtime_.load(std::memory_order_relaxed); }

 private:
  void run();
  void runCommands();
  void receiveAll(TickContext& ctx);
  void drainSocket(Leg* leg, bool rtcp, TickContext& ctx, int64_t realMinusMonoNs);
  void epollCtl(int op, int fd, epoll_event* ev);

  const int index_;
  const int64_t clockStartNs_;
  const int realtimePriority_;
  const bool paced_;
  std::atomic<bool> realtime_{false};
  WakeFn wake_;
  std::atomic<bool>* wakePending_;
  int epollFd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  std::mutex commandMutex_;
  std::vector<std::function<void(MediaWorker&)>> pending_;
  std::vector<std::function<void(MediaWorker&)>> running_;

  std::vector<std::shared_ptr<Leg>> legs_;
  std::vector<std::shared_ptr<Conference>> conferences_;
  std::atomic<size_t> legCount_{0};
  std::atomic<size_t> assigned_{0};  // counted by noteAssigned (JS thread), handed over by attach
  EventRing events_{4096};
  std::mutex retireMutex_;
  std::vector<std::shared_ptr<void>> retired_;
  WorkerTiming timing_;

  // recvmmsg batch (worker thread only; allocated once)
  static constexpr int kBatch = 16;
  struct RecvSlot {
    uint8_t buf[Leg::kMaxPacket + 64];
    sockaddr_storage from;
    alignas(8) uint8_t control[64];
  };
  std::unique_ptr<RecvSlot[]> recv_;
};

}  // namespace tg::io
