// The engine port: JS as a conference participant (an AI agent, a recorder). What JS plays goes
// into the mix; what the mix gives this participant comes back to JS as 20 ms frames. It has no
// sockets, so it needs no worker of its own: its conference runs it.
#pragma once
#include <cstdint>

#include "io/frame-ring.h"
#include "io/playout-queue.h"

namespace tg::io {

struct EnginePort {
  EnginePort(uint32_t id_, size_t frameQueueFrames) : id(id_), out(frameQueueFrames) {}
  const uint32_t id;
  PlayoutQueue in;  // JS -> conference (any chunk size; clear/mark like a leg)
  FrameRing out;    // conference -> JS
  bool wasPlaying = false;
};

}  // namespace tg::io
