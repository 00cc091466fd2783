#include "io/media-engine.h"

#include <thread>

#include "io/media-clock.h"

namespace tg::io {

MediaEngine::MediaEngine(const EngineConfig& cfg, std::function<bool()> wake)
    : cfg_(cfg), ports_(cfg.minPort, cfg.maxPort, cfg.bindAddress) {
  if (cfg_.advertiseAddress.empty()) cfg_.advertiseAddress = cfg_.bindAddress;
  int n = cfg_.threads > 0 ? cfg_.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  // All workers share one tick grid, so conferences and bridges see the same frame timing.
  const int64_t start = monotonicNs();
  for (int i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<MediaWorker>(i, start, wake, &wakePending_, cfg_.realtimePriority, cfg_.paced));
  }
  for (auto& w : workers_) w->start();
}

MediaEngine::~MediaEngine() { close(); }

void MediaEngine::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& w : workers_) w->stop();
  releaseRetired();
}

int MediaEngine::leastLoadedWorker() const {
  int best = 0;
  for (size_t i = 1; i < workers_.size(); ++i) {
    if (workers_[i]->legCount() < workers_[static_cast<size_t>(best)]->legCount()) best = static_cast<int>(i);
  }
  return best;
}

std::shared_ptr<Leg> MediaEngine::createLeg(const LegOptions& opts, std::string* error) {
  if (closed_) {
    *error = "media engine is closed";
    return nullptr;
  }
  // Legs closed since the last wake hold their ports until JS releases them: do it now, so a port pair
  // closed a moment ago can be handed out again without waiting for the drain.
  releaseRetired();
  SocketPair pair;
  if (!ports_.allocate(opts.rtcpMux, &pair, error)) return nullptr;
  auto leg = std::make_shared<Leg>(nextId(), opts, pair, &ports_);
  const int w = leastLoadedWorker();
  leg->setOwner(w);
  // Count it now so a burst of createLeg calls in one JS turn spreads across workers before they attach.
  leg->markAssigned();
  workers_[static_cast<size_t>(w)]->post([leg](MediaWorker& self) { self.attach(leg); });
  workers_[static_cast<size_t>(w)]->noteAssigned();
  return leg;
}

void MediaEngine::onLegThread(const std::shared_ptr<Leg>& leg, std::function<void(MediaWorker&)> fn) {
  if (closed_) return;
  postToLeg(leg, leg->owner(), std::move(fn));
}

void MediaEngine::postToLeg(const std::shared_ptr<Leg>& leg, int w, std::function<void(MediaWorker&)> fn) {
  workers_[static_cast<size_t>(w)]->post([this, leg, w, fn = std::move(fn)](MediaWorker& self) mutable {
    const int owner = leg->owner();
    if (owner != w) {
      postToLeg(leg, owner, std::move(fn));  // the leg moved after this was queued: follow it
      return;
    }
    fn(self);
  });
}

void MediaEngine::closeLeg(const std::shared_ptr<Leg>& leg) {
  onLegThread(leg, [leg](MediaWorker& self) {
    if (leg->conference()) leg->conference()->remove(leg->id());
    // Retired: the last reference, and with it the sockets and the port pair, is released on the JS thread.
    self.detach(leg.get());
  });
}

std::shared_ptr<Conference> MediaEngine::createConference(size_t capacity) {
  const int w = leastLoadedWorker();
  auto c = std::make_shared<Conference>(nextId(), w, capacity);
  workers_[static_cast<size_t>(w)]->post([c](MediaWorker& self) { self.addConference(c); });
  return c;
}

void MediaEngine::conferenceAddLeg(const std::shared_ptr<Conference>& c, const std::shared_ptr<Leg>& leg,
                                   uint32_t whisperTo) {
  const int target = c->worker();
  onLegThread(leg, [this, c, leg, target, whisperTo](MediaWorker& self) {
    if (self.index() != target) {
      // Move the leg: detach here, publish the new owner only after the attach is queued there, so
      // any command that reads the new owner lands behind the attach.
      self.detachKeep(leg.get());
      workers_[static_cast<size_t>(target)]->post([leg, c, whisperTo](MediaWorker& t) {
        t.attach(leg);
        c->addLeg(leg, whisperTo);
      });
      leg->setOwner(target);
      return;
    }
    c->addLeg(leg, whisperTo);
  });
}

void MediaEngine::conferenceAddPort(const std::shared_ptr<Conference>& c, const std::shared_ptr<EnginePort>& port,
                                    uint32_t whisperTo) {
  workers_[static_cast<size_t>(c->worker())]->post([c, port, whisperTo](MediaWorker&) { c->addPort(port, whisperTo); });
}

void MediaEngine::conferenceRemove(const std::shared_ptr<Conference>& c, uint32_t participantId) {
  workers_[static_cast<size_t>(c->worker())]->post([c, participantId](MediaWorker&) { c->remove(participantId); });
}

void MediaEngine::closeConference(const std::shared_ptr<Conference>& c) {
  workers_[static_cast<size_t>(c->worker())]->post([c](MediaWorker& self) { self.removeConference(c.get()); });
}

std::shared_ptr<EnginePort> MediaEngine::createPort(size_t frameQueueFrames) {
  return std::make_shared<EnginePort>(nextId(), frameQueueFrames);
}

size_t MediaEngine::popEvents(MediaEvent* out, size_t max) {
  size_t n = 0;
  for (auto& w : workers_) n += w->events().pop(out + n, max - n);
  return n;
}

uint64_t MediaEngine::droppedEvents() const {
  uint64_t d = 0;
  for (auto& w : workers_) d += const_cast<MediaWorker&>(*w).events().dropped();
  return d;
}

void MediaEngine::releaseRetired() {
  for (auto& w : workers_) w->releaseRetired();
}

}  // namespace tg::io
