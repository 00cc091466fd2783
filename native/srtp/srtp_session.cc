#include "srtp/srtp_session.h"

#include <strings.h>

#include "srtp/srtp_context.h"
#include "srtp/srtp_crypto.h"

namespace tg {

namespace {

struct SuiteFacts {
  const char* name;
  size_t keyLen, saltLen, rtpTag, rtcpTag;
  bool aead;
};
// RFC 4568 §6.2 (AES_CM_128_HMAC_SHA1_80/32), RFC 6188 §7.1 (AES_256_CM) and RFC 7714 §12 (AEAD_AES_*_GCM:
// 12-octet salt, 16-octet tag). The _32 suites still authenticate SRTCP with the 80-bit tag (RFC 4568
// §6.2.2 / RFC 3711 §5.2, RFC 6188 §7.1).
const SuiteFacts kSuites[kSrtpSuiteCount] = {
    {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, false},
    {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, false},
    {"AEAD_AES_128_GCM", 16, 12, 16, 16, true},
    {"AEAD_AES_256_GCM", 32, 12, 16, 16, true},
    {"AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10, false},
    {"AES_256_CM_HMAC_SHA1_32", 32, 14, 4, 10, false},
};
constexpr size_t kSrtcpIndexLen = 4;
constexpr size_t kMaxTrailer = 16 + SrtpContext::kMaxMki + kSrtcpIndexLen;  // tag + MKI + E|index

const SuiteFacts& facts(SrtpSuite s) { return kSuites[static_cast<size_t>(s) % kSrtpSuiteCount]; }

}  // namespace

bool srtpGlobalInit() {
  static const bool ok = srtpcrypto::cipherAvailable(false, 16);  // fetches all four ciphers once
  return ok;
}

const char* srtpStatusName(SrtpStatus s) {
  switch (s) {
    case SrtpStatus::Ok: return "ok";
    case SrtpStatus::AuthFail: return "auth-fail";
    case SrtpStatus::ReplayFail: return "replay-fail";
    case SrtpStatus::ReplayOld: return "replay-old";
    case SrtpStatus::NoSpace: return "no-space";
    case SrtpStatus::BadParam: return "bad-param";
    case SrtpStatus::Unsupported: return "unsupported";
    case SrtpStatus::NotReady: return "not-ready";
    case SrtpStatus::Error: return "error";
  }
  return "unknown";
}

const char* srtpSuiteName(SrtpSuite s) { return facts(s).name; }
bool srtpSuiteFromName(const char* name, SrtpSuite* out) {
  if (name == nullptr) return false;
  for (size_t i = 0; i < kSrtpSuiteCount; i++) {
    if (strcasecmp(kSuites[i].name, name) == 0) {
      *out = static_cast<SrtpSuite>(i);
      return true;
    }
  }
  return false;
}
size_t srtpMasterKeyLength(SrtpSuite s) { return facts(s).keyLen; }
size_t srtpMasterSaltLength(SrtpSuite s) { return facts(s).saltLen; }
size_t srtpRtpOverhead(SrtpSuite s) { return facts(s).rtpTag; }
size_t srtpRtcpOverhead(SrtpSuite s) { return facts(s).rtcpTag + kSrtcpIndexLen; }
bool srtpSuiteIsAead(SrtpSuite s) { return facts(s).aead; }

bool srtpSuiteSupported(SrtpSuite s) {
  return srtpGlobalInit() && srtpcrypto::cipherAvailable(facts(s).aead, facts(s).keyLen);
}

size_t supportedSrtpSuites(SrtpSuite* out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < kSrtpSuiteCount && n < cap; i++) {
    if (srtpSuiteSupported(static_cast<SrtpSuite>(i))) out[n++] = static_cast<SrtpSuite>(i);
  }
  return n;
}

SrtpSession::SrtpSession() { srtpGlobalInit(); }
SrtpSession::~SrtpSession() = default;

SrtpStatus SrtpSession::create(SrtpSuite suite, const uint8_t* keySalt, size_t len, bool inbound, unsigned window,
                               const uint8_t* mki, size_t mkiLen) {
  if (static_cast<size_t>(suite) >= kSrtpSuiteCount || keySalt == nullptr) return SrtpStatus::BadParam;
  if (mkiLen > SrtpContext::kMaxMki || (mkiLen > 0 && mki == nullptr)) return SrtpStatus::BadParam;
  if (len != facts(suite).keyLen + facts(suite).saltLen) return SrtpStatus::BadParam;
  if (window >= 0x8000) return SrtpStatus::BadParam;  // RFC 3711 §3.3.2 window; libsrtp's upper bound
  if (!srtpSuiteSupported(suite)) return SrtpStatus::Unsupported;
  if (window < 64) window = 64;  // RFC 3711 §3.3.2 requires at least 64
  auto ctx = std::make_unique<SrtpContext>();
  const SrtpStatus st = ctx->init(suite, keySalt, inbound, window, mki, mkiLen);
  if (st != SrtpStatus::Ok) return st;
  (inbound ? in_ : out_) = std::move(ctx);
  (inbound ? inSuite_ : outSuite_) = suite;
  (inbound ? inMkiLen_ : outMkiLen_) = mkiLen;
  return SrtpStatus::Ok;
}

SrtpStatus SrtpSession::setOutbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, const uint8_t* mki,
                                    size_t mkiLen) {
  return create(suite, keySalt, len, false, 128, mki, mkiLen);
}
SrtpStatus SrtpSession::setInbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, unsigned replayWindow,
                                   const uint8_t* mki, size_t mkiLen) {
  return create(suite, keySalt, len, true, replayWindow, mki, mkiLen);
}

SrtpStatus SrtpSession::protectRtp(uint8_t* buf, size_t len, size_t cap, size_t* outLen) {
  if (!out_) return SrtpStatus::NotReady;
  if (buf == nullptr || len < 12 || len > kMaxPacket) return SrtpStatus::BadParam;
  if (cap < len + srtpRtpOverhead(outSuite_) + outMkiLen_) return SrtpStatus::NoSpace;
  return out_->protectRtp(buf, len, outLen);
}

SrtpStatus SrtpSession::unprotectRtp(uint8_t* buf, size_t len, size_t* outLen) {
  if (!in_) return SrtpStatus::NotReady;
  if (buf == nullptr || len < 12 || len > kMaxPacket + kMaxTrailer) return SrtpStatus::BadParam;
  return in_->unprotectRtp(buf, len, outLen);
}

SrtpStatus SrtpSession::protectRtcp(uint8_t* buf, size_t len, size_t cap, size_t* outLen) {
  if (!out_) return SrtpStatus::NotReady;
  if (buf == nullptr || len < 8 || len > kMaxPacket) return SrtpStatus::BadParam;
  if (cap < len + srtpRtcpOverhead(outSuite_) + outMkiLen_) return SrtpStatus::NoSpace;
  return out_->protectRtcp(buf, len, outLen);
}

SrtpStatus SrtpSession::unprotectRtcp(uint8_t* buf, size_t len, size_t* outLen) {
  if (!in_) return SrtpStatus::NotReady;
  if (buf == nullptr || len < 8 || len > kMaxPacket + kMaxTrailer) return SrtpStatus::BadParam;
  return in_->unprotectRtcp(buf, len, outLen);
}

}  // namespace tg
