#include "test/libsrtp_oracle.h"

#include <srtp2/srtp.h>

#include <cstring>

namespace tg {

namespace {

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
    case SrtpSuite::AES_256_CM_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
      break;
    case SrtpSuite::AES_256_CM_HMAC_SHA1_32:
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p->rtp);
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
      break;
  }
}

SrtpStatus mapStatus(srtp_err_status_t e) {
  switch (e) {
    case srtp_err_status_ok: return SrtpStatus::Ok;
    case srtp_err_status_auth_fail:
    case srtp_err_status_bad_mki: return SrtpStatus::AuthFail;
    case srtp_err_status_replay_fail: return SrtpStatus::ReplayFail;
    case srtp_err_status_replay_old: return SrtpStatus::ReplayOld;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err: return SrtpStatus::BadParam;
    default: return SrtpStatus::Error;
  }
}

}  // namespace

LibsrtpSession::LibsrtpSession() {
  static const bool ok = srtp_init() == srtp_err_status_ok;
  (void)ok;
}

LibsrtpSession::~LibsrtpSession() {
  if (out_ != nullptr) srtp_dealloc(static_cast<srtp_t>(out_));
  if (in_ != nullptr) srtp_dealloc(static_cast<srtp_t>(in_));
}

SrtpStatus LibsrtpSession::create(SrtpSuite suite, const uint8_t* keySalt, bool inbound, unsigned window,
                                  const uint8_t* mki, size_t mkiLen) {
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  setPolicy(suite, &policy);
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  uint8_t key[SRTP_MAX_KEY_LEN] = {0};
  std::memcpy(key, keySalt, srtpMasterKeyLength(suite) + srtpMasterSaltLength(suite));
  uint8_t mkiCopy[SRTP_MAX_MKI_LEN];
  srtp_master_key_t master;
  srtp_master_key_t* masters[1] = {&master};
  if (mkiLen > 0) {
    std::memcpy(mkiCopy, mki, mkiLen);
    master.key = key;
    master.mki_id = mkiCopy;
    master.mki_size = static_cast<unsigned>(mkiLen);
    policy.keys = masters;
    policy.num_master_keys = 1;
  } else {
    policy.key = key;
  }
  policy.window_size = window;
  policy.allow_repeat_tx = 0;
  srtp_t ctx = nullptr;
  const srtp_err_status_t st = srtp_create(&ctx, &policy);
  if (st != srtp_err_status_ok) return mapStatus(st);
  void*& slot = inbound ? in_ : out_;
  if (slot != nullptr) srtp_dealloc(static_cast<srtp_t>(slot));
  slot = ctx;
  (inbound ? inMki_ : outMki_) = mkiLen > 0;
  return SrtpStatus::Ok;
}

SrtpStatus LibsrtpSession::setOutbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, const uint8_t* mki,
                                       size_t mkiLen) {
  if (len != srtpMasterKeyLength(suite) + srtpMasterSaltLength(suite)) return SrtpStatus::BadParam;
  return create(suite, keySalt, false, 128, mki, mkiLen);
}
SrtpStatus LibsrtpSession::setInbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, unsigned window,
                                      const uint8_t* mki, size_t mkiLen) {
  if (len != srtpMasterKeyLength(suite) + srtpMasterSaltLength(suite)) return SrtpStatus::BadParam;
  return create(suite, keySalt, true, window, mki, mkiLen);
}

SrtpStatus LibsrtpSession::protectRtp(uint8_t* buf, size_t len, size_t* outLen) {
  int n = static_cast<int>(len);
  const SrtpStatus st = mapStatus(srtp_protect_mki(static_cast<srtp_t>(out_), buf, &n, outMki_, 0));
  if (st == SrtpStatus::Ok) *outLen = static_cast<size_t>(n);
  return st;
}
SrtpStatus LibsrtpSession::unprotectRtp(uint8_t* buf, size_t len, size_t* outLen) {
  int n = static_cast<int>(len);
  const SrtpStatus st = mapStatus(srtp_unprotect_mki(static_cast<srtp_t>(in_), buf, &n, inMki_));
  if (st == SrtpStatus::Ok) *outLen = static_cast<size_t>(n);
  return st;
}
SrtpStatus LibsrtpSession::protectRtcp(uint8_t* buf, size_t len, size_t* outLen) {
  int n = static_cast<int>(len);
  const SrtpStatus st = mapStatus(srtp_protect_rtcp_mki(static_cast<srtp_t>(out_), buf, &n, outMki_, 0));
  if (st == SrtpStatus::Ok) *outLen = static_cast<size_t>(n);
  return st;
}
SrtpStatus LibsrtpSession::unprotectRtcp(uint8_t* buf, size_t len, size_t* outLen) {
  int n = static_cast<int>(len);
  const SrtpStatus st = mapStatus(srtp_unprotect_rtcp_mki(static_cast<srtp_t>(in_), buf, &n, inMki_));
  if (st == SrtpStatus::Ok) *outLen = static_cast<size_t>(n);
  return st;
}

}  // namespace tg
