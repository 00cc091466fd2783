// Shared by the benchmark load generators (media-peer.cc, load/load-peer.cc): monotonic and wall clocks
// in nanoseconds and a G.711 mu-law encoder for the test tones. Bench tools only, not part of the addon.
#pragma once
#include <cstdint>
#include <ctime>

static int64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
static int64_t realNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

static uint8_t linearToUlaw(int pcm) {  // G.711 mu-law (sign-magnitude with bias 0x84)
  const int BIAS = 0x84, CLIP = 32635;
  int sign = (pcm >> 8) & 0x80;
  if (sign) pcm = -pcm;
  if (pcm > CLIP) pcm = CLIP;
  pcm += BIAS;
  int exponent = 7;
  for (int mask = 0x4000; (pcm & mask) == 0 && exponent > 0; mask >>= 1) exponent--;
  int mantissa = (pcm >> (exponent + 3)) & 0x0f;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}
