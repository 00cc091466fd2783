#include "srtp/srtp_session.h"

#include <srtp2/srtp.h>

#include <cstring>

namespace tg {

namespace {

struct SuiteFacts {
  const char* name;
  size_t keyLen, saltLen, rtpTag, rtcpTag;
};
// RFC 4568 §6.2 (AES_CM_128_HMAC_SHA1_80/32) and RFC 7714 §12 (AEAD_AES_*_GCM: 12-octet salt, 16-octet tag).
// The _32 suite still authenticates SRTCP with the 80-bit tag (RFC 4568 §6.2.2 / RFC 3711 §5.2).
const SuiteFacts kSuites[kSrtpSuiteCount] = {
    {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10},
    {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10},
    {"AEAD_AES_128_GCM", 16, 12, 16, 16},
    {"AEAD_AES_256_GCM", 32, 12, 16, 16},
};
constexpr size_t kSrtcpIndexLen = 4;
// libsrtp may write up to SRTP_MAX_TRAILER_LEN past the packet (plus the SRTCP index for RTCP).
constexpr size_t kWorstTrailer = SRTP_MAX_TRAILER_LEN + kSrtcpIndexLen;

const SuiteFacts& facts(SrtpSuite s) { return kSuites[static_cast<size_t>(s) % kSrtpSuiteCount]; }

void setPolicy(SrtpSuite s, srtp_policy_t* p) {
  switch (s) {
    case SrtpSuite::AES_CM_128_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
      break;
    case SrtpSuite::AES_CM_128_HMAC_SHA1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
      break;
    case SrtpSuite::AEAD_AES_128_GCM:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
      break;
    case SrtpSuite::AEAD_AES_256_GCM:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
      break;
  }
}

SrtpStatus mapStatus(srtp_err_status_t e) {
  switch (e) {
    case srtp_err_status_ok: return SrtpStatus::Ok;
    case srtp_err_status_auth_fail:
    case srtp_err_status_bad_mki: return SrtpStatus::AuthFail;  // unknown MKI: not from our peer's key
    case srtp_err_status_replay_fail: return SrtpStatus::ReplayFail;
    case srtp_err_status_replay_old: return SrtpStatus::ReplayOld;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err: return SrtpStatus::BadParam;
    default: return SrtpStatus::Error;
  }
}

srtp_err_status_t createContext(SrtpSuite suite, const uint8_t* keySalt, bool inbound, unsigned window,
                                const uint8_t* mki, size_t mkiLen, srtp_t* out) {
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  setPolicy(suite, &policy);
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  // libsrtp reads key+salt from one buffer; copy so the caller's buffer need not be writable.
  uint8_t key[SRTP_MAX_KEY_LEN];
  std::memcpy(key, keySalt, facts(suite).keyLen + facts(suite).saltLen);
  // With an MKI libsrtp takes the key through its master-key list (it copies key and MKI on create).
  uint8_t mkiCopy[SRTP_MAX_MKI_LEN];
  srtp_master_key_t master;
  srtp_master_key_t* masters[1] = {&master};
  if (mkiLen > 0) {
    std::memcpy(mkiCopy, mki, mkiLen);
    master.key = key;
    master.mki_id = mkiCopy;
    master.mki_size = static_cast<unsigned>(mkiLen);
    policy.key = nullptr;
    policy.keys = masters;
    policy.num_master_keys = 1;
  } else {
    policy.key = key;
  }
  policy.window_size = window;
  policy.allow_repeat_tx = 0;  // RFC 3711 §3.3.2: never reuse an index (same keystream) on the sending side
  policy.next = nullptr;
  const srtp_err_status_t st = srtp_create(out, &policy);
  std::memset(key, 0, sizeof(key));
  return st;
}

}  // namespace

bool srtpGlobalInit() {
  static const bool ok = srtp_init() == srtp_err_status_ok;  // once per process, thread-safe static
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
    if (std::strcmp(kSuites[i].name, name) == 0) {
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

bool srtpSuiteSupported(SrtpSuite s) {
  // GCM exists only when libsrtp2 was built with a crypto library (OpenSSL/NSS): probe by creating a
  // context once per suite; the answer is cached for the process.
  struct Probe {
    bool ok[kSrtpSuiteCount];
    Probe() {
      const bool init = srtpGlobalInit();
      const uint8_t zero[64] = {0};
      for (size_t i = 0; i < kSrtpSuiteCount; i++) {
        srtp_t ctx = nullptr;
        ok[i] = init && createContext(static_cast<SrtpSuite>(i), zero, false, 128, nullptr, 0, &ctx) == srtp_err_status_ok;
        if (ctx != nullptr) srtp_dealloc(ctx);
      }
    }
  };
  static const Probe probe;
  return probe.ok[static_cast<size_t>(s) % kSrtpSuiteCount];
}

size_t supportedSrtpSuites(SrtpSuite* out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < kSrtpSuiteCount && n < cap; i++) {
    if (srtpSuiteSupported(static_cast<SrtpSuite>(i))) out[n++] = static_cast<SrtpSuite>(i);
  }
  return n;
}

SrtpSession::SrtpSession() : scratch_(new uint8_t[kMaxPacket + kWorstTrailer]) { srtpGlobalInit(); }

SrtpSession::~SrtpSession() {
  if (out_ != nullptr) srtp_dealloc(static_cast<srtp_t>(out_));
  if (in_ != nullptr) srtp_dealloc(static_cast<srtp_t>(in_));
  delete[] scratch_;
}

SrtpStatus SrtpSession::create(SrtpSuite suite, const uint8_t* keySalt, size_t len, bool inbound, unsigned window,
                               const uint8_t* mki, size_t mkiLen) {
  if (static_cast<size_t>(suite) >= kSrtpSuiteCount || keySalt == nullptr) return SrtpStatus::BadParam;
  if (mkiLen > SRTP_MAX_MKI_LEN || (mkiLen > 0 && mki == nullptr)) return SrtpStatus::BadParam;
  if (len != facts(suite).keyLen + facts(suite).saltLen) return SrtpStatus::BadParam;
  if (!srtpSuiteSupported(suite)) return SrtpStatus::Unsupported;
  if (window < 64) window = 64;  // libsrtp's minimum (RFC 3711 §3.3.2 requires at least 64)
  srtp_t ctx = nullptr;
  const srtp_err_status_t st = createContext(suite, keySalt, inbound, window, mki, mkiLen, &ctx);
  if (st != srtp_err_status_ok) return mapStatus(st);
  void*& slot = inbound ? in_ : out_;
  if (slot != nullptr) srtp_dealloc(static_cast<srtp_t>(slot));
  slot = ctx;
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
  if (out_ == nullptr) return SrtpStatus::NotReady;
  if (buf == nullptr || len < 12 || len > kMaxPacket) return SrtpStatus::BadParam;
  if (cap < len + srtpRtpOverhead(outSuite_) + outMkiLen_) return SrtpStatus::NoSpace;
  const bool inPlace = cap >= len + kWorstTrailer;
  uint8_t* work = inPlace ? buf : scratch_;
  if (!inPlace) std::memcpy(scratch_, buf, len);
  int n = static_cast<int>(len);
  const SrtpStatus st = mapStatus(srtp_protect_mki(static_cast<srtp_t>(out_), work, &n, outMkiLen_ > 0, 0));
  if (st != SrtpStatus::Ok) return st;
  if (static_cast<size_t>(n) > cap) return SrtpStatus::NoSpace;
  if (!inPlace) std::memcpy(buf, scratch_, static_cast<size_t>(n));
  *outLen = static_cast<size_t>(n);
  return SrtpStatus::Ok;
}

SrtpStatus SrtpSession::unprotectRtp(uint8_t* buf, size_t len, size_t* outLen) {
  if (in_ == nullptr) return SrtpStatus::NotReady;
  if (buf == nullptr || len < 12 || len > kMaxPacket + kWorstTrailer) return SrtpStatus::BadParam;
  int n = static_cast<int>(len);
  const SrtpStatus st = mapStatus(srtp_unprotect_mki(static_cast<srtp_t>(in_), buf, &n, inMkiLen_ > 0));
  if (st == SrtpStatus::Ok) *outLen = static_cast<size_t>(n);
  return st;
}

SrtpStatus SrtpSession::protectRtcp(uint8_t* buf, size_t len, size_t cap, size_t* outLen) {
  if (out_ == nullptr) return SrtpStatus::NotReady;
  if (buf == nullptr || len < 8 || len > kMaxPacket) return SrtpStatus::BadParam;
  if (cap < len + srtpRtcpOverhead(outSuite_) + outMkiLen_) return SrtpStatus::NoSpace;
  const bool inPlace = cap >= len + kWorstTrailer;
  uint8_t* work = inPlace ? buf : scratch_;
  if (!inPlace) std::memcpy(scratch_, buf, len);
  int n = static_cast<int>(len);
  const SrtpStatus st = mapStatus(srtp_protect_rtcp_mki(static_cast<srtp_t>(out_), work, &n, outMkiLen_ > 0, 0));
  if (st != SrtpStatus::Ok) return st;
  if (static_cast<size_t>(n) > cap) return SrtpStatus::NoSpace;
  if (!inPlace) std::memcpy(buf, scratch_, static_cast<size_t>(n));
  *outLen = static_cast<size_t>(n);
  return SrtpStatus::Ok;
}

SrtpStatus SrtpSession::unprotectRtcp(uint8_t* buf, size_t len, size_t* outLen) {
  if (in_ == nullptr) return SrtpStatus::NotReady;
  if (buf == nullptr || len < 8 || len > kMaxPacket + kWorstTrailer) return SrtpStatus::BadParam;
  int n = static_cast<int>(len);
  const SrtpStatus st = mapStatus(srtp_unprotect_rtcp_mki(static_cast<srtp_t>(in_), buf, &n, inMkiLen_ > 0));
  if (st == SrtpStatus::Ok) *outLen = static_cast<size_t>(n);
  return st;
}

}  // namespace tg
