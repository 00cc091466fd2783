// N-party mix-minus conference mixer at 16 kHz (STYLE.md: each listener gets everyone but itself).
// Per 20 ms cycle: setInput() for each participant that has audio, then mix(), then output(id).
// Sum in int32, subtract the listener's own contribution, saturate to int16 once.
// Join/leave ramp the participant's contribution over kFadeSamples so nobody hears a click.
// Whisper: a source heard by ONE listener only (coach -> agent): excluded from everyone else's mix.
// Fixed capacity; all buffers allocated in the constructor; not thread-safe (media thread only).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

class Mixer {
 public:
  static constexpr size_t kFadeSamples = 160;  // 10 ms at 16 kHz
  Mixer(size_t maxParticipants, size_t frameSamples = 320);
  ~Mixer();
  Mixer(const Mixer&) = delete;
  Mixer& operator=(const Mixer&) = delete;

  // Returns a participant id >= 0, or -1 when full. The participant fades in over its first frame(s).
  int join();
  // Fades the participant out over the next mix() (using its last input), then frees the slot.
  void leave(int id);
  // Whisper: id's audio is heard only by `listener` (-1 clears whisper: heard by everyone).
  bool setWhisper(int id, int listener);
  // Mutes id's contribution (it still hears the others).
  void setMuted(int id, bool muted);
  // Copies one frame (frameSamples) of id's audio. Without setInput in a cycle the participant is silent.
  bool setInput(int id, const int16_t* pcm, size_t n);
  // Mixes the cycle; afterwards output(id) is valid until the next mix().
  void mix();
  const int16_t* output(int id) const;
  size_t frameSamples() const { return frame_; }
  size_t activeCount() const;

 private:
  enum class SlotState : uint8_t { Free, Joining, Active, Leaving };
  struct Participant {
    SlotState state = SlotState::Free;
    bool hasInput = false;   // setInput() called this cycle
    bool lastValid = false;  // inputs_ still holds the previous cycle's audio (used for the leave fade)
    bool muted = false;
    int whisperTo = -1;
    uint32_t fadePos = 0;  // samples into the fade ramp
  };
  size_t max_;
  size_t frame_;
  Participant* parts_ = nullptr;
  int16_t* inputs_ = nullptr;   // max_ x frame_
  int32_t* contrib_ = nullptr;  // max_ x frame_, faded contribution (0 if muted/silent)
  int32_t* sum_ = nullptr;      // frame_
  int16_t* outputs_ = nullptr;  // max_ x frame_
};

}  // namespace tg
