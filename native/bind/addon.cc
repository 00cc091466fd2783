// Module init only. Each area registers its classes through its own Init function so the
// bind files stay independent (STYLE.md: napi.h only in native/bind).
#include <napi.h>

Napi::Object InitDsp(Napi::Env env, Napi::Object exports);    // dsp_bind.cc: codecs, SRTP, DTMF, jitter (pure-function bindings)
Napi::Object InitMedia(Napi::Env env, Napi::Object exports);  // media_bind.cc: media threads, legs, conferences
Napi::Object InitCodecs(Napi::Env env, Napi::Object exports); // codec_bind.cc: the codec registry

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "0.1.0"));
  InitDsp(env, exports);
  InitMedia(env, exports);
  InitCodecs(env, exports);
  return exports;
}

NODE_API_MODULE(trunkgate_media, Init)
