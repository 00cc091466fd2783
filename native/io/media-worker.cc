#include "io/media-worker.h"

#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace tg::io {

namespace {
constexpr int kMaxEpollEvents = 1024;
constexpr uintptr_t kRtcpBit = 1;  // Leg objects are 8-aligned, so bit 0 of the pointer is free

void bump(std::atomic<uint64_t>* hist, int64_t ns) {
  size_t b = ns <= 0 ? 0 : static_cast<size_t>(ns / 100'000);
  if (b >= WorkerTiming::kBuckets) b = WorkerTiming::kBuckets - 1;
  hist[b].fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

MediaWorker::MediaWorker(int index, int64_t clockStartNs, WakeFn wake, std::atomic<bool>* wakePending,
                         int realtimePriority, bool paced)
    : index_(index),
      clockStartNs_(clockStartNs),
      realtimePriority_(realtimePriority),
      paced_(paced),
      wake_(std::move(wake)),
      wakePending_(wakePending) {
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  legs_.reserve(4096);
  conferences_.reserve(1024);
  pending_.reserve(256);
  running_.reserve(256);
  recv_.reset(new RecvSlot[kBatch]);
}

MediaWorker::~MediaWorker() {
  stop();
  if (epollFd_ >= 0) close(epollFd_);
}

void MediaWorker::start() { thread_ = std::thread([this] { run(); }); }

void MediaWorker::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  for (auto& c : conferences_) c->removeAll();
  conferences_.clear();
  for (auto& l : legs_) l->closeSockets();  // JS thread (the worker has joined)
  legs_.clear();
  legCount_.store(0);
  std::lock_guard<std::mutex> lock(commandMutex_);
  pending_.clear();
}

void MediaWorker::post(std::function<void(MediaWorker&)> fn) {
  std::lock_guard<std::mutex> lock(commandMutex_);
  pending_.push_back(std::move(fn));
}

void MediaWorker::runCommands() {
  {
    // Swap under the lock (O(1)); run outside it so JS never waits on a command's work.
    std::lock_guard<std::mutex> lock(commandMutex_);
    if (pending_.empty()) return;
    running_.swap(pending_);
  }
  for (auto& fn : running_) fn(*this);
  running_.clear();
}

void MediaWorker::epollCtl(int op, int fd, epoll_event* ev) {
  if (epoll_ctl(epollFd_, op, fd, ev) != 0) timing_.epollErrors.fetch_add(1, std::memory_order_relaxed);
}

void MediaWorker::attach(const std::shared_ptr<Leg>& leg) {
  const uintptr_t key = reinterpret_cast<uintptr_t>(leg.get());
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: a socket not fully drained this tick shows up next tick
  ev.data.u64 = key;
  if (leg->rtpFd() >= 0) epollCtl(EPOLL_CTL_ADD, leg->rtpFd(), &ev);
  if (leg->rtcpFd() >= 0) {
    ev.data.u64 = key | kRtcpBit;
    epollCtl(EPOLL_CTL_ADD, leg->rtcpFd(), &ev);
  }
  legs_.push_back(leg);
  legCount_.store(legs_.size(), std::memory_order_relaxed);
  // A leg created by createLeg was counted in assigned_; one moved here from another worker was not.
  if (leg->takeAssignment()) assigned_.fetch_sub(1, std::memory_order_relaxed);
}

void MediaWorker::detach(Leg* leg) {
  for (auto& l : legs_) {
    if (l.get() == leg) retire(l);
  }
  detachKeep(leg);
}

void MediaWorker::detachKeep(Leg* leg) {
  if (leg->rtpFd() >= 0) epollCtl(EPOLL_CTL_DEL, leg->rtpFd(), nullptr);
  if (leg->rtcpFd() >= 0) epollCtl(EPOLL_CTL_DEL, leg->rtcpFd(), nullptr);
  for (size_t i = 0; i < legs_.size(); ++i) {
    if (legs_[i].get() != leg) continue;
    legs_[i] = std::move(legs_.back());
    legs_.pop_back();
    break;
  }
  legCount_.store(legs_.size(), std::memory_order_relaxed);
}

void MediaWorker::addConference(const std::shared_ptr<Conference>& c) { conferences_.push_back(c); }

void MediaWorker::removeConference(Conference* c) {
  for (size_t i = 0; i < conferences_.size(); ++i) {
    if (conferences_[i].get() != c) continue;
    conferences_[i]->removeAll();
    retire(conferences_[i]);
    conferences_[i] = std::move(conferences_.back());
    conferences_.pop_back();
    return;
  }
}

void MediaWorker::retire(std::shared_ptr<void> obj) {
  std::lock_guard<std::mutex> lock(retireMutex_);
  retired_.push_back(std::move(obj));
}

void MediaWorker::releaseRetired() {
  std::vector<std::shared_ptr<void>> doomed;
  {
    std::lock_guard<std::mutex> lock(retireMutex_);
    doomed.swap(retired_);
  }
}

void MediaWorker::drainSocket(Leg* leg, bool rtcp, TickContext& ctx, int64_t realMinusMonoNs) {
  const int fd = rtcp ? leg->rtcpFd() : leg->rtpFd();
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  int budget = kReceiveBudgetPerSocket;
  for (;;) {
    if (budget <= 0) {
      timing_.receiveBudgetHits.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    for (int i = 0; i < kBatch; ++i) {
      iov[i].iov_base = recv_[i].buf;
      iov[i].iov_len = Leg::kMaxPacket;
      msgs[i].msg_hdr = msghdr{};
      msgs[i].msg_hdr.msg_name = &recv_[i].from;
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = recv_[i].control;
      msgs[i].msg_hdr.msg_controllen = sizeof(recv_[i].control);
    }
    const int n = recvmmsg(fd, msgs, static_cast<unsigned>(std::min(kBatch, budget)), MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    budget -= n;
    for (int i = 0; i < n; ++i) {
      uint64_t arrivalUs = ctx.nowUs;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
          const int64_t real = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
          const int64_t mono = real - realMinusMonoNs;
          if (mono > 0 && mono <= ctx.nowNs) arrivalUs = static_cast<uint64_t>(mono / 1000);
        }
      }
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;  // larger than any RTP we accept
      leg->onDatagram(rtcp, recv_[i].buf, msgs[i].msg_len, recv_[i].from, arrivalUs, ctx);
    }
    if (n < std::min(kBatch, budget + n)) return;  // drained (fewer than asked for)
  }
}

void MediaWorker::receiveAll(TickContext& ctx) {
  epoll_event events[kMaxEpollEvents];
  const int64_t realMinusMono = realtimeNs() - ctx.nowNs;
  for (;;) {
    const int n = epoll_wait(epollFd_, events, kMaxEpollEvents, 0);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      const uintptr_t key = static_cast<uintptr_t>(events[i].data.u64);
      drainSocket(reinterpret_cast<Leg*>(key & ~kRtcpBit), (key & kRtcpBit) != 0, ctx, realMinusMono);
    }
    if (n < kMaxEpollEvents) return;
  }
}

void MediaWorker::run() {
  if (realtimePriority_ > 0) {
    // A media thread preempted by a compiler or a log shipper sends late packets; SCHED_FIFO keeps
    // the 20 ms cadence on a busy host. It sleeps every tick, and the kernel's RT throttling
    // (sched_rt_runtime_us) still bounds it if a tick ever overruns.
    sched_param sp{};
    sp.sched_priority = realtimePriority_;
    realtime_.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0);
  }
  MediaClock clock(clockStartNs_);
  TickContext ctx;
  ctx.events = &events_;
  while (!stop_.load(std::memory_order_relaxed)) {
    clock.waitNext();
    const int64_t start = monotonicNs();
    timing_.ticks.fetch_add(1, std::memory_order_relaxed);
    timing_.skippedTicks.store(clock.skippedTicks(), std::memory_order_relaxed);
    const int64_t late = clock.lateNs();
    bump(timing_.lateHist, late);
    if (late > 0 && static_cast<uint64_t>(late) > timing_.maxLateNs.load(std::memory_order_relaxed)) {
      timing_.maxLateNs.store(static_cast<uint64_t>(late), std::memory_order_relaxed);
    }
    ctx.nowNs = start;
    ctx.nowUs = static_cast<uint64_t>(start / 1000);
    ctx.nowUnixUs = static_cast<uint64_t>(realtimeNs() / 1000);
    ctx.producedForJs = false;
    // Paced: last tick's packets leave first, at a near-constant offset from the deadline.
    if (paced_) {
      bump(timing_.sendStartHist, monotonicNs() - clock.deadlineNs());
      for (auto& leg : legs_) leg->flush(ctx);
    }
    runCommands();
    receiveAll(ctx);
    for (auto& leg : legs_) {
      leg->checkTimeout(ctx);
      leg->produce(ctx);
    }
    for (auto& conf : conferences_) conf->mix(ctx);
    if (!paced_) bump(timing_.sendStartHist, monotonicNs() - clock.deadlineNs());
    for (auto& leg : legs_) {
      leg->send(ctx);
      leg->maybeSendRtcp(ctx);
      if (!paced_) leg->flush(ctx);
    }
    if (!events_.empty()) ctx.producedForJs = true;
    {
      std::lock_guard<std::mutex> lock(retireMutex_);
      if (!retired_.empty()) ctx.producedForJs = true;
    }
    // At most one outstanding wake: JS clears the flag before draining, so nothing is missed.
    if (ctx.producedForJs && !wakePending_->exchange(true, std::memory_order_acq_rel) && !wake_()) {
      // Not queued: nobody will clear the flag, so clear it here or JS would never be woken again.
      wakePending_->store(false, std::memory_order_release);
      timing_.failedWakes.fetch_add(1, std::memory_order_relaxed);
    }
    const int64_t busy = monotonicNs() - start;
    timing_.busyNs.fetch_add(static_cast<uint64_t>(busy), std::memory_order_relaxed);
    bump(timing_.busyHist, busy);
  }
}

}  // namespace tg::io
