#include <napi.h>
Napi::Object InitDsp(Napi::Env env, Napi::Object exports) { return exports; }
