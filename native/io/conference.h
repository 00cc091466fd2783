// A conference (or a two-party bridge) mixed at 16 kHz with mix-minus by tg::Mixer. It runs on one
// worker thread, and every leg in it is moved to that worker, so a tick reads each leg's received
// frame, mixes, and hands each leg its output before the legs send: no cross-thread queues, no
// added latency beyond the jitter buffer. Legs with different codecs transcode for free (everyone
// meets at 16 kHz), which is how a bridge does G.722 <-> PCMU.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "dsp/mixer.h"
#include "io/engine-port.h"
#include "io/leg.h"

namespace tg::io {

class Conference {
 public:
  static constexpr size_t kMaxParticipants = 64;

  // capacity sizes the mixer: the mixer's per-tick work scales with it, so a two-party bridge
  // must not pay for 64 slots.
  Conference(uint32_t id, int worker, size_t capacity = kMaxParticipants);
  uint32_t id() const { return id_; }
  int worker() const { return worker_; }  // fixed at creation

  // ---- worker thread ----
  // whisperTo: participant id (leg or port id) that alone hears this one; 0 = everyone.
  bool addLeg(const std::shared_ptr<Leg>& leg, uint32_t whisperTo);
  bool addPort(const std::shared_ptr<EnginePort>& port, uint32_t whisperTo);
  bool remove(uint32_t participantId);
  void removeAll();
  void mix(TickContext& ctx);
  size_t size() const { return members_.size(); }

 private:
  struct Member {
    uint32_t participantId;
    std::shared_ptr<Leg> leg;
    std::shared_ptr<EnginePort> port;
    int mixerId;
    uint32_t whisperTo;
  };
  int mixerIdOf(uint32_t participantId) const;
  bool addMember(Member m);
  void resolveWhispers();

  const uint32_t id_;
  const int worker_;
  const size_t capacity_;
  Mixer mixer_;
  std::vector<Member> members_;
  int16_t scratch_[kFrameSamples] = {};
};

}  // namespace tg::io
