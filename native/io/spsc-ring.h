// Lock-free single-producer/single-consumer ring. Head and tail are free-running counters (never
// masked when stored), so positions can be compared across wrap: the playout queue uses that to
// say "everything queued before position P has been sent" (marks) and "drop up to P" (clear).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace tg::io {

template <typename T>
class SpscRing {
 public:
  // capacity is rounded up to a power of two so indexing is a mask, not a division.
  explicit SpscRing(size_t capacity) {
    size_t c = 1;
    while (c < capacity) c <<= 1;
    // Default-initialised on purpose: pages of a large ring are only committed once audio passes
    // through them, so an idle leg's 16 s playout ring costs address space, not memory.
    buf_.reset(new T[c]);
    mask_ = c - 1;
  }
  size_t capacity() const { return mask_ + 1; }

  // Producer side: copies up to n elements, returns how many fit.
  size_t write(const T* src, size_t n) { return writeBytes(src, n); }

  // The same from memory that need not be aligned for T (JS hands over 16-bit audio at whatever byte
  // offset a protobuf field landed on); memcpy from a byte pointer has no alignment requirement.
  size_t writeBytes(const void* bytes, size_t n) {
    const auto* src = static_cast<const unsigned char*>(bytes);
    const uint64_t head = head_.load(std::memory_order_relaxed);
    const uint64_t tail = tail_.load(std::memory_order_acquire);
    const size_t free = capacity() - static_cast<size_t>(head - tail);
    if (n > free) n = free;
    const size_t at = static_cast<size_t>(head) & mask_;
    const size_t first = n < capacity() - at ? n : capacity() - at;
    std::memcpy(&buf_[at], src, first * sizeof(T));
    if (n > first) std::memcpy(&buf_[0], src + first * sizeof(T), (n - first) * sizeof(T));
    head_.store(head + n, std::memory_order_release);
    return n;
  }

  // Consumer side: copies up to n elements out, returns how many there were.
  size_t read(T* dst, size_t n) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    const uint64_t head = head_.load(std::memory_order_acquire);
    const size_t avail = static_cast<size_t>(head - tail);
    if (n > avail) n = avail;
    const size_t at = static_cast<size_t>(tail) & mask_;
    const size_t first = n < capacity() - at ? n : capacity() - at;
    std::memcpy(dst, &buf_[at], first * sizeof(T));
    if (n > first) std::memcpy(dst + first, &buf_[0], (n - first) * sizeof(T));
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  // Consumer side: discard everything before position pos (no-op if already past it).
  void skipTo(uint64_t pos) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    const uint64_t head = head_.load(std::memory_order_acquire);
    if (pos > head) pos = head;
    if (pos > tail) tail_.store(pos, std::memory_order_release);
  }

  size_t size() const {
    return static_cast<size_t>(head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire));
  }
  uint64_t headPosition() const { return head_.load(std::memory_order_acquire); }
  uint64_t tailPosition() const { return tail_.load(std::memory_order_acquire); }

 private:
  std::unique_ptr<T[]> buf_;
  size_t mask_ = 0;
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
};

}  // namespace tg::io
