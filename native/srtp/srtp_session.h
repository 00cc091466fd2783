// SRTP/SRTCP (RFC 3711, RFC 6188 AES-256, RFC 7714 AES-GCM) over OpenSSL 3's EVP ciphers (srtp_context.h)
// — no cipher code of our own. One SrtpSession per leg holds an outbound context (our SDES key, RFC 4568)
// and an inbound context (the peer's key), each keyed once; protect/unprotect work in place in the
// caller's buffer and never allocate; errors come back as codes for the caller to count (a real-time
// thread never logs). Packets and verdicts are identical to libsrtp2's, which the native differential
// test (native/test/srtp_diff_test.cc) keeps as the oracle.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg {

enum class SrtpSuite : uint8_t {
  AES_CM_128_HMAC_SHA1_80 = 0,
  AES_CM_128_HMAC_SHA1_32 = 1,
  AEAD_AES_128_GCM = 2,
  AEAD_AES_256_GCM = 3,
  AES_256_CM_HMAC_SHA1_80 = 4,  // RFC 6188
  AES_256_CM_HMAC_SHA1_32 = 5,
};
constexpr size_t kSrtpSuiteCount = 6;

enum class SrtpStatus : uint8_t {
  Ok = 0,
  AuthFail,      // tag mismatch (tampered, wrong key)
  ReplayFail,    // index already seen (replay window)
  ReplayOld,     // index older than the replay window
  NoSpace,       // cap too small for the trailer
  BadParam,      // wrong key length, malformed packet, unsupported suite
  Unsupported,   // cipher not available in this OpenSSL
  NotReady,      // session has no context in that direction
  Error,         // other failure (OpenSSL error, SRTCP index exhausted, unencrypted AES-CM SRTCP)
};
const char* srtpStatusName(SrtpStatus s);

// Suite name as in RFC 4568 / RFC 6188 / RFC 7714 a=crypto ("AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM",
// ...), matched case-insensitively (RFC 4568 §9.2 ABNF: the names are case-insensitive literals).
const char* srtpSuiteName(SrtpSuite s);
bool srtpSuiteFromName(const char* name, SrtpSuite* out);
size_t srtpMasterKeyLength(SrtpSuite s);   // 16 or 32
size_t srtpMasterSaltLength(SrtpSuite s);  // 14 (AES-CM) or 12 (GCM, RFC 7714 §12)
size_t srtpRtpOverhead(SrtpSuite s);       // tag octets appended to RTP (10, 4, 16, 16, 10, 4)
size_t srtpRtcpOverhead(SrtpSuite s);      // tag + 4-octet E|index appended to RTCP
bool srtpSuiteIsAead(SrtpSuite s);         // the RFC 7714 GCM suites
// Suites whose ciphers this OpenSSL provides (probed once per process).
bool srtpSuiteSupported(SrtpSuite s);
size_t supportedSrtpSuites(SrtpSuite* out, size_t cap);  // returns count written

// Fetches the ciphers once (thread-safe). Returns false if OpenSSL has no AES counter mode.
bool srtpGlobalInit();

class SrtpContext;

class SrtpSession {
 public:
  SrtpSession();
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // keySalt = master key followed by master salt (the decoded `inline:` octets, RFC 4568 §6.1).
  // Each direction may be set independently (and set again on re-INVITE: the old context is replaced).
  // replayWindow: RFC 3711 §3.3.2 window size (64..32767, rounded up to a multiple of 32 as libsrtp does).
  // mki/mkiLen (optional, 1..128 octets): the RFC 3711 §3.1 Master Key Identifier of an SDES key with
  // "|value:length" (RFC 4568 §6.1), written big-endian; packets then carry it before the tag.
  SrtpStatus setOutbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, const uint8_t* mki = nullptr,
                         size_t mkiLen = 0);
  SrtpStatus setInbound(SrtpSuite suite, const uint8_t* keySalt, size_t len, unsigned replayWindow = 128,
                        const uint8_t* mki = nullptr, size_t mkiLen = 0);

  // In place: buf holds the packet (len octets) and has room for cap octets; on Ok *outLen is the new length.
  // On any failure of unprotect* the buffer contents are unspecified (the AEAD path decrypts in place
  // before the tag check): drop the packet, do not retry with the same bytes.
  // cap only has to hold the packet, the MKI and the tag (everything is written in place).
  SrtpStatus protectRtp(uint8_t* buf, size_t len, size_t cap, size_t* outLen);
  SrtpStatus unprotectRtp(uint8_t* buf, size_t len, size_t* outLen);
  SrtpStatus protectRtcp(uint8_t* buf, size_t len, size_t cap, size_t* outLen);
  SrtpStatus unprotectRtcp(uint8_t* buf, size_t len, size_t* outLen);

  bool hasOutbound() const { return out_ != nullptr; }
  bool hasInbound() const { return in_ != nullptr; }
  size_t outboundMkiLength() const { return outMkiLen_; }
  SrtpSuite outboundSuite() const { return outSuite_; }
  SrtpSuite inboundSuite() const { return inSuite_; }

  static constexpr size_t kMaxPacket = 1500;

 private:
  SrtpStatus create(SrtpSuite suite, const uint8_t* keySalt, size_t len, bool inbound, unsigned window,
                    const uint8_t* mki, size_t mkiLen);
  std::unique_ptr<SrtpContext> out_;
  std::unique_ptr<SrtpContext> in_;
  SrtpSuite outSuite_ = SrtpSuite::AES_CM_128_HMAC_SHA1_80;
  SrtpSuite inSuite_ = SrtpSuite::AES_CM_128_HMAC_SHA1_80;
  size_t outMkiLen_ = 0;
  size_t inMkiLen_ = 0;
};

}  // namespace tg
