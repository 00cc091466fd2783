#include "dsp/mixer.h"

#include <cstring>

namespace tg {

namespace {
inline int16_t sat16(int32_t v) { return static_cast<int16_t>(v > 32767 ? 32767 : (v < -32768 ? -32768 : v)); }
}  // namespace

Mixer::Mixer(size_t maxParticipants, size_t frameSamples)
    : max_(maxParticipants == 0 ? 1 : maxParticipants), frame_(frameSamples == 0 ? 320 : frameSamples) {
  parts_ = new Participant[max_];
  inputs_ = new int16_t[max_ * frame_]();
  contrib_ = new int32_t[max_ * frame_]();
  sum_ = new int32_t[frame_]();
  outputs_ = new int16_t[max_ * frame_]();
}

Mixer::~Mixer() {
  delete[] parts_;
  delete[] inputs_;
  delete[] contrib_;
  delete[] sum_;
  delete[] outputs_;
}

int Mixer::join() {
  for (size_t i = 0; i < max_; i++) {
    if (parts_[i].state == SlotState::Free) {
      parts_[i] = Participant();
      parts_[i].state = SlotState::Joining;
      std::memset(outputs_ + i * frame_, 0, frame_ * sizeof(int16_t));
      return static_cast<int>(i);
    }
  }
  return -1;
}

void Mixer::leave(int id) {
  if (id < 0 || static_cast<size_t>(id) >= max_) return;
  Participant& p = parts_[id];
  if (p.state == SlotState::Free || p.state == SlotState::Leaving) return;
  // Fade out from the current gain: a participant still fading in starts its fade-out where it is.
  const uint32_t gainPos = p.state == SlotState::Joining ? p.fadePos : static_cast<uint32_t>(kFadeSamples);
  p.state = SlotState::Leaving;
  p.fadePos = static_cast<uint32_t>(kFadeSamples) - (gainPos > kFadeSamples ? kFadeSamples : gainPos);
  // Anyone whispering to the leaving participant falls back to silence for the others (not the room).
  for (size_t i = 0; i < max_; i++) {
    if (parts_[i].whisperTo == id) parts_[i].muted = true, parts_[i].whisperTo = -1;
  }
}

bool Mixer::setWhisper(int id, int listener) {
  if (id < 0 || static_cast<size_t>(id) >= max_ || parts_[id].state == SlotState::Free) return false;
  if (listener >= 0 && (static_cast<size_t>(listener) >= max_ || listener == id ||
                        parts_[listener].state == SlotState::Free)) {
    return false;
  }
  parts_[id].whisperTo = listener;
  return true;
}

void Mixer::setMuted(int id, bool muted) {
  if (id >= 0 && static_cast<size_t>(id) < max_) parts_[id].muted = muted;
}

bool Mixer::setInput(int id, const int16_t* pcm, size_t n) {
  if (id < 0 || static_cast<size_t>(id) >= max_ || pcm == nullptr || n != frame_) return false;
  Participant& p = parts_[id];
  if (p.state == SlotState::Free || p.state == SlotState::Leaving) return false;
  std::memcpy(inputs_ + static_cast<size_t>(id) * frame_, pcm, n * sizeof(int16_t));
  p.hasInput = true;
  return true;
}

size_t Mixer::activeCount() const {
  size_t n = 0;
  for (size_t i = 0; i < max_; i++) n += parts_[i].state == SlotState::Joining || parts_[i].state == SlotState::Active;
  return n;
}

const int16_t* Mixer::output(int id) const {
  if (id < 0 || static_cast<size_t>(id) >= max_) return nullptr;
  return outputs_ + static_cast<size_t>(id) * frame_;
}

void Mixer::mix() {
  std::memset(sum_, 0, frame_ * sizeof(int32_t));
  for (size_t p = 0; p < max_; p++) {
    Participant& pt = parts_[p];
    int32_t* c = contrib_ + p * frame_;
    const int16_t* in = inputs_ + p * frame_;
    const bool leaving = pt.state == SlotState::Leaving;
    const bool audible = pt.state != SlotState::Free && !pt.muted && (leaving ? pt.lastValid : pt.hasInput);
    if (!audible) {
      std::memset(c, 0, frame_ * sizeof(int32_t));
      continue;
    }
    if (pt.state == SlotState::Active) {
      for (size_t i = 0; i < frame_; i++) c[i] = in[i];
    } else {
      // Linear ramp over kFadeSamples (Q15 gain), up on join and down on leave: no step, no click.
      for (size_t i = 0; i < frame_; i++) {
        const uint32_t pos = pt.fadePos + static_cast<uint32_t>(i);
        int32_t g = pos >= kFadeSamples ? 32768 : static_cast<int32_t>(pos * 32768 / kFadeSamples);
        if (leaving) g = 32768 - g;
        c[i] = (static_cast<int32_t>(in[i]) * g) >> 15;
      }
    }
    if (pt.whisperTo < 0) {
      for (size_t i = 0; i < frame_; i++) sum_[i] += c[i];
    }
  }
  for (size_t l = 0; l < max_; l++) {
    const Participant& lp = parts_[l];
    int16_t* out = outputs_ + l * frame_;
    if (lp.state == SlotState::Free) continue;
    const int32_t* own = contrib_ + l * frame_;
    const bool ownInSum = lp.whisperTo < 0;
    bool whispered = false;
    for (size_t w = 0; w < max_; w++) whispered |= parts_[w].state != SlotState::Free && parts_[w].whisperTo == static_cast<int>(l);
    for (size_t i = 0; i < frame_; i++) {
      // Mix-minus: everyone in the room but the listener itself (plus whispers addressed to it),
      // accumulated in int32 and saturated once at the end.
      int32_t v = sum_[i] - (ownInSum ? own[i] : 0);
      if (whispered) {
        for (size_t w = 0; w < max_; w++) {
          if (parts_[w].state != SlotState::Free && parts_[w].whisperTo == static_cast<int>(l)) v += contrib_[w * frame_ + i];
        }
      }
      out[i] = sat16(v);
    }
  }
  for (size_t p = 0; p < max_; p++) {
    Participant& pt = parts_[p];
    if (pt.state == SlotState::Joining || pt.state == SlotState::Leaving) {
      pt.fadePos += static_cast<uint32_t>(frame_);
      if (pt.fadePos >= kFadeSamples) {
        if (pt.state == SlotState::Joining) pt.state = SlotState::Active;
        else pt = Participant();  // fade-out done: the slot is free
      }
    }
    pt.lastValid = pt.hasInput || (pt.state == SlotState::Leaving && pt.lastValid);
    pt.hasInput = false;
  }
}

}  // namespace tg
