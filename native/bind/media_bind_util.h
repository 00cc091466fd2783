// Helpers shared by the media binding: option reading with defaults, conversion of native stats
// and events to JS objects, and the frame drain.
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "io/media-engine.h"

// std::function needs copyable captures; a boxed unique_ptr moves its object to the media thread
// exactly once (takeUnique), and frees it on the JS side if the command never ran.
template <typename T>
std::shared_ptr<std::unique_ptr<T>> boxed(std::unique_ptr<T> p) {
  return std::make_shared<std::unique_ptr<T>>(std::move(p));
}
template <typename T>
std::unique_ptr<T> takeUnique(const std::shared_ptr<std::unique_ptr<T>>& box) {
  return std::move(*box);
}

int getInt(const Napi::Object& o, const char* key, int def);
// Argument checks that hold whatever the TypeScript facade did (a caller may use the addon directly): an
// exact integer in [min, max], else a TypeError/RangeError is thrown (messages as in media-args.ts) and
// false returned. optInt: an absent/undefined option takes def.
bool intArg(const Napi::Env& env, const Napi::Value& v, const char* name, int64_t min, int64_t max, int64_t* out);
bool optInt(const Napi::Object& o, const char* key, int64_t def, int64_t min, int64_t max, int64_t* out);
bool getBool(const Napi::Object& o, const char* key, bool def);
std::string getString(const Napi::Object& o, const char* key, const std::string& def);

Napi::Object legStatsToJs(Napi::Env env, const tg::io::LegStats& s, size_t queuedSamples);
Napi::Object engineStatsToJs(Napi::Env env, const tg::io::MediaEngine& engine, size_t legs);
Napi::Value eventToJs(Napi::Env env, const tg::io::MediaEvent& ev);

// One wake's frames for JS, from every leg and engine port, handed over as two typed arrays instead
// of an Int16Array and an entry array per leg: at hundreds of calls the per-leg N-API objects (an
// ArrayBuffer each, three property sets) were a visible share of the JS thread (load bench).
//   pcm:  every frame's 320 samples back to back
//   runs: 4 x uint32 per run of consecutive sequence numbers of one ring: id, firstSeq, frames,
//         offset in samples into pcm (a new run starts where a ring overflowed, so JS sees the gap)
// The staging vectors keep their capacity between wakes: no allocation in steady state except the
// two arrays JS receives.
class FrameBatch {
 public:
  void collect(uint32_t id, tg::io::FrameRing& ring);
  bool empty() const { return runs_.empty(); }
  Napi::Int16Array pcm(Napi::Env env) const;
  Napi::Uint32Array runs(Napi::Env env) const;
  void clear() { samples_.clear(); runs_.clear(); }

 private:
  std::vector<tg::io::FrameSlot> scratch_;
  std::vector<int16_t> samples_;
  std::vector<uint32_t> runs_;
};
