// SRTP/SRTCP (RFC 3711) through libsrtp2 — never hand-written crypto. One SrtpSession per leg holds an
// outbound context (our SDES key, RFC 4568) and an inbound context (the peer's key). protect/unprotect
// work in place in the caller's buffer; errors come back as codes for the caller to count (a real-time
// thread never logs). srtp_init() runs once per process (function-local static, thread-safe).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

enum class SrtpSuite : uint8_t {
  AES_CM_128_HMAC_SHA1_80 = 0,
  AES_CM_128_HMAC_SHA1_32 = 1,
  AEAD_AES_128_GCM = 2,
  AEAD_AES_256_GCM = 3,
};
constexpr size_t kSrtpSuiteCount = 4;

enum class SrtpStatus : uint8_t {
  Ok = 0,
  AuthFail,      // tag mismatch (tampered, wrong key)
  ReplayFail,    // index already seen (replay window)
  ReplayOld,     // index older than the replay window
  NoSpace,       // cap too small for the trailer
  BadParam,      // wrong key length, malformed packet, unsupported suite
  Unsupported,   // suite not compiled into this libsrtp2
  NotReady,      // session has no context in that direction
  Error,         // other libsrtp failure
};
const char* srtpStatusName(SrtpStatus s);

// Suite name as in RFC 4568 / RFC 7714 a=crypto ("AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM", ...).
const char* srtpSuiteName(SrtpSuite s);
bool srtpSuiteFromName(const char* name, SrtpSuite* out);
size_t srtpMasterKeyLength(SrtpSuite s);   // 16 or 32
size_t srtpMasterSaltLength(SrtpSuite s);  // 14 (AES-CM) or 12 (GCM, RFC 7714 §12)
size_t srtpRtpOverhead(SrtpSuite s);       // tag octets appended to RTP (10, 4, 16, 16)
size_t srtpRtcpOverhead(SrtpSuite s);      // tag + 4-octet E|index appended to RTCP
// Suites this libsrtp2 build supports (GCM needs libsrtp2 built with OpenSSL/NSS; probed at runtime).
bool srtpSuiteSupported(SrtpSuite s);
size_t supportedSrtpSuites(SrtpSuite* out, size_t cap);  // returns count written

// Ensures srtp_init() ran (thread-safe, once). Returns false if libsrtp failed to initialise.
bool srtpGlobalInit();

class SrtpSession {
 public:
  SrtpSession();
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // keySalt = master key followed by master salt (the decoded `inline:` octets, RFC 4568 §6.1).
  // Each direction may be set independently (and set again on re-INVITE: the old context is replaced).
  // replayWindow: RFC 3711 §3.3.2 window size (libsrtp minimum 64).
  // mki/mkiLen (optional, 1..128 octets): the RFC 3711 §3.1 Master Key Identifier of an SDES key with
  // "|value:length" (RFC 4568 §6.1), written big-endian; packets then carry it before the tag.
  SrtpStatus setOutbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, const uint8_t* mki = nullptr,
                         size_t mkiLen = 0);
  SrtpStatus setInbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, unsigned replayWindow = 128,
                        const uint8_t* mki = nullptr, size_t mkiLen = 0);

  // In place: buf holds the packet (len octets) and has room for cap octets; on Ok *outLen is the new length.
  // On any failure of unprotect* the buffer contents are unspecified (libsrtp's AEAD path decrypts in
  // place before the tag check): drop the packet, do not retry with the same bytes.
  // If cap is smaller than len + libsrtp's worst-case trailer, the work is done in a preallocated scratch
  // buffer and copied back (still no allocation).
  SrtpStatus protectRtp(uint8_t* buf, size_t len, size_t cap, size_t* outLen);
  SrtpStatus unprotectRtp(uint8_t* buf, size_t len, size_t* outLen);
  SrtpStatus protectRtcp(uint8_t* buf, size_t len, size_t cap, size_t* outLen);
  SrtpStatus unprotectRtcp(uint8_t* buf, size_t len, size_t* outLen);

  bool hasOutbound() const { return out_ != nullptr; }
  bool hasInbound() const { return in_ != nullptr; }
  SrtpSuite outboundSuite() const { return outSuite_; }
  SrtpSuite inboundSuite() const { return inSuite_; }

  static constexpr size_t kMaxPacket = 1500;

 private:
  SrtpStatus create(SrtpSuite suite, const uint8_t* keySalt, size_t len, bool inbound, unsigned window,
                    const uint8_t* mki, size_t mkiLen);
  void* out_ = nullptr;  // srtp_t (kept opaque so users of this header need no libsrtp include)
  void* in_ = nullptr;
  SrtpSuite outSuite_ = SrtpSuite::AES_CM_128_HMAC_SHA1_80;
  SrtpSuite inSuite_ = SrtpSuite::AES_CM_128_HMAC_SHA1_80;
  size_t outMkiLen_ = 0;
  size_t inMkiLen_ = 0;
  uint8_t* scratch_ = nullptr;  // kMaxPacket + trailer, allocated in the constructor
};

}  // namespace tg
