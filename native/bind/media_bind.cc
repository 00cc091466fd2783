#include <napi.h>
Napi::Object InitMedia(Napi::Env env, Napi::Object exports) { return exports; }
