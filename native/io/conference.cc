#include "io/conference.h"

namespace tg::io {

Conference::Conference(uint32_t id, int worker, size_t capacity)
    : id_(id), worker_(worker), capacity_(capacity), mixer_(capacity, kFrameSamples) {
  members_.reserve(capacity);  // joins happen on the worker: no reallocation there
}

int Conference::mixerIdOf(uint32_t participantId) const {
  for (const Member& m : members_) {
    if (m.participantId == participantId) return m.mixerId;
  }
  return -1;
}

void Conference::resolveWhispers() {
  // A whisper target may join after the whisperer; re-resolve on every membership change.
  for (const Member& m : members_) mixer_.setWhisper(m.mixerId, m.whisperTo ? mixerIdOf(m.whisperTo) : -1);
}

bool Conference::addMember(Member m) {
  if (members_.size() >= capacity_ || mixerIdOf(m.participantId) >= 0) return false;
  m.mixerId = mixer_.join();  // fades in: no click for the others
  if (m.mixerId < 0) return false;
  members_.push_back(std::move(m));
  resolveWhispers();
  return true;
}

bool Conference::addLeg(const std::shared_ptr<Leg>& leg, uint32_t whisperTo) {
  if (leg->conference()) return false;
  if (!addMember(Member{leg->id(), leg, nullptr, -1, whisperTo})) return false;
  leg->attachConference(this, members_.back().mixerId);
  return true;
}

bool Conference::addPort(const std::shared_ptr<EnginePort>& port, uint32_t whisperTo) {
  return addMember(Member{port->id, nullptr, port, -1, whisperTo});
}

bool Conference::remove(uint32_t participantId) {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].participantId != participantId) continue;
    mixer_.leave(members_[i].mixerId);  // fades out over the next mix
    if (members_[i].leg) members_[i].leg->detachConference();
    members_[i] = std::move(members_.back());
    members_.pop_back();
    resolveWhispers();
    return true;
  }
  return false;
}

void Conference::removeAll() {
  while (!members_.empty()) remove(members_.back().participantId);
}

void Conference::mix(TickContext& ctx) {
  for (const Member& m : members_) {
    if (m.leg) {
      if (m.leg->hasReceivedAudio()) mixer_.setInput(m.mixerId, m.leg->receivedFrame(), kFrameSamples);
      continue;
    }
    EnginePort& p = *m.port;
    bool flushed = false;
    const size_t got = p.in.readFrame(scratch_, kFrameSamples, &flushed);
    if (got > 0) {
      mixer_.setInput(m.mixerId, scratch_, kFrameSamples);
      p.wasPlaying = true;
    }
    PlayoutMark mark;
    bool markFlushed = false;
    while (p.in.nextReachedMark(&mark, &markFlushed)) {
      MediaEvent ev;
      ev.legId = p.id;
      ev.type = MediaEventType::Mark;
      ev.value = mark.id;
      ev.flag = markFlushed ? 1 : 0;
      ctx.events->push(ev);
    }
    if (p.wasPlaying && p.in.queuedSamples() == 0 && got < kFrameSamples) {
      p.wasPlaying = false;
      MediaEvent ev;
      ev.legId = p.id;
      ev.type = MediaEventType::PlayoutDone;
      ctx.events->push(ev);
    }
  }
  mixer_.mix();
  for (const Member& m : members_) {
    const int16_t* out = mixer_.output(m.mixerId);
    if (m.leg) {
      m.leg->setConferenceOutput(out);
    } else {
      m.port->out.push(out);
      ctx.producedForJs = true;
    }
  }
}

}  // namespace tg::io
