// The media engine: N worker threads (default: one per core), the port allocator, and the
// routing of JS commands to the worker that owns a leg or conference. Created and driven from the
// JS thread by the binding; it knows nothing about N-API (the wake callback is a plain function).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/conference.h"
#include "io/engine-port.h"
#include "io/leg.h"
#include "io/media-worker.h"
#include "io/port-allocator.h"

namespace tg::io {

struct EngineConfig {
  uint16_t minPort = 10000;
  uint16_t maxPort = 20000;
  std::string bindAddress = "0.0.0.0";
  std::string advertiseAddress;  // address put in SDP (NAT); defaults to bindAddress
  int threads = 0;               // 0: hardware concurrency
  int realtimePriority = 0;      // >0: SCHED_FIFO priority of the media threads (needs CAP_SYS_NICE)
  // Paced: packets built in a tick leave at the start of the next one, so their send time does not
  // move with the tick's workload (tight 20 ms intervals at high load; +1 frame of latency).
  // Low latency: they leave as soon as they are built.
  bool paced = true;
};

class MediaEngine {
 public:
  // wake returns false if it could not be queued (see MediaWorker::WakeFn).
  MediaEngine(const EngineConfig& cfg, std::function<bool()> wake);
  ~MediaEngine();
  void close();  // stops and joins the workers; idempotent

  const EngineConfig& config() const { return cfg_; }
  int threadCount() const { return static_cast<int>(workers_.size()); }
  PortAllocator& ports() { return ports_; }
  const PortAllocator& ports() const { return ports_; }

  // ---- JS thread ----
  std::shared_ptr<Leg> createLeg(const LegOptions& opts, std::string* error);
  // Runs fn on whichever worker owns the leg when the command gets there (legs move to their
  // conference's worker; a command arriving at the old owner is forwarded, FIFO preserved).
  void onLegThread(const std::shared_ptr<Leg>& leg, std::function<void(MediaWorker&)> fn);
  void closeLeg(const std::shared_ptr<Leg>& leg);

  std::shared_ptr<Conference> createConference(size_t capacity = Conference::kMaxParticipants);
  // Moves the leg to the conference's worker, then joins it. Completion is asynchronous.
  void conferenceAddLeg(const std::shared_ptr<Conference>& c, const std::shared_ptr<Leg>& leg, uint32_t whisperTo);
  void conferenceAddPort(const std::shared_ptr<Conference>& c, const std::shared_ptr<EnginePort>& port,
                         uint32_t whisperTo);
  void conferenceRemove(const std::shared_ptr<Conference>& c, uint32_t participantId);
  void closeConference(const std::shared_ptr<Conference>& c);
  std::shared_ptr<EnginePort> createPort(size_t frameQueueFrames);

  // Called by the binding on the JS thread when woken: clears the wake flag first (so a wake
  // raised while we drain is not lost), then pops events and frees retired objects.
  void beginDrain() { wakePending_.store(false, std::memory_order_release); }
  size_t popEvents(MediaEvent* out, size_t max);
  uint64_t droppedEvents() const;
  void releaseRetired();
  uint32_t nextId() { return nextId_++; }
  const MediaWorker& worker(int i) const { return *workers_[static_cast<size_t>(i)]; }

 private:
  int leastLoadedWorker() const;
  void postToLeg(const std::shared_ptr<Leg>& leg, int w, std::function<void(MediaWorker&)> fn);
  EngineConfig cfg_;
  PortAllocator ports_;
  std::atomic<bool> wakePending_{false};
  std::vector<std::unique_ptr<MediaWorker>> workers_;
  uint32_t nextId_ = 1;
  bool closed_ = false;
};

}  // namespace tg::io
