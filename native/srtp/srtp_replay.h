// RFC 3711 §3.3.1 index estimation and §3.3.2 replay lists, with the exact semantics of libsrtp (the
// test oracle and most peers): SRTP keeps a 48-bit index and a window rounded up to a multiple of 32
// packets; SRTCP keeps a 31-bit index and a fixed 128-packet window. The bitmask storage belongs to the
// owner (preallocated), so nothing here allocates.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tg {

enum class ReplayVerdict : uint8_t { Ok, Replay, TooOld };

// SRTP: bit k of the mask says "index (highest - k) was accepted", k < bits.
struct SrtpReplayWindow {
  uint64_t index = 0;     // highest accepted (or, for a fresh stream, 0) ROC || SEQ
  uint64_t* mask = nullptr;
  size_t words = 0;       // mask words (64 bits each)
  size_t bits = 0;        // window length in packets, a multiple of 32

  void reset() {
    index = 0;
    if (mask != nullptr) std::memset(mask, 0, words * sizeof(uint64_t));
  }

  // §3.3.1 / Appendix A: the index whose SEQ is s closest to the highest index; returns the distance
  // (delta > 0: newer). While the highest index is still in the first half of ROC 0, libsrtp takes ROC 0.
  int32_t estimate(uint16_t s, uint64_t* guess) const {
    constexpr uint32_t kMedian = 1u << 15, kMax = 1u << 16;
    if (index <= kMedian) {
      *guess = s;
      return static_cast<int32_t>(s) - static_cast<int32_t>(index);
    }
    const uint32_t roc = static_cast<uint32_t>(index >> 16);
    const uint16_t seq = static_cast<uint16_t>(index);
    uint32_t guessRoc = roc;
    int32_t diff = static_cast<int32_t>(s) - static_cast<int32_t>(seq);
    if (seq < kMedian) {
      if (static_cast<int32_t>(s) - static_cast<int32_t>(seq) > static_cast<int32_t>(kMedian)) {
        guessRoc = roc - 1;
        diff -= static_cast<int32_t>(kMax);
      }
    } else if (static_cast<int32_t>(seq) - static_cast<int32_t>(kMedian) > static_cast<int32_t>(s)) {
      guessRoc = roc + 1;
      diff += static_cast<int32_t>(kMax);
    }
    *guess = (static_cast<uint64_t>(guessRoc) << 16) | s;
    return diff;
  }

  ReplayVerdict check(int32_t delta) const {
    if (delta > 0) return ReplayVerdict::Ok;
    const uint64_t k = static_cast<uint64_t>(-static_cast<int64_t>(delta));
    if (k >= bits) return ReplayVerdict::TooOld;
    return bit(k) ? ReplayVerdict::Replay : ReplayVerdict::Ok;
  }

  void add(int32_t delta) {
    if (delta > 0) {
      shift(static_cast<uint64_t>(delta));
      index += static_cast<uint64_t>(delta);
      mask[0] |= 1;
    } else {
      const uint64_t k = static_cast<uint64_t>(-static_cast<int64_t>(delta));
      mask[k / 64] |= uint64_t{1} << (k % 64);
    }
  }

 private:
  bool bit(uint64_t k) const { return (mask[k / 64] >> (k % 64)) & 1; }
  void shift(uint64_t n) {  // every k becomes k + n; bits past the window fall off
    if (n >= words * 64) {
      std::memset(mask, 0, words * sizeof(uint64_t));
      return;
    }
    const size_t w = static_cast<size_t>(n / 64), b = static_cast<size_t>(n % 64);
    for (size_t i = words; i-- > 0;) {
      uint64_t v = i >= w ? mask[i - w] << b : 0;
      if (b != 0 && i >= w + 1) v |= mask[i - w - 1] >> (64 - b);
      mask[i] = v;
    }
  }
};

// SRTCP: the window covers [start, start + 127]; bit i means index start + i was accepted. The sender
// uses start as its counter (the first SRTCP index sent is 1).
struct SrtcpReplayWindow {
  uint32_t start = 0;
  uint64_t mask[2] = {0, 0};

  void reset() { start = 0, mask[0] = mask[1] = 0; }
  ReplayVerdict check(uint32_t i) const {
    if (i >= start + 128u) return ReplayVerdict::Ok;
    if (i < start) return ReplayVerdict::TooOld;
    const uint32_t d = i - start;
    return (mask[d / 64] >> (d % 64)) & 1 ? ReplayVerdict::Replay : ReplayVerdict::Ok;
  }
  void add(uint32_t i) {
    uint32_t d = i - start;
    if (d >= 128) {
      const uint32_t n = d - 127;  // slide so that i becomes the window's last position
      if (n >= 128) {
        mask[0] = mask[1] = 0;
      } else if (n >= 64) {
        mask[0] = mask[1] >> (n - 64), mask[1] = 0;
      } else if (n > 0) {
        mask[0] = (mask[0] >> n) | (mask[1] << (64 - n)), mask[1] >>= n;
      }
      start += n;
      d = 127;
    }
    mask[d / 64] |= uint64_t{1} << (d % 64);
  }
  // The sender's next index; false once the 31-bit space is used up (the key must be changed).
  bool next(uint32_t* out) {
    if (start >= 0x7fffffffu) return false;
    *out = ++start;
    return true;
  }
};

}  // namespace tg
