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
bool getBool(const Napi::Object& o, const char* key, bool def);
std::string getString(const Napi::Object& o, const char* key, const std::string& def);

Napi::Object legStatsToJs(Napi::Env env, const tg::io::LegStats& s, size_t queuedSamples);
Napi::Object engineStatsToJs(Napi::Env env, const tg::io::MediaEngine& engine, size_t legs);
Napi::Value eventToJs(Napi::Env env, const tg::io::MediaEvent& ev);
// Pops every frame of one ring into [id, firstSeq, Int16Array] entries (one per run of consecutive
// sequence numbers, so JS sees gaps where the ring overflowed). Returns the new count.
uint32_t drainFrames(Napi::Env env, uint32_t id, tg::io::FrameRing& ring, Napi::Array& out, uint32_t count,
                     std::vector<tg::io::FrameSlot>* scratch);
