// Reads structured values from a libFuzzer input (each target turns bytes into packet sequences or
// settings with it). Past the end every read returns 0, so any input is a valid program.
#pragma once
#include <cstddef>
#include <cstdint>

struct FuzzInput {
  const uint8_t* p;
  size_t n;
  size_t at = 0;
  FuzzInput(const uint8_t* data, size_t size) : p(data), n(size) {}
  bool done() const { return at >= n; }
  size_t left() const { return n - at; }
  uint8_t u8() { return at < n ? p[at++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>((u8() << 8) | u8()); }
  uint32_t u32() { return (static_cast<uint32_t>(u16()) << 16) | u16(); }
  // Up to max octets (fewer at the end of the input); returns how many.
  size_t bytes(uint8_t* out, size_t max) {
    size_t k = 0;
    while (k < max && at < n) out[k++] = p[at++];
    return k;
  }
};

// Invariant violated: crash so libFuzzer saves the input (abort is not intercepted as a clean exit).
#define FUZZ_ASSERT(cond) \
  do {                    \
    if (!(cond)) __builtin_trap(); \
  } while (0)
