// Test-only: the same SRTP session API as tg::SrtpSession, over libsrtp2 (Debian's, NSS-backed). The
// product transform (native/srtp, OpenSSL EVP) is checked against it packet for packet in
// srtp_diff_test.cc; libsrtp2 is linked into test programs only, never into the addon.
#pragma once
#include <cstddef>
#include <cstdint>

#include "srtp/srtp_session.h"

namespace tg {

class LibsrtpSession {
 public:
  LibsrtpSession();
  ~LibsrtpSession();
  LibsrtpSession(const LibsrtpSession&) = delete;
  LibsrtpSession& operator=(const LibsrtpSession&) = delete;
  SrtpStatus setOutbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, const uint8_t* mki = nullptr,
                         size_t mkiLen = 0);
  SrtpStatus setInbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, unsigned replayWindow = 128,
                        const uint8_t* mki = nullptr, size_t mkiLen = 0);
  // buf must have room for len + 148 octets (libsrtp's worst-case trailer).
  SrtpStatus protectRtp(uint8_t* buf, size_t len, size_t* outLen);
  SrtpStatus unprotectRtp(uint8_t* buf, size_t len, size_t* outLen);
  SrtpStatus protectRtcp(uint8_t* buf, size_t len, size_t* outLen);
  SrtpStatus unprotectRtcp(uint8_t* buf, size_t len, size_t* outLen);

 private:
  SrtpStatus create(SrtpSuite suite, const uint8_t* keySalt, bool inbound, unsigned window, const uint8_t* mki,
                    size_t mkiLen);
  void* out_ = nullptr;
  void* in_ = nullptr;
  bool outMki_ = false, inMki_ = false;
};

}  // namespace tg
